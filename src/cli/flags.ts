// A declarative flag parser with pflag's rules, which docker's CLI uses:
//
//   --name=value, --name value, -n value, -nvalue, -n=value
//   -it          combined boolean shorthands (the last one may take a value: -itp 80)
//   --rm, --rm=false   booleans take no separate argument ("--rm false" is positional)
//   -e A -e B    list flags collect every value in order
//   --           ends the flags; "-" alone is a positional argument
//   interspersed: flags may follow positional arguments, except for commands
//   like run/exec/create that stop at the first positional (the rest is the
//   container's command).
//
// Errors use pflag's words ("unknown flag: --foo", "flag needs an argument:
// 'n' in -n", `invalid argument "x" for "-n, --last" flag: ...`).

import type { CompletionKind } from "./complete-kinds.ts";

export type FlagKind = "bool" | "string" | "int" | "list";

export interface FlagSpec {
  /** Long name without dashes. */
  name: string;
  /** One-letter shorthand. */
  short?: string;
  kind: FlagKind;
  /** The type word in help ("string", "list", "filter", "bytes", "mount", ...); defaults by kind. */
  typeName?: string;
  usage: string;
  /** Default value (also shown in help unless it is the zero value). */
  default?: string | number | boolean;
  hidden?: boolean;
  /** Other long names for the same flag (old spellings), not shown in help. */
  aliases?: string[];
  /** Checks one value as it is parsed; throw an Error whose message says why it is wrong. */
  validate?: (value: string) => void;
  /** What the value is, for tab completion. */
  complete?: CompletionKind;
}

export class FlagError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "FlagError";
  }
}

export class FlagValues {
  private readonly values = new Map<string, string | number | boolean | string[]>();
  private readonly set = new Set<string>();

  constructor(private readonly specs: readonly FlagSpec[]) {
    for (const s of specs) {
      if (s.kind === "list") this.values.set(s.name, []);
      else if (s.default !== undefined) this.values.set(s.name, s.default);
      else this.values.set(s.name, s.kind === "bool" ? false : s.kind === "int" ? 0 : "");
    }
  }

  private spec(name: string): FlagSpec {
    const s = this.specs.find((f) => f.name === name);
    if (!s) throw new Error(`flag --${name} is not defined`);
    return s;
  }

  /** True when the flag appeared on the command line. */
  changed(name: string): boolean {
    this.spec(name);
    return this.set.has(name);
  }

  bool(name: string): boolean {
    return this.get(name, "bool") as boolean;
  }
  string(name: string): string {
    return this.get(name, "string") as string;
  }
  int(name: string): number {
    return this.get(name, "int") as number;
  }
  list(name: string): string[] {
    return [...(this.get(name, "list") as string[])];
  }

  private get(name: string, kind: FlagKind): unknown {
    const s = this.spec(name);
    if (s.kind !== kind) throw new Error(`flag --${name} is a ${s.kind}, not a ${kind}`);
    return this.values.get(name);
  }

  /** @internal */
  assign(spec: FlagSpec, raw: string): void {
    if (spec.validate) {
      try {
        spec.validate(raw);
      } catch (err) {
        throw invalidArgument(spec, raw, (err as Error).message);
      }
    }
    let value: string | number | boolean | string[];
    switch (spec.kind) {
      case "bool": {
        const b = parseGoBool(raw);
        if (b === undefined) throw invalidArgument(spec, raw, `strconv.ParseBool: parsing ${JSON.stringify(raw)}: invalid syntax`);
        value = b;
        break;
      }
      case "int": {
        const trimmed = raw;
        if (!/^[+-]?\d+$/.test(trimmed)) throw invalidArgument(spec, raw, `strconv.ParseInt: parsing ${JSON.stringify(raw)}: invalid syntax`);
        const n = Number(trimmed);
        if (!Number.isSafeInteger(n)) throw invalidArgument(spec, raw, `strconv.ParseInt: parsing ${JSON.stringify(raw)}: value out of range`);
        value = n;
        break;
      }
      case "list":
        value = [...(this.values.get(spec.name) as string[]), raw];
        break;
      default:
        value = raw;
    }
    this.values.set(spec.name, value);
    this.set.add(spec.name);
  }
}

