// Walks a stage the way the builder will run it, tracking what is in scope
// (ENV, ARG, WORKDIR, SHELL, USER) and expanding variables where Docker
// does: ADD COPY ENV EXPOSE FROM LABEL STOPSIGNAL USER VOLUME WORKDIR, ARG
// defaults, --chown/--chmod/--from/--exclude/--checksum and RUN --mount values.
// RUN, CMD, ENTRYPOINT (the shell expands those), SHELL, HEALTHCHECK,
// MAINTAINER and ONBUILD triggers (expanded in the child build) stay as written.
//
// Scoping, as documented by Docker:
//  - ARGs before the first FROM are global: they can be used in FROM lines;
//    inside a stage a global ARG is visible only after `ARG NAME` redeclares it.
//  - --build-arg values replace an ARG's default; they are used as given (not expanded).
//  - ENV wins over an ARG of the same name.
//  - An ARG's scope ends with its stage; ENV carries over to stages built FROM this one.

import { BerthError, toBerthError } from "../core/errors.ts";
import { expandWord, expandWords } from "./expand.ts";
import { chompHeredoc } from "./parser.ts";
import type {
  BuildPlan,
  CopySource,
  FromInstruction,
  Instruction,
  RunInstruction,
  Stage,
  StageBase,
} from "./types.ts";
import { ValueError, addSource, checkChmod, checkSignal, parseMount, parsePortSpec, splitUser } from "./values.ts";
import { parseHeredocWord } from "./words.ts";

/** Build args that every RUN sees without an ARG, and that stay out of cache keys (as in Docker). */
export const PROXY_ARGS = [
  "HTTP_PROXY",
  "http_proxy",
  "HTTPS_PROXY",
  "https_proxy",
  "FTP_PROXY",
  "ftp_proxy",
  "NO_PROXY",
  "no_proxy",
  "ALL_PROXY",
  "all_proxy",
] as const;

export const DEFAULT_SHELL = ["/bin/sh", "-c"];

export interface ExpandOptions {
  /** --build-arg NAME=VALUE. */
  buildArgs?: Record<string, string>;
  /** Automatic global args (see platformArgs): usable in FROM, and in a stage after `ARG NAME`. */
  builtinArgs?: Record<string, string>;
  /** What the base image (or base stage) brings. */
  base?: Partial<Scope>;
  /** File name for error messages; default "Dockerfile". */
  file?: string;
}

/** What is in effect at a point of a stage. */
export interface Scope {
  /** Image environment (ENV, and the base image's). */
  env: Record<string, string>;
  /** ARGs declared in this stage that have a value. */
  args: Record<string, string>;
  workdir: string;
  shell: string[];
  user: string;
}

export interface ExpandedStep {
  /** The instruction with its values expanded (same shape as parsed). */
  instruction: Instruction;
  /** The scope the instruction runs in (before its own effect). */
  scope: Scope;
}

export interface ExpandedFrom {
  /** FROM with image and platform expanded by the global args. */
  from: FromInstruction;
  base: StageBase;
}

export interface ExpandedStage extends ExpandedFrom {
  stage: Stage;
  steps: ExpandedStep[];
  /** The scope after the last instruction (what a stage FROM this one starts with, less the ARGs). */
  final: Scope;
  /** Proxy build args given (PROXY_ARGS): RUN sees them without an ARG. */
  proxyArgs: Record<string, string>;
}

/** TARGETPLATFORM, TARGETOS, ... BUILDVARIANT for "os/arch[/variant]" platforms. */
export function platformArgs(target: string, build: string = target): Record<string, string> {
  const split = (p: string): [string, string, string] => {
    const [os = "", arch = "", variant = ""] = p.split("/");
    return [os, arch, variant];
  };
  const [tos, tarch, tvar] = split(target);
  const [bos, barch, bvar] = split(build);
  return {
    TARGETPLATFORM: target,
    TARGETOS: tos,
    TARGETARCH: tarch,
    TARGETVARIANT: tvar,
    BUILDPLATFORM: build,
    BUILDOS: bos,
    BUILDARCH: barch,
    BUILDVARIANT: bvar,
  };
}

function located(err: unknown, file: string, ins: { range: { start: { line: number; column: number } } }): BerthError {
  const e = toBerthError(err, "invalid-argument");
  const line = ins.range.start.line;
  return new BerthError("invalid-argument", `${file}:${line}: ${e.message}`, { file, line, column: ins.range.start.column }, { cause: err });
}

/**
 * The global (meta) args: builtins, then ARGs before the first FROM in order,
 * each taking its --build-arg value or its default (expanded by the earlier ones).
 * A name declared without a value maps to undefined.
 */
