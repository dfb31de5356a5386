// Helpers the command files share: flag declarations, per-target loops,
// prompts, local paths, and how engine errors are worded.

import { toBerthError } from "../../core/errors.ts";
import type { CommandContext } from "../command.ts";
import { CliError, ExitStatus, UsageError } from "../errors.ts";
import type { FlagSpec } from "../flags.ts";
import { readLine } from "../io.ts";
import type { CompletionKind } from "../complete-kinds.ts";
import { resolvePath } from "../paths.ts";

export function boolFlag(name: string, short: string | undefined, usage: string, extra: Partial<FlagSpec> = {}): FlagSpec {
  return { name, ...(short ? { short } : {}), kind: "bool", usage, ...extra };
}
export function stringFlag(name: string, short: string | undefined, usage: string, extra: Partial<FlagSpec> = {}): FlagSpec {
  return { name, ...(short ? { short } : {}), kind: "string", usage, ...extra };
}
export function intFlag(name: string, short: string | undefined, usage: string, extra: Partial<FlagSpec> = {}): FlagSpec {
  return { name, ...(short ? { short } : {}), kind: "int", usage, ...extra };
}
export function listFlag(name: string, short: string | undefined, usage: string, extra: Partial<FlagSpec> = {}): FlagSpec {
  return { name, ...(short ? { short } : {}), kind: "list", usage, ...extra };
}

export const FORMAT_TABLE_USAGE = [
  "Format output using a custom template:",
  "'table':            Print output in table format with column headers (default)",
  "'table TEMPLATE':   Print output in table format using the given Go template",
  "'json':             Print in JSON format",
  "'TEMPLATE':         Print output using the given Go template.",
  "Refer to https://docs.docker.com/go/formatting/ for more information about formatting output with templates",
].join("\n");

export const FORMAT_JSON_USAGE = [
  "Format output using a custom template:",
  "'json':             Print in JSON format",
  "'TEMPLATE':         Print output using the given Go template.",
  "Refer to https://docs.docker.com/go/formatting/ for more information about formatting output with templates",
].join("\n");

export function formatFlag(short: string | undefined = undefined, usage = FORMAT_TABLE_USAGE): FlagSpec {
  return stringFlag("format", short, usage);
}

export function filterFlag(usage = "Filter output based on conditions provided", complete?: CompletionKind): FlagSpec {
  return listFlag("filter", "f", usage, { typeName: "filter", ...(complete ? { complete } : {}) });
}

/** The message docker prints for an error from the daemon. */
export function daemonMessage(err: unknown): string {
  const e = toBerthError(err);
  // A pull or push that failed after its progress began: docker prints the error as it is.
  if (e.details.stream === true) return e.message;
  // A registry that cannot be reached is the daemon's answer, not a missing engine.
  if (e.kind === "unavailable" && e.details.registry === undefined) return `Cannot connect to the Berth engine: ${e.message}`;
  return `Error response from daemon: ${e.message}`;
}

/** Error text for any thrown value: CLI errors as they are, engine errors as docker words them. */
export function errorText(err: unknown): string {
  if (err instanceof CliError) return err.message;
  return daemonMessage(err);
}

/**
 * Runs `fn` for every name (stop, kill, rm, ...): prints each name that
 * worked, each error to stderr, and fails with status 1 if any did.
 */
export async function forEachName(ctx: CommandContext, names: readonly string[], fn: (name: string) => Promise<string | void>, opts: { echo?: boolean } = {}): Promise<number> {
  let failed = false;
  for (const name of names) {
    try {
      const shown = await fn(name);
      if (opts.echo !== false) ctx.out(`${shown ?? name}\n`);
    } catch (err) {
      if (err instanceof ExitStatus) throw err;
      failed = true;
      ctx.err(errorText(err) + "\n");
    }
  }
  return failed ? 1 : 0;
}

/** Prints a warning, asks "Are you sure you want to continue? [y/N]"; true only for y/yes. */
export async function confirm(ctx: CommandContext, warning: string, sameLine = false): Promise<boolean> {
  ctx.out(`${warning}${sameLine ? " " : "\n"}Are you sure you want to continue? [y/N] `);
  const answer = await readLine(ctx.io);
  if (answer === null) ctx.out("\n");
  const a = (answer ?? "").trim().toLowerCase();
  return a === "y" || a === "yes";
}

/** A local path made absolute against the CLI's working directory (when it has one). */
export function localPath(ctx: CommandContext, p: string): string {
  if (p.startsWith("~") && ctx.io.env?.HOME) p = ctx.io.env.HOME + p.slice(1);
  return ctx.io.cwd ? resolvePath(ctx.io.cwd, p) : p;
}

export function envLookup(ctx: CommandContext): (name: string) => string | undefined {
  return (name) => ctx.io.env?.[name];
}

/** Reads a local file or fails with docker's "open x: no such file or directory". */
export async function readLocalFile(ctx: CommandContext, p: string): Promise<Uint8Array> {
  if (!ctx.io.readFile) throw new CliError(`open ${p}: reading local files is not available here`);
  try {
    return await ctx.io.readFile(localPath(ctx, p));
  } catch (err) {
    const msg = (err as { code?: string }).code === "ENOENT" ? "no such file or directory" : (err as Error).message;
    throw new CliError(`open ${p}: ${msg}`);
  }
}

/** Turns an option parser's Error into a usage error ("docker: ...\nSee 'docker run --help'."). */
export function usage<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new UsageError((err as Error).message);
  }
}

export function isNotFound(err: unknown): boolean {
  return toBerthError(err).kind === "not-found";
}

/** Subscribes to Ctrl-C: every press with io.onInterrupt, the first with io.signal. */
export function onInterrupt(ctx: CommandContext, handler: () => void): () => void {
  const io = ctx.io;
  if (io.onInterrupt) return io.onInterrupt(handler);
  const signal = io.signal;
  if (!signal) return () => {};
  if (signal.aborted) {
    queueMicrotask(handler);
    return () => {};
  }
  const listener = () => handler();
  signal.addEventListener("abort", listener, { once: true });
  return () => signal.removeEventListener("abort", listener);
}

/** Resolves when Ctrl-C is pressed (for logs -f, events, wait). */
export function interrupted(ctx: CommandContext): { promise: Promise<"interrupted">; dispose: () => void } {
  let dispose = () => {};
  const promise = new Promise<"interrupted">((resolve) => {
    dispose = onInterrupt(ctx, () => resolve("interrupted"));
  });
  return { promise, dispose };
}
