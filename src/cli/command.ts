// Commands are declared as data (paths, usage, flags, argument counts) plus a
// run function; the dispatcher, help, and completion all read the same table.

import type { EngineApi } from "../core/engine-api.ts";
import type { CompletionKind } from "./complete-kinds.ts";
import type { FlagSpec, FlagValues } from "./flags.ts";
import type { CliIO } from "./io.ts";

export interface CommandContext {
  io: CliIO;
  engine: EngineApi;
  /** How it was called, e.g. "docker container ls". */
  path: string;
  command: CommandDef;
  flags: FlagValues;
  args: string[];
  /** Writes to stdout / stderr. */
  out(text: string | Uint8Array): void;
  err(text: string | Uint8Array): void;
  now(): number;
  /** -D/--debug was given. */
  debug: boolean;
}

export interface CommandDef {
  /**
   * Every way to call it, the canonical one first: [["container", "ls"],
   * ["container", "list"], ["container", "ps"], ["ps"]].
   */
  paths: string[][];
  /** Usage after the command path: "[OPTIONS] IMAGE [COMMAND] [ARG...]". */
  usage: string;
  /** One line, shown in command lists and help. */
  short: string;
  flags: FlagSpec[];
  /** false: flags end at the first positional argument (run, exec, create). */
  interspersed?: boolean;
  /** Positional argument count. */
  args?: { min?: number; max?: number };
  /** What each positional argument names (the last one repeats), for completion. */
  argKinds?: CompletionKind[];
  /**
   * How failures are reported: "docker" prints "docker: <message>.\nSee
   * 'docker run --help'." and exits 125, like run and create.
   */
  errorStyle?: "docker";
  /** Listed under "Common Commands" in docker --help. */
  common?: boolean;
  run(ctx: CommandContext): Promise<number | void>;
}

/** A management command: docker container, image, volume, ... */
export interface GroupDef {
  name: string;
  short: string;
}

export function commandPathString(path: readonly string[]): string {
  return ["docker", ...path].join(" ");
}
