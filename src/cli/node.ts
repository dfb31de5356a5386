// CliIO for Node: the `berth` command runs runDocker with the process's
// terminal, environment and files.
//
//   import { runDockerInNode } from "./src/cli/node.ts";
//   process.exitCode = await runDockerInNode(engine);   // argv from process.argv
//
// Not exported from index.ts: it imports node: modules, which the page
// cannot load.

import { lstat, mkdir, readFile, readdir, readlink, symlink, utimes, writeFile, chmod } from "node:fs/promises";
import type { EngineApi } from "../core/engine-api.ts";
import { runDocker } from "./docker.ts";
import type { CliIO, LocalStat } from "./io.ts";

export function nodeIO(): CliIO {
  const proc = process;
  const io: CliIO = {
    stdout: (d) => void proc.stdout.write(d),
    stderr: (d) => void proc.stderr.write(d),
    isTTY: !!proc.stdout.isTTY,
    ...(proc.stdout.columns ? { columns: proc.stdout.columns, rows: proc.stdout.rows } : {}),
    onResize(handler) {
      const listener = () => handler({ columns: proc.stdout.columns, rows: proc.stdout.rows });
      proc.stdout.on("resize", listener);
      return () => void proc.stdout.off("resize", listener);
    },
    onInterrupt(handler) {
      proc.on("SIGINT", handler);
      return () => void proc.off("SIGINT", handler);
    },
    env: { ...proc.env },
    cwd: proc.cwd(),
    stdin: {
      isTTY: !!proc.stdin.isTTY,
      onData(onData, onEnd) {
        const end = () => onEnd?.();
        proc.stdin.on("data", onData);
        proc.stdin.on("end", end);
        proc.stdin.resume();
        return () => {
          proc.stdin.off("data", onData);
          proc.stdin.off("end", end);
          proc.stdin.pause();
        };
      },
      setRawMode(raw) {
        if (proc.stdin.isTTY) proc.stdin.setRawMode(raw);
      },
    },
    readFile: async (p) => new Uint8Array(await readFile(p)),
    async writeFile(p, data, opts) {
      await writeFile(p, data);
      if (opts?.mode !== undefined) await chmod(p, opts.mode & 0o7777);
      if (opts?.mtimeMs !== undefined) await utimes(p, opts.mtimeMs / 1000, opts.mtimeMs / 1000);
    },
    async stat(p): Promise<LocalStat | null> {
      try {
        const st = await lstat(p);
        const type = st.isDirectory() ? "dir" : st.isFile() ? "file" : st.isSymbolicLink() ? "symlink" : "other";
        return { type, size: st.size, mode: st.mode & 0o7777, mtimeMs: st.mtimeMs, ...(type === "symlink" ? { linkTarget: await readlink(p) } : {}) };
      } catch (err) {
        if ((err as { code?: string }).code === "ENOENT") return null;
        throw err;
      }
    },
    readDir: (p) => readdir(p),
    async mkdir(p, opts) {
      await mkdir(p, { recursive: true, ...(opts?.mode !== undefined ? { mode: opts.mode & 0o7777 } : {}) });
    },
    symlink: (target, p) => symlink(target, p),
  };
  return io;
}

/** Runs the docker command line of this process (process.argv after the script) against `engine`. */
export function runDockerInNode(engine: EngineApi, argv: readonly string[] = process.argv.slice(2)): Promise<number> {
  return runDocker(argv, nodeIO(), engine);
}