export function resolveGlobalArgs(plan: BuildPlan, options: ExpandOptions = {}): Map<string, string | undefined> {
  const file = options.file ?? "Dockerfile";
  const meta = new Map<string, string | undefined>(Object.entries(options.builtinArgs ?? {}));
  const build = options.buildArgs ?? {};
  for (const ins of plan.globalArgs) {
    for (const def of ins.args) {
      try {
        const lookup = (n: string): string | undefined => meta.get(n);
        const escape = plan.directives.escape;
        const name = expandWord(def.name, lookup, { escape });
        if (Object.hasOwn(build, name)) meta.set(name, build[name]);
        else if (def.default !== null) meta.set(name, expandWord(def.default, lookup, { escape }));
        else if (!meta.has(name)) meta.set(name, undefined);
      } catch (err) {
        throw located(err, file, ins);
      }
    }
  }
  return meta;
}

/** Expands a stage's FROM with the global args and says what it builds on. Throws BerthError. */
export function expandFrom(plan: BuildPlan, stage: Stage | number, options: ExpandOptions = {}): ExpandedFrom {
  const st = typeof stage === "number" ? plan.stages[stage]! : stage;
  const file = options.file ?? "Dockerfile";
  const meta = resolveGlobalArgs(plan, options);
  const lookup = (n: string): string | undefined => meta.get(n);
  const escape = plan.directives.escape;
  const from = st.from;
  try {
    const image = expandWord(from.image, lookup, { escape });
    if (image === "") throw new BerthError("invalid-argument", `base name (${from.image}) should not be blank`);
    const platform = from.platform === null ? null : expandWord(from.platform, lookup, { escape });
    let base: StageBase;
    if (image === "scratch") base = { kind: "scratch" };
    else {
      const earlier = plan.stages.find((s) => s.index < st.index && s.name === image.toLowerCase());
      base = earlier ? { kind: "stage", index: earlier.index, name: earlier.name! } : { kind: "image", ref: image };
    }
    return { from: { ...from, image, platform }, base };
  } catch (err) {
    throw located(err, file, from);
  }
}

/** Joins a WORKDIR onto the current one as Docker does. */
export function resolveWorkdir(current: string, path: string): string {
  if (path.startsWith("/")) return path;
  const parts: string[] = [];
  for (const p of `${current}/${path}`.split("/")) {
    if (p === "" || p === ".") continue;
    if (p === "..") parts.pop();
    else parts.push(p);
  }
  return "/" + parts.join("/");
}

/**
 * Walks a stage: each instruction with its values expanded and the scope it
 * runs in. For the builder's cache keys and execution. Throws BerthError
 * (with file and line) for expansion errors such as ${X:?message}.
 */
