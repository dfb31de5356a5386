// runDocker: the docker command line on top of EngineApi.
//
//   const code = await runDocker(["run", "--rm", "busybox", "echo", "hi"], io, engine);
//
// Parses global flags, finds the command (docker ps, docker container ls,
// ...), parses its flags, checks its argument count, runs it, and turns
// errors into docker's messages and exit codes: 125 for flag errors and
// failures of run/create, the container's own status for attached runs,
// 1 for everything else.

import type { EngineApi } from "../core/engine-api.ts";
import { toBerthError } from "../core/errors.ts";
import type { CommandContext, CommandDef, GroupDef } from "./command.ts";
import { commandPathString } from "./command.ts";
import { COMMANDS, COMMON_ORDER, GROUPS } from "./commands/index.ts";
import { daemonMessage } from "./commands/shared.ts";
import { CLI_API_VERSION, CLI_VERSION } from "./commands/system.ts";
import { CliError, ExitStatus, UsageError } from "./errors.ts";
import { FlagError, parseFlags, type FlagSpec } from "./flags.ts";
import { commandHelp, groupHelp, rootHelp, type SubcommandEntry } from "./help.ts";
import type { CliIO } from "./io.ts";

export const GLOBAL_FLAGS: FlagSpec[] = [
  { name: "debug", short: "D", kind: "bool", usage: "Enable debug mode" },
  { name: "version", short: "v", kind: "bool", usage: "Print version information and quit" },
];

const DESCRIPTION = "A self-sufficient runtime for containers, here in a Linux guest that runs in the page (Berth)";

const byPath = new Map<string, CommandDef>();
for (const cmd of COMMANDS) for (const p of cmd.paths) byPath.set(p.join(" "), cmd);
const groupByName = new Map(GROUPS.map((g) => [g.name, g]));

/** All commands (for help tests and completion). */
export function allCommands(): readonly CommandDef[] {
  return COMMANDS;
}

export function allGroups(): readonly GroupDef[] {
  return GROUPS;
}

/** Sub-commands of a group, by the name they have there (aliases left out). */
export function groupEntries(group: string): SubcommandEntry[] {
  const out: SubcommandEntry[] = [];
  for (const cmd of COMMANDS) {
    const p = cmd.paths.find((x) => x.length === 2 && x[0] === group);
    if (p) out.push({ name: p[1]!, short: cmd.short });
  }
  return out;
}

/** Every word that names a sub-command of a group (aliases included). */
export function groupWords(group: string): string[] {
  const out: string[] = [];
  for (const cmd of COMMANDS) for (const p of cmd.paths) if (p.length === 2 && p[0] === group) out.push(p[1]!);
  return out;
}

export function topLevelWords(): string[] {
  const out = new Set<string>(GROUPS.map((g) => g.name));
  for (const cmd of COMMANDS) for (const p of cmd.paths) if (p.length === 1) out.add(p[0]!);
  out.add("help");
  return [...out].sort();
}

export function rootHelpText(): string {
  const top = new Map<string, CommandDef>();
  for (const cmd of COMMANDS) for (const p of cmd.paths) if (p.length === 1) top.set(p[0]!, cmd);
  const common = COMMON_ORDER.filter((n) => top.has(n)).map((n) => ({ name: n, short: top.get(n)!.short }));
  const commands = [...top.entries()].filter(([n]) => !COMMON_ORDER.includes(n)).map(([name, c]) => ({ name, short: c.short }));
  return rootHelp({ description: DESCRIPTION, common, management: GROUPS.map((g) => ({ name: g.name, short: g.short })), commands, globalFlags: GLOBAL_FLAGS });
}

export type Resolved =
  | { kind: "command"; cmd: CommandDef; path: string[]; rest: string[] }
  | { kind: "group"; group: GroupDef; rest: string[] }
  | { kind: "unknown"; words: string[]; group?: GroupDef };

/** Finds the command named by the first words of `args`. */
export function resolveCommand(args: readonly string[]): Resolved {
  const [first, second, ...rest] = args;
  if (first === undefined) return { kind: "unknown", words: [] };
  const group = groupByName.get(first);
  if (group) {
    if (second !== undefined && !second.startsWith("-")) {
      const cmd = byPath.get(`${first} ${second}`);
      if (cmd) return { kind: "command", cmd, path: [first, second], rest };
      return { kind: "unknown", words: [first, second], group };
    }
    return { kind: "group", group, rest: args.slice(1) };
  }
  const cmd = byPath.get(first);
  if (cmd) return { kind: "command", cmd, path: [first], rest: args.slice(1) };
  return { kind: "unknown", words: [first] };
}

function plural(n: number): string {
  return n === 1 ? "argument" : "arguments";
}

