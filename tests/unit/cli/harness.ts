// Runs the CLI against the fake engine with captured output.

import { runDocker } from "../../../src/cli/docker.ts";
import type { CliIO } from "../../../src/cli/io.ts";
import { MemFs } from "./memfs.ts";
import { FakeEngine, T0 } from "./fake-engine.ts";

export interface Run {
  code: number;
  out: string;
  err: string;
  outBytes: Uint8Array;
}

export interface HarnessOptions {
  tty?: boolean;
  stdinTTY?: boolean;
  /** Text typed in (delivered after the command starts); null: no stdin at all. */
  input?: (string | Uint8Array)[] | null;
  /** End stdin after the input. */
  endInput?: boolean;
  files?: Record<string, string | Uint8Array>;
  env?: Record<string, string>;
  now?: number;
  columns?: number;
  cwd?: string;
  signal?: AbortSignal;
  onInterrupt?: CliIO["onInterrupt"];
  onResize?: CliIO["onResize"];
  loadContext?: CliIO["loadContext"];
}

const enc = new TextEncoder();
const dec = new TextDecoder();

export function makeIO(opts: HarnessOptions = {}, fs = new MemFs(opts.files)) {
  const out: (string | Uint8Array)[] = [];
  const err: (string | Uint8Array)[] = [];
  const now = opts.now ?? T0;
  let dataCb: ((d: Uint8Array | string) => void) | undefined;
  let endCb: (() => void) | undefined;
  const rawModes: boolean[] = [];
  const io: CliIO = {
    stdout: (d) => out.push(d),
    stderr: (d) => err.push(d),
    isTTY: opts.tty ?? false,
    columns: opts.columns ?? 100,
    rows: 30,
    now: () => now,
    cwd: opts.cwd ?? "/work",
    env: opts.env ?? {},
    ...fs.io(),
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(opts.onInterrupt ? { onInterrupt: opts.onInterrupt } : {}),
    ...(opts.onResize ? { onResize: opts.onResize } : {}),
    ...(opts.loadContext ? { loadContext: opts.loadContext } : {}),
  };
  if (opts.input !== null) {
    io.stdin = {
      isTTY: opts.stdinTTY ?? opts.tty ?? false,
      setRawMode: (raw) => rawModes.push(raw),
      onData(cb, onEnd) {
        dataCb = cb;
        endCb = onEnd;
        const input = opts.input ?? [];
        setTimeout(() => {
          for (const chunk of input) dataCb?.(chunk);
          if (opts.endInput ?? true) endCb?.();
        }, 0);
        return () => {
          dataCb = undefined;
          endCb = undefined;
        };
      },
    };
  }
  const text = (parts: (string | Uint8Array)[]) => parts.map((p) => (typeof p === "string" ? p : dec.decode(p))).join("");
  return {
    io,
    fs,
    rawModes,
    out: () => text(out),
    err: () => text(err),
    outBytes: () => {
      const bytes = out.map((p) => (typeof p === "string" ? enc.encode(p) : p));
      const all = new Uint8Array(bytes.reduce((n, b) => n + b.length, 0));
      let at = 0;
      for (const b of bytes) {
        all.set(b, at);
        at += b.length;
      }
      return all;
    },
  };
}

/** Runs one command line (already split) against `engine`. */
export async function docker(engine: FakeEngine, argv: string[], opts: HarnessOptions = {}, fs?: MemFs): Promise<Run & { fs: MemFs; rawModes: boolean[] }> {
  const h = makeIO(opts, fs);
  const code = await runDocker(argv, h.io, engine);
  return { code, out: h.out(), err: h.err(), outBytes: h.outBytes(), fs: h.fs, rawModes: h.rawModes };
}

export { FakeEngine, MemFs, T0 };
