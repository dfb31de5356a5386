// Logical lines -> typed instructions, with Docker's checks and messages
// (BuildKit frontend/dockerfile/instructions). Never throws: every problem
// becomes a Diagnostic with a range; an instruction with an error is left out.

import type {
  AddInstruction,
  ArgDefinition,
  Command,
  CopyInstruction,
  CopySource,
  Diagnostic,
  Heredoc,
  Instruction,
  KeyValue,
  Mount,
  ParseResult,
  Range,
} from "./types.ts";
import { lex } from "./lexer.ts";
import type { LogicalLine } from "./source.ts";
import { comparePositions } from "./source.ts";
import {
  ValueError,
  addSource,
  checkChmod,
  checkSignal,
  parseDuration,
  parseMount,
  parsePortSpec,
  splitUser,
  suggest,
} from "./values.ts";
import { type Token, parseHeredocWord, parseJsonArray, parseWords, splitCommand, splitWhitespace } from "./words.ts";

export const KEYWORDS = [
  "ADD",
  "ARG",
  "CMD",
  "COPY",
  "ENTRYPOINT",
  "ENV",
  "EXPOSE",
  "FROM",
  "HEALTHCHECK",
  "LABEL",
  "MAINTAINER",
  "ONBUILD",
  "RUN",
  "SHELL",
  "STOPSIGNAL",
  "USER",
  "VOLUME",
  "WORKDIR",
] as const;

const STAGE_NAME_RE = /^[a-z][a-z0-9-_.]*$/;

/** An error in one instruction; `at` is the token to point at (default: the instruction). */
class Fail extends Error {
  constructor(
    message: string,
    readonly at?: Token | Range,
  ) {
    super(message);
  }
}

type FlagKind = "string" | "strings" | "bool";

class Ctx {
  constructor(
    readonly line: LogicalLine,
    readonly escape: string,
    readonly heredocs: Heredoc[],
    readonly whole: Range,
    readonly diagnostics: Diagnostic[],
  ) {}

  get text(): string {
    return this.line.text;
  }

  range(at: Token | Range | undefined): Range {
    if (!at) return this.whole;
    if ("start" in at && typeof at.start === "number") {
      const t = at as Token;
      return this.line.range(t.start, t.end);
    }
    return at as Range;
  }

  warn(code: string, message: string, at?: Token): void {
    this.diagnostics.push({ severity: "warning", code, message, range: this.range(at) });
  }
}

type FlagValues = Map<string, string[]>;

/** Docker's BFlags: `--name=value` strings, repeatable strings, and booleans. */
function parseFlags(flags: Token[], defs: Record<string, FlagKind>): FlagValues {
  const out: FlagValues = new Map();
  for (const f of flags) {
    if (!f.text.startsWith("--")) throw new Fail(`arg should start with -- : ${f.text}`, f);
    const body = f.text.slice(2);
    const eq = body.indexOf("=");
    const name = eq < 0 ? body : body.slice(0, eq);
    const value = eq < 0 ? "" : body.slice(eq + 1);
    const kind = defs[name];
    if (!kind) {
      const hint = suggest(name, Object.keys(defs));
      throw new Fail(`unknown flag: --${name}${hint ? ` (did you mean --${hint}?)` : ""}`, f);
    }
    if (out.has(name) && kind !== "strings") throw new Fail(`duplicate flag specified: --${name}`, f);
    if (kind === "bool") {
      if (eq >= 0 && value === "") throw new Fail(`missing a value on flag: --${name}`, f);
      const v = value.toLowerCase();
      if (v !== "" && v !== "true" && v !== "false") {
        throw new Fail(`expecting boolean value for flag --${name}, not: ${value}`, f);
      }
      out.set(name, [v === "false" ? "false" : "true"]);
    } else {
      if (eq < 0) throw new Fail(`missing a value on flag: --${name}`, f);
      out.set(name, [...(out.get(name) ?? []), value]);
    }
  }
  return out;
}

const str = (v: FlagValues, name: string): string | null => v.get(name)?.[0] ?? null;
const bool = (v: FlagValues, name: string): boolean | null => (v.has(name) ? v.get(name)![0] === "true" : null);

function jsonStringsError(at: Token): Fail {
  return new Fail("when using JSON array syntax, arrays must be comprised of strings only", at);
}

