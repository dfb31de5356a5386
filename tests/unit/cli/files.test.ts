import { describe, expect, it } from "vitest";
import { readAllStdin, readLine, type CliIO } from "../../../src/cli/io.ts";
import { SYMLINK_MODE, collectEntries, loadDirectoryContext, localFs } from "../../../src/cli/localfs.ts";
import { basename, dirname, joinPath, normalizePath, relativeInside, resolvePath } from "../../../src/cli/paths.ts";
import { readTar, writeTar, type TarEntry } from "../../../src/cli/tar.ts";
import { MemFs } from "./memfs.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

describe("tar", () => {
  it("round-trips files, directories and symlinks", () => {
    const entries: TarEntry[] = [
      { path: "app", type: "dir", mode: 0o755, size: 0, mtime: 1_700_000_000 },
      { path: "app/run.sh", type: "file", mode: 0o755, size: 9, mtime: 1_700_000_000, data: enc.encode("#!/bin/sh") },
      { path: "app/empty", type: "file", mode: 0o600, size: 0, mtime: 1_700_000_000, data: new Uint8Array() },
      { path: "app/link", type: "symlink", mode: 0o777, size: 0, mtime: 1_700_000_000, linkTarget: "run.sh" },
    ];
    const tar = writeTar(entries);
    expect(tar.length % 512).toBe(0);
    expect(dec.decode(tar.subarray(257, 262))).toBe("ustar");
    expect(readTar(tar)).toEqual(entries);
  });

  it("uses the ustar prefix, then PAX headers, for long names", () => {
    const mid = "d".repeat(90) + "/" + "f".repeat(60);
    const long = "x".repeat(120) + "/" + "y".repeat(120);
    const entries: TarEntry[] = [
      { path: mid, type: "file", mode: 0o644, size: 1, mtime: 0, data: enc.encode("a") },
      { path: long, type: "file", mode: 0o644, size: 1, mtime: 0, data: enc.encode("b") },
      { path: "l", type: "symlink", mode: 0o777, size: 0, mtime: 0, linkTarget: "t".repeat(150) },
    ];
    expect(readTar(writeTar(entries))).toEqual(entries);
  });

  it("reads GNU long names and skips global headers", () => {
    const block = (name: string, flag: string, size: number) => {
      const h = new Uint8Array(512);
      h.set(enc.encode(name), 0);
      h.set(enc.encode("0000644\0"), 100);
      h.set(enc.encode(size.toString(8).padStart(11, "0") + "\0"), 124);
      h.set(enc.encode(flag), 156);
      // A real header carries its checksum (the reader checks it).
      h.fill(0x20, 148, 156);
      const sum = h.reduce((a, b) => a + b, 0);
      h.set(enc.encode(sum.toString(8).padStart(6, "0") + "\0 "), 148);
      return h;
    };
    const longName = "n".repeat(130);
    const data = enc.encode(longName + "\0");
    const parts = [block("././@LongLink", "L", data.length), pad(data), block("short", "0", 2), pad(enc.encode("hi")), new Uint8Array(1024)];
    const tar = concat(parts);
    const read = readTar(tar);
    expect(read).toHaveLength(1);
    expect(read[0]!.path).toBe(longName);
    expect(dec.decode(read[0]!.data)).toBe("hi");
  });

  it("fails on a truncated archive", () => {
    const tar = writeTar([{ path: "f", type: "file", mode: 0o644, size: 1000, mtime: 0, data: new Uint8Array(1000) }]);
    expect(() => readTar(tar.subarray(0, 700))).toThrow("truncated");
  });
});

function pad(d: Uint8Array): Uint8Array {
  const out = new Uint8Array(Math.ceil(d.length / 512) * 512);
  out.set(d);
  return out;
}
function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