export function expandStage(plan: BuildPlan, stage: Stage | number, options: ExpandOptions = {}): ExpandedStage {
  const st = typeof stage === "number" ? plan.stages[stage]! : stage;
  const file = options.file ?? "Dockerfile";
  const escape = plan.directives.escape;
  const buildArgs = options.buildArgs ?? {};
  const meta = resolveGlobalArgs(plan, options);
  const head = expandFrom(plan, st, options);

  const env: Record<string, string> = { ...(options.base?.env ?? {}) };
  const args = new Map<string, string | undefined>();
  let workdir = options.base?.workdir || "/";
  let shell = options.base?.shell?.length ? [...options.base.shell] : [...DEFAULT_SHELL];
  let user = options.base?.user ?? "";

  const lookup = (n: string): string | undefined => (Object.hasOwn(env, n) ? env[n] : args.get(n));
  const x = (word: string): string => expandWord(word, lookup, { escape });
  const xn = (word: string | null): string | null => (word === null ? null : x(word));
  const snapshot = (): Scope => {
    const a: Record<string, string> = {};
    for (const [k, v] of args) if (v !== undefined) a[k] = v;
    return { env: { ...env }, args: a, workdir, shell: [...shell], user };
  };
  const check = (fn: () => void): void => {
    try {
      fn();
    } catch (err) {
      if (err instanceof ValueError) throw new BerthError("invalid-argument", err.message);
      throw err;
    }
  };
  const sources = (list: CopySource[], add: boolean): CopySource[] =>
    list.map((s) => {
      switch (s.kind) {
        case "heredoc":
          return s.expand ? { ...s, content: expandWord(s.content, lookup, { skipProcessQuotes: true }) } : s;
        case "path":
          return add ? addSource(x(s.path)) : { kind: "path", path: x(s.path) };
        default:
          return addSource(x(s.url));
      }
    });

  const steps: ExpandedStep[] = [];
  for (const ins of st.instructions) {
    const scope = snapshot();
    let out: Instruction = ins;
    try {
      switch (ins.keyword) {
        case "ENV": {
          const pairs = ins.pairs.map((p) => ({ key: x(p.key), value: x(p.value) }));
          for (const p of pairs) env[p.key] = p.value;
          out = { ...ins, pairs };
          break;
        }
        case "ARG": {
          const defs = ins.args.map((d) => {
            const name = x(d.name);
            let value: string | undefined;
            if (Object.hasOwn(buildArgs, name)) value = buildArgs[name];
            else if (d.default !== null) value = x(d.default);
            else value = meta.get(name);
            args.set(name, value);
            return { name, default: value ?? null };
          });
          out = { ...ins, args: defs };
          break;
        }
        case "LABEL":
          out = { ...ins, pairs: ins.pairs.map((p) => ({ key: x(p.key), value: x(p.value) })) };
          break;
        case "COPY":
        case "ADD": {
          const common = {
            sources: sources(ins.sources, ins.keyword === "ADD"),
            dest: x(ins.dest),
            chown: xn(ins.chown),
            chmod: xn(ins.chmod),
            exclude: ins.exclude.map(x),
          };
          if (common.chmod !== null) check(() => checkChmod(common.chmod!));
          out =
            ins.keyword === "COPY"
              ? { ...ins, ...common, from: xn(ins.from) }
              : { ...ins, ...common, checksum: xn(ins.checksum) };
          break;
        }
        case "EXPOSE": {
          const ports: string[] = [];
          for (const raw of ins.ports) {
            for (const word of expandWords(raw, lookup, { escape })) {
              check(() => {
                const p = parsePortSpec(word);
                for (let n = p.start; n <= p.end; n++) ports.push(`${n}/${p.protocol}`);
              });
            }
          }
          out = { ...ins, ports };
          break;
        }
        case "WORKDIR": {
          workdir = resolveWorkdir(workdir, x(ins.path));
          out = { ...ins, path: workdir };
          break;
        }
        case "USER": {
          const value = x(ins.value);
          user = value;
          out = { ...ins, value, ...splitUser(value) };
          break;
        }
        case "VOLUME":
          out = { ...ins, paths: ins.paths.map(x) };
          break;
        case "STOPSIGNAL": {
          const signal = x(ins.signal);
          check(() => checkSignal(signal));
          out = { ...ins, signal };
          break;
        }
        case "SHELL":
          shell = [...ins.shell];
          break;
        case "RUN":
          if (ins.mounts.length > 0) {
            out = { ...ins, mounts: ins.mounts.map((m) => parseMountChecked(m.raw, x)) };
          }
          break;
        default:
          break;
      }
    } catch (err) {
      throw located(err, file, ins);
    }
    steps.push({ instruction: out, scope });
  }

  const proxyArgs: Record<string, string> = {};
  for (const name of PROXY_ARGS) if (Object.hasOwn(buildArgs, name)) proxyArgs[name] = buildArgs[name]!;
  return { ...head, stage: st, steps, final: snapshot(), proxyArgs };
}

function parseMountChecked(raw: string, x: (s: string) => string) {
  try {
    return parseMount(raw, x);
  } catch (err) {
    if (err instanceof ValueError) throw new BerthError("invalid-argument", err.message);
    throw err;
  }
}

/** Names in buildArgs that no ARG (global or in `stages`) declares; proxy args excepted. */
export function unusedBuildArgs(plan: BuildPlan, buildArgs: Record<string, string>, stages: Stage[] = plan.stages): string[] {
  const declared = new Set<string>(PROXY_ARGS);
  for (const ins of plan.globalArgs) for (const d of ins.args) declared.add(d.name);
  for (const s of stages) {
    for (const ins of s.instructions) if (ins.keyword === "ARG") for (const d of ins.args) declared.add(d.name);
  }
  return Object.keys(buildArgs)
    .filter((k) => !declared.has(k))
    .sort();
}

/**
 * The process a RUN starts, as BuildKit builds it. Exec form runs as is;
 * shell form runs under `shell`. A RUN that is just one heredoc runs the
 * heredoc's body as the script; if the body starts with #!, it is written
 * to /dev/pipes/<name> (mode 0755) and run from there. Other heredocs are
 * given to the shell along with the command line.
 */
export function runCommand(
  run: RunInstruction,
  shell: string[] = DEFAULT_SHELL,
): { args: string[]; file?: { path: string; content: string; mode: number } } {
  if (run.command.form === "exec") return { args: [...run.command.args] };
  const script = run.command.script;
  if (run.heredocs.length === 0) return { args: [...shell, script] };
  const first = run.heredocs[0]!;
  if (parseHeredocWord(script)) {
    const data = first.chomp ? chompHeredoc(first.content) : first.content;
    if (data.startsWith("#!")) {
      const path = `/dev/pipes/${first.name}`;
      return { args: [...shell, path], file: { path, content: data, mode: 0o755 } };
    }
    return { args: [...shell, data] };
  }
  let full = script;
  for (const h of run.heredocs) full += "\n" + h.content + h.name;
  return { args: [...shell, full] };
}