/** RUN, CMD, ENTRYPOINT, SHELL: JSON array when it parses as one, otherwise shell form. */
function maybeJson(args: Token | null): Command {
  if (!args) return { form: "shell", script: "" };
  const j = parseJsonArray(args.text);
  if (j.ok) return { form: "exec", args: j.values };
  if (j.notStrings) throw jsonStringsError(args);
  return { form: "shell", script: args.text };
}

/** COPY, ADD, VOLUME: JSON array, or words split on white space. */
function maybeJsonList(ctx: Ctx, args: Token | null): { values: string[]; tokens: Token[] | null } {
  if (!args) return { values: [], tokens: [] };
  const j = parseJsonArray(args.text);
  if (j.ok) return { values: j.values, tokens: null };
  if (j.notStrings) throw jsonStringsError(args);
  const tokens = splitWhitespace(ctx.text, args.start, args.end);
  return { values: tokens.map((t) => t.text), tokens };
}

/** ENV and LABEL: `k=v k2=v2` or the legacy `k v`. Values stay as written. */
function nameValues(ctx: Ctx, keyword: string, args: Token | null, at: Token): KeyValue[] {
  if (!args) throw new Fail(`${keyword} requires at least one argument`, at);
  const words = parseWords(ctx.text, args.start, args.end, ctx.escape);
  if (words.length === 0) throw new Fail(`${keyword} requires at least one argument`, at);
  if (!words[0]!.text.includes("=")) {
    const m = /[\t\v\f\r ]+/.exec(args.text);
    if (!m) throw new Fail(`${keyword} must have two arguments`, args);
    const key = args.text.slice(0, m.index);
    ctx.warn(
      "LegacyKeyValueFormat",
      `"${keyword} key=value" should be used instead of legacy "${keyword} key value" format`,
      args,
    );
    return [{ key, value: args.text.slice(m.index + m[0].length) }];
  }
  return words.map((w) => {
    const eq = w.text.indexOf("=");
    if (eq < 0) throw new Fail(`Syntax error - can't find = in "${w.text}". Must be of the form: name=value`, w);
    if (eq === 0) throw new Fail(`${keyword} names can not be blank`, w);
    return { key: w.text.slice(0, eq), value: w.text.slice(eq + 1) };
  });
}

function exactlyOne(keyword: string, args: Token | null, at: Token): string {
  if (!args) throw new Fail(`${keyword} requires exactly one argument`, at);
  return args.text;
}

const hasVar = (s: string): boolean => s.includes("$");

