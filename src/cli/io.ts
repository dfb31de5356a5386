// What the CLI needs from its host: the browser terminal (xterm.js) or Node.
// Everything is optional except the output streams, so a test or a one-shot
// page call can pass a few closures.

import type { BuildOptions } from "../core/engine-api.ts";
import { concatBytes } from "../core/bytes.ts";

export { concatBytes };

export type Output = (data: string | Uint8Array) => void;

/** Keyboard or pipe input. */
export interface CliStdin {
  /** True when input is a terminal (docker refuses -t otherwise). */
  isTTY: boolean;
  /**
   * Subscribes to input. `onEnd` is called once at end of input (Ctrl-D on an
   * empty line in the page, EOF of a pipe in Node). Returns an unsubscribe.
   */
  onData(onData: (data: Uint8Array | string) => void, onEnd?: () => void): () => void;
  /** Raw mode for `run -it` / `exec -it` (keys go to the container as typed). */
  setRawMode?(raw: boolean): void;
  /** A line of cooked input, for prompts ("Are you sure...? [y/N]"); null at end of input. */
  readLine?(): Promise<string | null>;
}

/** A local file's metadata, as `cp` and the context loader need it. */
export interface LocalStat {
  type: "file" | "dir" | "symlink" | "other";
  size: number;
  /** Permission bits (e.g. 0o644). */
  mode: number;
  /** Milliseconds since the epoch. */
  mtimeMs: number;
  linkTarget?: string;
}

export type BuildContext = BuildOptions["context"];

export interface CliIO {
  stdout: Output;
  stderr: Output;
  stdin?: CliStdin;
  /** stdout is a terminal (colours, tty progress for build). */
  isTTY: boolean;
  columns?: number;
  rows?: number;
  /** Called with the new size when the terminal resizes; returns an unsubscribe. */
  onResize?(handler: (size: { columns: number; rows: number }) => void): () => void;
  /** Aborted on Ctrl-C (a command that streams stops, `run` forwards SIGINT). */
  signal?: AbortSignal;
  /**
   * Every Ctrl-C, for hosts that can report more than one (an AbortSignal
   * fires once): `run` forwards each to the container. Returns an unsubscribe.
   */
  onInterrupt?(handler: () => void): () => void;
  /** Environment for `-e NAME` / `--env-file` lines without a value and `--build-arg NAME`. */
  env?: Record<string, string | undefined>;
  /** Directory relative local paths are resolved against (Node: process.cwd()). */
  cwd?: string;
  /** Clock, for "2 minutes ago" (tests pin it). Milliseconds since the epoch. */
  now?: () => number;

  // Local files: --env-file, cp, build. Absent ones make those commands fail with a clear message.
  readFile?(path: string): Promise<Uint8Array>;
  writeFile?(path: string, data: Uint8Array, opts?: { mode?: number; mtimeMs?: number }): Promise<void>;
  /** null when the path does not exist. Does not follow a final symlink. */
  stat?(path: string): Promise<LocalStat | null>;
  readDir?(path: string): Promise<string[]>;
  mkdir?(path: string, opts?: { mode?: number }): Promise<void>;
  symlink?(target: string, path: string): Promise<void>;
  /**
   * The build context for `docker build PATH` (in the page: the workspace).
   * When absent, the CLI walks PATH with stat/readDir/readFile and applies
   * .dockerignore itself.
   */
  loadContext?(path: string): Promise<BuildContext>;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function toBytes(data: string | Uint8Array): Uint8Array {
  return typeof data === "string" ? encoder.encode(data) : data;
}

export function toText(data: string | Uint8Array): string {
  return typeof data === "string" ? data : decoder.decode(data);
}

/** Reads all of stdin (for `build -`, `cp - c:/x`). */
export function readAllStdin(io: CliIO): Promise<Uint8Array> {
  const stdin = io.stdin;
  if (!stdin) return Promise.resolve(new Uint8Array(0));
  return new Promise((resolve) => {
    const chunks: Uint8Array[] = [];
    const unsubscribe = stdin.onData(
      (d) => chunks.push(toBytes(d)),
      () => {
        unsubscribe?.();
        resolve(concatBytes(chunks));
      },
    );
  });
}

/** Reads one line for a prompt; null at end of input or without stdin. */
export async function readLine(io: CliIO): Promise<string | null> {
  const stdin = io.stdin;
  if (!stdin) return null;
  if (stdin.readLine) return stdin.readLine();
  return new Promise((resolve) => {
    let line = "";
    let done = false;
    const finish = (value: string | null) => {
      if (done) return;
      done = true;
      queueMicrotask(() => unsubscribe());
      resolve(value);
    };
    const unsubscribe = stdin.onData(
      (d) => {
        for (const ch of toText(d)) {
          if (ch === "\n" || ch === "\r") return finish(line);
          line += ch;
        }
      },
      () => finish(line === "" ? null : line),
    );
  });
}