/** "-n, --last" or "--name", as pflag names a flag in errors. */
export function flagDisplayName(spec: FlagSpec): string {
  return spec.short ? `-${spec.short}, --${spec.name}` : `--${spec.name}`;
}

function invalidArgument(spec: FlagSpec, raw: string, why: string): FlagError {
  return new FlagError(`invalid argument ${JSON.stringify(raw)} for ${JSON.stringify(flagDisplayName(spec))} flag: ${why}`);
}

/** Go's strconv.ParseBool. */
export function parseGoBool(s: string): boolean | undefined {
  if (["1", "t", "T", "TRUE", "true", "True"].includes(s)) return true;
  if (["0", "f", "F", "FALSE", "false", "False"].includes(s)) return false;
  return undefined;
}

export interface ParseResult {
  flags: FlagValues;
  args: string[];
  /** --help (or -h where -h is not taken) was given. */
  help: boolean;
}

export interface ParseOptions {
  /** false: the first positional argument ends the flags (docker run, exec, create). */
  interspersed?: boolean;
}

const HELP_FLAG: FlagSpec = { name: "help", kind: "bool", usage: "Print usage", hidden: true };

/** Parses `argv` (the words after the command's name) against `specs`. Throws FlagError. */
export function parseFlags(argv: readonly string[], specs: readonly FlagSpec[], opts: ParseOptions = {}): ParseResult {
  const interspersed = opts.interspersed ?? true;
  const all = specs.some((s) => s.name === "help") ? [...specs] : [...specs, { ...HELP_FLAG, short: specs.some((s) => s.short === "h") ? undefined : "h" }];
  const flags = new FlagValues(all);
  const byLong = new Map<string, FlagSpec>();
  const byShort = new Map<string, FlagSpec>();
  for (const s of all) {
    byLong.set(s.name, s);
    for (const a of s.aliases ?? []) byLong.set(a, s);
    if (s.short) byShort.set(s.short, s);
  }
  const args: string[] = [];
  const rest = [...argv];
  while (rest.length > 0) {
    const s = rest.shift()!;
    if (s.length < 2 || s[0] !== "-") {
      if (!interspersed) {
        args.push(s, ...rest);
        break;
      }
      args.push(s);
      continue;
    }
    if (s === "--") {
      args.push(...rest);
      break;
    }
    if (s.startsWith("--")) {
      const body = s.slice(2);
      if (body.startsWith("-") || body.startsWith("=")) throw new FlagError(`bad flag syntax: ${s}`);
      const eq = body.indexOf("=");
      const name = eq < 0 ? body : body.slice(0, eq);
      const spec = byLong.get(name);
      if (!spec) throw new FlagError(`unknown flag: --${name}`);
      if (eq >= 0) flags.assign(spec, body.slice(eq + 1));
      else if (spec.kind === "bool") flags.assign(spec, "true");
      else if (rest.length > 0) flags.assign(spec, rest.shift()!);
      else throw new FlagError(`flag needs an argument: --${name}`);
      continue;
    }
    // Shorthands: -abc, -nVALUE, -n=VALUE, -n VALUE
    let shorts = s.slice(1);
    while (shorts.length > 0) {
      const c = shorts[0]!;
      const spec = byShort.get(c);
      if (!spec) throw new FlagError(`unknown shorthand flag: '${c}' in ${s}`);
      if (shorts.length > 2 && shorts[1] === "=") {
        flags.assign(spec, shorts.slice(2));
        shorts = "";
      } else if (spec.kind === "bool") {
        flags.assign(spec, "true");
        shorts = shorts.slice(1);
      } else if (shorts.length > 1) {
        flags.assign(spec, shorts.slice(1));
        shorts = "";
      } else if (rest.length > 0) {
        flags.assign(spec, rest.shift()!);
        shorts = "";
      } else {
        throw new FlagError(`flag needs an argument: '${c}' in -${c}`);
      }
    }
  }
  return { flags, args, help: flags.bool("help") };
}