describe("paths", () => {
  it("normalises, resolves and splits", () => {
    expect(normalizePath("/a//b/./c/../d/")).toBe("/a/b/d");
    expect(normalizePath("a/../../b")).toBe("../b");
    expect(normalizePath("")).toBe(".");
    expect(resolvePath("/work", "ctx/../app")).toBe("/work/app");
    expect(resolvePath("/work", "/abs")).toBe("/abs");
    expect(joinPath("/a", "b", "", "c")).toBe("/a/b/c");
    expect(basename("/a/b/")).toBe("b");
    expect(basename("/")).toBe("/");
    expect(dirname("/a/b")).toBe("/a");
    expect(dirname("/a")).toBe("/");
    expect(dirname("a")).toBe(".");
    expect(relativeInside("/work/ctx", "/work/ctx/sub/Dockerfile")).toBe("sub/Dockerfile");
    expect(relativeInside("/work/ctx", "/work/ctx")).toBe(".");
    expect(relativeInside("/work/ctx", "/work/other")).toBeNull();
    expect(relativeInside("/", "/x")).toBe("x");
  });
});

describe("local files", () => {
  const fs = new MemFs({
    "/w/ctx/Dockerfile": "FROM busybox\n",
    "/w/ctx/app.js": "console.log(1)",
    "/w/ctx/node_modules/a/index.js": "x",
    "/w/ctx/node_modules/keep.txt": "k",
    "/w/ctx/logs/today.log": "l",
    "/w/ctx/.dockerignore": "node_modules\n*.log\n**/*.log\n",
  });
  fs.files.set("/w/ctx/link", { link: "app.js", mode: 0o777 });
  const io = fs.io() as CliIO;

  it("collects a tree as tar entries under a name", async () => {
    const entries = await collectEntries(localFs(io, "cp"), "/w/ctx/logs", "logs");
    expect(entries.map((e) => [e.path, e.type])).toEqual([
      ["logs", "dir"],
      ["logs/today.log", "file"],
    ]);
  });

  it("loads a build context without what .dockerignore leaves out", async () => {
    const ctx = await loadDirectoryContext(localFs(io, "build"), "/w/ctx");
    expect(ctx.map((e) => e.path).sort()).toEqual([".dockerignore", "Dockerfile", "app.js", "link"]);
    const link = ctx.find((e) => e.path === "link")!;
    expect(link.mode! & SYMLINK_MODE).toBe(SYMLINK_MODE);
    expect(dec.decode(link.data)).toBe("app.js");
  });

  it("walks into an ignored directory when a pattern re-includes something", async () => {
    const fs2 = new MemFs({ "/c/Dockerfile": "FROM x", "/c/node_modules/keep.txt": "k", "/c/node_modules/drop.txt": "d", "/c/.dockerignore": "node_modules\n!node_modules/keep.txt\n" });
    const ctx = await loadDirectoryContext(localFs(fs2.io() as CliIO, "build"), "/c");
    expect(ctx.map((e) => e.path).sort()).toEqual([".dockerignore", "Dockerfile", "node_modules/keep.txt"]);
  });

  it("says what is wrong with the context path", async () => {
    await expect(loadDirectoryContext(localFs(io, "build"), "/nope")).rejects.toThrow('unable to prepare context: path "/nope" not found');
    await expect(loadDirectoryContext(localFs(io, "build"), "/w/ctx/app.js")).rejects.toThrow("context must be a directory");
    expect(() => localFs({ stdout: () => {}, stderr: () => {}, isTTY: false }, "build")).toThrow("build: local files are not available here");
  });
});

describe("stdin helpers", () => {
  const stdinOf = (chunks: string[]): CliIO => ({
    stdout: () => {},
    stderr: () => {},
    isTTY: false,
    stdin: {
      isTTY: false,
      onData(cb, end) {
        queueMicrotask(() => {
          for (const c of chunks) cb(c);
          end?.();
        });
        return () => {};
      },
    },
  });
  it("reads a line and everything", async () => {
    expect(await readLine(stdinOf(["y", "es\nmore"]))).toBe("yes");
    expect(await readLine(stdinOf([]))).toBeNull();
    expect(dec.decode(await readAllStdin(stdinOf(["a", "b"])))).toBe("ab");
  });
});