/** docker's argument-count message, or undefined when the count is fine. */
export function argsProblem(cmd: CommandDef, path: readonly string[], n: number): string | undefined {
  const name = JSON.stringify(commandPathString(path));
  const { min, max } = cmd.args ?? {};
  let problem: string | undefined;
  if (max === 0 && n > 0) problem = `${name} accepts no arguments.`;
  else if (min !== undefined && max !== undefined && min === max && n !== min) problem = `${name} requires exactly ${min} ${plural(min)}.`;
  else if (min !== undefined && max !== undefined && min > 0 && (n < min || n > max)) problem = `${name} requires at least ${min} and at most ${max} ${plural(max)}.`;
  else if (min !== undefined && n < min) problem = `${name} requires at least ${min} ${plural(min)}.`;
  else if (max !== undefined && n > max) problem = `${name} requires at most ${max} ${plural(max)}.`;
  if (!problem) return undefined;
  const usage = `Usage:  ${commandPathString(path)}${cmd.usage ? " " + cmd.usage : ""}`;
  return `${problem}\nSee '${commandPathString(path)} --help'.\n\n${usage}\n\n${cmd.short}`;
}

function line(text: string): string {
  return text.endsWith("\n") ? text : text + "\n";
}

/** Runs one docker command line; resolves with its exit status. Never throws. */
export async function runDocker(argv: readonly string[], io: CliIO, engine: EngineApi): Promise<number> {
  const err = (t: string) => io.stderr(line(t));
  let global;
  try {
    global = parseFlags(argv, GLOBAL_FLAGS, { interspersed: false });
  } catch (e) {
    if (e instanceof FlagError) {
      err(`${e.message}\nSee 'docker --help'.`);
      return 125;
    }
    throw e;
  }
  if (global.help) {
    io.stdout(rootHelpText());
    return 0;
  }
  if (global.flags.bool("version")) {
    io.stdout(`Berth version ${CLI_VERSION} (docker CLI API ${CLI_API_VERSION})\n`);
    return 0;
  }
  const debug = global.flags.bool("debug");
  let args = global.args;
  if (args.length === 0) {
    io.stdout(rootHelpText());
    return 0;
  }
  // docker help [COMMAND...]
  let helpOnly = false;
  if (args[0] === "help") {
    args = args.slice(1);
    if (args.length === 0) {
      io.stdout(rootHelpText());
      return 0;
    }
    helpOnly = true;
  }
  const resolved = resolveCommand(args);
  if (resolved.kind === "unknown") {
    if (resolved.group) err(`docker: '${resolved.words.join(" ")}' is not a docker command.\nSee 'docker ${resolved.group.name} --help'`);
    else err(`docker: '${resolved.words[0]}' is not a docker command.\nSee 'docker --help'`);
    return 1;
  }
  if (resolved.kind === "group") {
    const rest = resolved.rest;
    if (helpOnly || rest.length === 0 || rest.every((a) => a === "--help" || a === "-h")) {
      io.stdout(groupHelp(resolved.group, groupEntries(resolved.group.name)));
      return 0;
    }
    err(`unknown flag: ${rest[0]}\nSee 'docker ${resolved.group.name} --help'.`);
    return 125;
  }
  const { cmd, path, rest } = resolved;
  const pathText = commandPathString(path);
  if (helpOnly) {
    io.stdout(commandHelp(cmd, path));
    return 0;
  }
  let parsed;
  try {
    parsed = parseFlags(rest, cmd.flags, { interspersed: cmd.interspersed ?? true });
  } catch (e) {
    if (e instanceof FlagError) {
      err(`${e.message}\nSee '${pathText} --help'.`);
      return 125;
    }
    throw e;
  }
  if (parsed.help) {
    io.stdout(commandHelp(cmd, path));
    return 0;
  }
  const problem = argsProblem(cmd, path, parsed.args.length);
  if (problem) {
    err(problem);
    return 1;
  }
  const ctx: CommandContext = {
    io,
    engine,
    path: pathText,
    command: cmd,
    flags: parsed.flags,
    args: parsed.args,
    out: (t) => io.stdout(t),
    err: (t) => io.stderr(t),
    now: () => (io.now ? io.now() : Date.now()),
    debug,
  };
  try {
    const status = await cmd.run(ctx);
    return typeof status === "number" ? status : 0;
  } catch (e) {
    return reportError(ctx, e);
  }
}

function reportError(ctx: CommandContext, e: unknown): number {
  const err = (t: string) => ctx.io.stderr(line(t));
  const dockerStyle = ctx.command.errorStyle === "docker";
  if (e instanceof ExitStatus) return e.status;
  if (e instanceof UsageError) {
    err(dockerStyle ? `docker: ${e.message.replace(/\.$/, "")}.\nSee '${ctx.path} --help'.` : `${e.message}\nSee '${ctx.path} --help'.`);
    return e.status;
  }
  if (e instanceof CliError) {
    err(e.message);
    return e.status;
  }
  const be = toBerthError(e);
  const message = daemonMessage(be);
  err(dockerStyle ? `docker: ${message.replace(/\.$/, "")}.\nSee '${ctx.path} --help'.` : message);
  if (ctx.debug) {
    err(`[${be.kind}]${Object.keys(be.details).length ? " " + JSON.stringify(be.details) : ""}`);
    if (be.stack) err(be.stack);
  }
  if (be.kind === "cancelled") return 130;
  return dockerStyle ? 125 : 1;
}