function copySources(
  ctx: Ctx,
  keyword: "COPY" | "ADD",
  values: string[],
  tokens: Token[] | null,
  args: Token | null,
  at: Token,
): { sources: CopySource[]; dest: string } {
  if (values.length === 0) throw new Fail(`${keyword} requires at least two arguments`, at);
  if (values.length === 1) {
    throw new Fail(
      `${keyword} requires at least two arguments, but only one was provided. Destination could not be determined`,
      tokens?.[0] ?? args ?? at,
    );
  }
  const tok = (i: number): Token | undefined => tokens?.[i] ?? args ?? undefined;
  const dest = values[values.length - 1]!;
  if (parseHeredocWord(dest)) throw new Fail(`${keyword} cannot accept a heredoc as a destination`, tok(values.length - 1));
  const sources: CopySource[] = values.slice(0, -1).map((src, i) => {
    const h = parseHeredocWord(src);
    if (h) {
      const doc = ctx.heredocs.find((d) => d.name === h.name);
      const raw = doc?.content ?? "";
      return { kind: "heredoc", name: h.name, content: h.chomp ? chompHeredoc(raw) : raw, expand: h.expand };
    }
    if (keyword === "COPY") {
      if (/^https?:\/\//i.test(src)) throw new Fail(`source can't be a URL for COPY`, tok(i));
      return { kind: "path", path: src };
    }
    return addSource(src);
  });
  return { sources, dest };
}

/** Strips leading tabs from every line, as `<<-` asks. */
export function chompHeredoc(content: string): string {
  return content.replace(/^\t+/gm, "");
}

function parseDurationFlag(v: FlagValues, name: string, at: Token): number | null {
  const s = str(v, name);
  if (s === null || s === "") return null;
  let d: number;
  try {
    d = parseDuration(s);
  } catch (err) {
    throw new Fail((err as Error).message, at);
  }
  if (d === 0) return 0;
  if (d < 1e6) throw new Fail(`Interval "${name}" cannot be less than 1ms`, at);
  return d;
}

function flagToken(flags: Token[], name: string): Token | undefined {
  return flags.find((f) => f.text === `--${name}` || f.text.startsWith(`--${name}=`));
}

/** Parses the instruction in ctx.text[from, to). */
function parseInstruction(ctx: Ctx, from: number, to: number, inOnbuild: boolean): Instruction {
  const sc = splitCommand(ctx.text, from, to);
  const kwTok = sc.keyword;
  const keyword = kwTok.text.toUpperCase();
  const { flags, args } = sc;
  const base = { range: ctx.whole, original: ctx.text.slice(kwTok.start, to).trim() };
  if (inOnbuild) base.range = ctx.line.range(kwTok.start, to);
  const noFlags = (): void => void parseFlags(flags, {});
  const valueCheck = (fn: () => void, at?: Token): void => {
    try {
      fn();
    } catch (err) {
      if (err instanceof ValueError) throw new Fail(err.message, at);
      throw err;
    }
  };

  switch (keyword) {
    case "FROM": {
      const words = args ? splitWhitespace(ctx.text, args.start, args.end) : [];
      let stageName: string | null = null;
      if (words.length === 3 && words[1]!.text.toLowerCase() === "as") {
        stageName = words[2]!.text.toLowerCase();
        if (!STAGE_NAME_RE.test(stageName)) {
          throw new Fail(
            `invalid name for build stage: ${JSON.stringify(words[2]!.text)}, name can't start with a number or contain symbols`,
            words[2],
          );
        }
      } else if (words.length !== 1) {
        throw new Fail("FROM requires either one or three arguments", args ?? kwTok);
      }
      const v = parseFlags(flags, { platform: "string" });
      return { ...base, keyword: "FROM", image: words[0]!.text, stageName, platform: str(v, "platform") };
    }
    case "RUN": {
      const v = parseFlags(flags, { mount: "strings", network: "string", security: "string" });
      if (!args) throw new Fail("RUN requires at least one argument", kwTok);
      const command = maybeJson(args);
      const mounts: Mount[] = (v.get("mount") ?? []).map((raw) => {
        const at = flags.find((f) => f.text.startsWith("--mount"));
        try {
          return parseMount(raw);
        } catch (err) {
          if (err instanceof ValueError) throw new Fail(err.message, at);
          throw err;
        }
      });
      const network = str(v, "network");
      if (network !== null && !hasVar(network) && !["default", "none", "host"].includes(network)) {
        throw new Fail(`unsupported network mode ${JSON.stringify(network)}`, flagToken(flags, "network"));
      }
      const security = str(v, "security");
      if (security !== null && !hasVar(security) && !["sandbox", "insecure"].includes(security)) {
        throw new Fail(`unsupported security mode ${JSON.stringify(security)}`, flagToken(flags, "security"));
      }
      return {
        ...base,
        keyword: "RUN",
        command,
        heredocs: command.form === "shell" ? ctx.heredocs : [],
        mounts,
        network,
        security,
      };
    }
    case "CMD":
    case "ENTRYPOINT": {
      noFlags();
      const command = maybeJson(args);
      return keyword === "CMD" ? { ...base, keyword, command } : { ...base, keyword: "ENTRYPOINT", command };
    }
    case "SHELL": {
      noFlags();
      const command = maybeJson(args);
      if (command.form === "shell" && command.script !== "") {
        throw new Fail("SHELL requires the arguments to be in JSON form", args ?? kwTok);
      }
      if (command.form === "shell" || command.args.length === 0) {
        throw new Fail("SHELL requires at least one argument", args ?? kwTok);
      }
      return { ...base, keyword: "SHELL", shell: command.args };
    }
    case "ENV":
    case "LABEL": {
      const pairs = nameValues(ctx, keyword, args, kwTok);
      noFlags();
      return keyword === "ENV" ? { ...base, keyword: "ENV", pairs } : { ...base, keyword: "LABEL", pairs };
    }
    case "ARG": {
      const words = args ? parseWords(ctx.text, args.start, args.end, ctx.escape) : [];
      if (words.length === 0) throw new Fail("ARG requires at least one argument", kwTok);
      noFlags();
      const defs: ArgDefinition[] = words.map((w) => {
        const eq = w.text.indexOf("=");
        const name = eq < 0 ? w.text : w.text.slice(0, eq);
        if (name === "") throw new Fail("ARG names can not be blank", w);
        return { name, default: eq < 0 ? null : w.text.slice(eq + 1) };
      });
      return { ...base, keyword: "ARG", args: defs };
    }
    case "EXPOSE": {
      const words = args ? splitWhitespace(ctx.text, args.start, args.end) : [];
      if (words.length === 0) throw new Fail("EXPOSE requires at least one argument", kwTok);
      noFlags();
      for (const w of words) if (!hasVar(w.text)) valueCheck(() => parsePortSpec(w.text), w);
      return { ...base, keyword: "EXPOSE", ports: words.map((w) => w.text) };
    }
    case "WORKDIR": {
      const path = exactlyOne("WORKDIR", args, kwTok);
      noFlags();
      return { ...base, keyword: "WORKDIR", path };
    }
    case "USER": {
      const value = exactlyOne("USER", args, kwTok);
      noFlags();
      return { ...base, keyword: "USER", value, ...splitUser(value) };
    }
    case "STOPSIGNAL": {
      const signal = exactlyOne("STOPSIGNAL", args, kwTok);
      noFlags();
      if (!hasVar(signal)) valueCheck(() => checkSignal(signal), args!);
      return { ...base, keyword: "STOPSIGNAL", signal };
    }
    case "MAINTAINER": {
      const name = exactlyOne("MAINTAINER", args, kwTok);
      noFlags();
      ctx.warn("MaintainerDeprecated", "MAINTAINER instruction is deprecated in favor of using LABEL", kwTok);
      return { ...base, keyword: "MAINTAINER", name };
    }
    case "VOLUME": {
      const { values, tokens } = maybeJsonList(ctx, args);
      if (values.length === 0) throw new Fail("VOLUME requires at least one argument", args ?? kwTok);
      noFlags();
      values.forEach((p, i) => {
        if (p.trim() === "") throw new Fail("VOLUME specified can not be an empty string", tokens?.[i] ?? args!);
      });
      return { ...base, keyword: "VOLUME", paths: values };
    }
    case "COPY": {
      const { values, tokens } = maybeJsonList(ctx, args);
      const v = parseFlags(flags, {
        from: "string",
        chown: "string",
        chmod: "string",
        link: "bool",
        parents: "bool",
        exclude: "strings",
      });
      const { sources, dest } = copySources(ctx, "COPY", values, tokens, args, kwTok);
      const chmod = str(v, "chmod");
      if (chmod !== null && !hasVar(chmod)) valueCheck(() => checkChmod(chmod), flagToken(flags, "chmod"));
      const from = str(v, "from") || null; // Docker treats an empty --from= as no --from
      const ins: CopyInstruction = {
        ...base,
        keyword: "COPY",
        sources,
        dest,
        from,
        chown: str(v, "chown"),
        chmod,
        link: bool(v, "link") ?? false,
        parents: bool(v, "parents") ?? false,
        exclude: v.get("exclude") ?? [],
      };
      return ins;
    }
    case "ADD": {
      const { values, tokens } = maybeJsonList(ctx, args);
      const v = parseFlags(flags, {
        chown: "string",
        chmod: "string",
        link: "bool",
        "keep-git-dir": "bool",
        checksum: "string",
        unpack: "bool",
        exclude: "strings",
      });
      const { sources, dest } = copySources(ctx, "ADD", values, tokens, args, kwTok);
      const chmod = str(v, "chmod");
      if (chmod !== null && !hasVar(chmod)) valueCheck(() => checkChmod(chmod), flagToken(flags, "chmod"));
      const ins: AddInstruction = {
        ...base,
        keyword: "ADD",
        sources,
        dest,
        chown: str(v, "chown"),
        chmod,
        link: bool(v, "link") ?? false,
        keepGitDir: bool(v, "keep-git-dir"),
        checksum: str(v, "checksum"),
        unpack: bool(v, "unpack"),
        exclude: v.get("exclude") ?? [],
      };
      return ins;
    }
    case "HEALTHCHECK": {
      if (!args) throw new Fail("HEALTHCHECK requires at least one argument", kwTok);
      let sep = args.start;
      while (sep < args.end && !/\s/u.test(ctx.text[sep]!)) sep++;
      let rest = sep;
      while (rest < args.end && /\s/u.test(ctx.text[rest]!)) rest++;
      const typeTok: Token = { text: ctx.text.slice(args.start, sep), start: args.start, end: sep };
      const restTok: Token | null = rest < args.end ? { text: ctx.text.slice(rest, args.end), start: rest, end: args.end } : null;
      const type = typeTok.text.toUpperCase();
      const none = {
        ...base,
        keyword: "HEALTHCHECK" as const,
        command: null,
        interval: null,
        timeout: null,
        startPeriod: null,
        startInterval: null,
        retries: null,
      };
      if (type === "NONE") {
        if (restTok) throw new Fail("HEALTHCHECK NONE takes no arguments", restTok);
        return none;
      }
      const v = parseFlags(flags, {
        interval: "string",
        timeout: "string",
        "start-period": "string",
        "start-interval": "string",
        retries: "string",
      });
      if (type !== "CMD") throw new Fail(`Unknown type "${type}" in HEALTHCHECK (try CMD)`, typeTok);
      const command = maybeJson(restTok);
      if ((command.form === "shell" && command.script === "") || (command.form === "exec" && command.args.length === 0)) {
        throw new Fail("Missing command after HEALTHCHECK CMD", typeTok);
      }
      let retries: number | null = null;
      const r = str(v, "retries");
      if (r !== null && r !== "") {
        const at = flagToken(flags, "retries");
        if (!/^[+-]?\d+$/.test(r)) throw new Fail(`strconv.ParseInt: parsing ${JSON.stringify(r)}: invalid syntax`, at);
        retries = Number(r);
        if (retries < 0) throw new Fail(`--retries cannot be negative (${retries})`, at);
      }
      return {
        ...none,
        command,
        interval: parseDurationFlag(v, "interval", flagToken(flags, "interval")!),
        timeout: parseDurationFlag(v, "timeout", flagToken(flags, "timeout")!),
        startPeriod: parseDurationFlag(v, "start-period", flagToken(flags, "start-period")!),
        startInterval: parseDurationFlag(v, "start-interval", flagToken(flags, "start-interval")!),
        retries,
      };
    }
    case "ONBUILD": {
      if (!args) throw new Fail("ONBUILD requires at least one argument", kwTok);
      noFlags();
      const inner = splitCommand(ctx.text, args.start, args.end).keyword;
      const trig = inner.text.toUpperCase();
      if (trig === "ONBUILD") throw new Fail("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed", inner);
      if (trig === "MAINTAINER" || trig === "FROM") throw new Fail(`${trig} isn't allowed as an ONBUILD trigger`, inner);
      let expression = ctx.text.slice(args.start, to).replace(/\s+$/u, "");
      for (const h of ctx.heredocs) expression += "\n" + h.content + h.name;
      let trigger: Instruction | null = null;
      try {
        trigger = parseInstruction(ctx, args.start, args.end, true);
      } catch (err) {
        if (!(err instanceof Fail)) throw err;
        // Docker only checks a trigger when a child image is built from this one.
        ctx.diagnostics.push({
          severity: "warning",
          code: "InvalidOnbuildTrigger",
          message: `ONBUILD trigger will fail in images built FROM this one: ${err.message}`,
          range: ctx.range(err.at),
        });
      }
      return { ...base, keyword: "ONBUILD", trigger, expression };
    }
    default: {
      const hint = suggest(keyword, KEYWORDS);
      throw new Fail(`unknown instruction: ${keyword}${hint ? ` (did you mean ${hint}?)` : ""}`, kwTok);
    }
  }
}

/** Parses a Dockerfile into instructions and diagnostics. Never throws. */
export function parseDockerfile(text: string): ParseResult {
  const lexed = lex(text);
  const diagnostics: Diagnostic[] = [...lexed.diagnostics];
  const instructions: Instruction[] = [];
  for (const li of lexed.instructions) {
    const ctx = new Ctx(li.line, lexed.directives.escape, li.heredocs, li.range, diagnostics);
    try {
      instructions.push(parseInstruction(ctx, 0, li.line.text.length, false));
    } catch (err) {
      if (!(err instanceof Fail)) throw err;
      diagnostics.push({ severity: "error", message: err.message, range: ctx.range(err.at) });
    }
  }
  if (lexed.instructions.length === 0 && !diagnostics.some((d) => d.severity === "error")) {
    diagnostics.push({
      severity: "error",
      message: "file with no instructions",
      range: { start: { line: 1, column: 1 }, end: { line: 1, column: 1 } },
    });
  }
  sortDiagnostics(diagnostics);
  return { directives: lexed.directives, instructions, diagnostics };
}

export function sortDiagnostics(diagnostics: Diagnostic[]): void {
  diagnostics.sort((a, b) => comparePositions(a.range.start, b.range.start));
}
