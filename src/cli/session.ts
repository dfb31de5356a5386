// Streams between the terminal and a container process: run (attached),
// start -a, attach and exec all go through runSession.
//
//  - output goes to stdout/stderr as it arrives (a tty has only stdout);
//  - with stdin attached, input is written in order; end of input closes the
//    container's stdin; the detach keys (ctrl-p,ctrl-q) leave it running;
//  - a tty gets the terminal's size now and on every resize;
//  - Ctrl-C: in a tty it is just a key (\x03 goes to the container); without
//    one, sig-proxy forwards SIGINT to the container (docker's default), and
//    --sig-proxy=false leaves the container running and stops waiting.

import type { EngineApi, SessionHandlers } from "../core/engine-api.ts";
import type { CommandContext } from "./command.ts";
import { onInterrupt } from "./commands/shared.ts";
import { toBytes } from "./io.ts";

export interface SessionOptions {
  tty: boolean;
  /** Forward the terminal's input. */
  stdin: boolean;
  /** Bytes that detach (parseDetachKeys). */
  detachKeys: Uint8Array;
  /** Which output streams to show (run -a). */
  show?: { stdout: boolean; stderr: boolean };
  /** Forward Ctrl-C as SIGINT to this container (non-tty run/attach/start -a). */
  sigProxyContainer?: string;
}

export interface SessionOutcome {
  exitCode: number;
  /** The user detached (detach keys, or Ctrl-C without sig-proxy): the process goes on. */
  detached: boolean;
  /** Detached because of Ctrl-C (the shell's status is then 130). */
  interrupted: boolean;
  sessionId: number;
}

/** Finds `keys` as a run in the stream, across chunks. */
class DetachMatcher {
  private matched = 0;
  constructor(private readonly keys: Uint8Array) {}
  /** Returns the bytes to forward and whether the full sequence was seen. */
  feed(data: Uint8Array): { forward: Uint8Array; detach: boolean } {
    const forward: number[] = [];
    for (const b of data) {
      if (b === this.keys[this.matched]) {
        this.matched++;
        if (this.matched === this.keys.length) return { forward: new Uint8Array(forward), detach: true };
        continue;
      }
      // Not the sequence after all: pass on what was held back.
      for (let i = 0; i < this.matched; i++) forward.push(this.keys[i]!);
      this.matched = 0;
      if (b === this.keys[0]) this.matched = 1;
      else forward.push(b);
    }
    return { forward: new Uint8Array(forward), detach: false };
  }
}

/**
 * Opens a session with `open` (containerAttach or containerExec) and pumps it
 * until the process exits or the user detaches. `beforeWait` runs after the
 * session is open (run starts the container there, so no output is missed).
 */
export async function runSession(
  ctx: CommandContext,
  open: (handlers: SessionHandlers) => Promise<number>,
  opts: SessionOptions,
  beforeWait?: (sessionId: number) => Promise<void>,
): Promise<SessionOutcome> {
  const engine: EngineApi = ctx.engine;
  const io = ctx.io;
  const show = opts.show ?? { stdout: true, stderr: true };
  let resolveExit!: (code: number) => void;
  const exited = new Promise<number>((r) => (resolveExit = r));
  let resolveDetach!: () => void;
  const detached = new Promise<void>((r) => (resolveDetach = r));

  const handlers: SessionHandlers = {
    onOutput: (stream, data) => {
      if (opts.tty || stream === "stdout") {
        if (show.stdout || opts.tty) ctx.out(data);
      } else if (show.stderr) ctx.err(data);
    },
    onExit: (code) => resolveExit(code),
  };
  const sessionId = await open(handlers);

  // Writes must reach the container in order: chain them.
  let writes: Promise<void> = Promise.resolve();
  const write = (data: Uint8Array | string) => {
    writes = writes.then(() => engine.sessionWrite(sessionId, data)).catch(() => {});
  };

  const cleanups: (() => void)[] = [];
  let detachRequested = false;
  let interrupted = false;
  const detach = (byInterrupt = false) => {
    if (detachRequested) return;
    detachRequested = true;
    interrupted = byInterrupt;
    void writes.then(() => engine.sessionDetach(sessionId)).catch(() => {});
    resolveDetach();
  };

  if (opts.tty && io.columns && io.rows) {
    void engine.sessionResize(sessionId, io.rows, io.columns).catch(() => {});
  }
  if (opts.tty && io.onResize) {
    cleanups.push(io.onResize(({ columns, rows }) => void engine.sessionResize(sessionId, rows, columns).catch(() => {})));
  }

  const stdin = io.stdin;
  if (opts.stdin && stdin) {
    if (opts.tty && stdin.isTTY && stdin.setRawMode) {
      stdin.setRawMode(true);
      cleanups.push(() => stdin.setRawMode?.(false));
    }
    const matcher = new DetachMatcher(opts.detachKeys);
    cleanups.push(
      stdin.onData(
        (data) => {
          if (detachRequested) return;
          const { forward, detach: hit } = matcher.feed(toBytes(data));
          if (forward.length > 0) write(forward);
          if (hit) detach();
        },
        () => {
          writes = writes.then(() => engine.sessionCloseStdin(sessionId)).catch(() => {});
        },
      ),
    );
  }

  cleanups.push(
    onInterrupt(ctx, () => {
      if (opts.tty && opts.stdin) write("\x03");
      else if (opts.sigProxyContainer) void engine.containerKill(opts.sigProxyContainer, "SIGINT").catch(() => {});
      else detach(true);
    }),
  );

  try {
    if (beforeWait) {
      try {
        await beforeWait(sessionId);
      } catch (err) {
        await engine.sessionDetach(sessionId).catch(() => {});
        throw err;
      }
    }
    const result = await Promise.race([exited.then((code) => ({ code })), detached.then(() => null)]);
    await writes;
    if (result === null) return { exitCode: interrupted ? 130 : 0, detached: true, interrupted, sessionId };
    return { exitCode: result.code, detached: false, interrupted: false, sessionId };
  } finally {
    for (const c of cleanups.reverse()) c();
  }
}
