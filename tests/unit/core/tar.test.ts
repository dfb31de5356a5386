import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, linkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BerthError } from "../../../src/core/errors.ts";
import {
  compareTarPaths,
  iterateTarSpans,
  normalizeTarPath,
  readTar,
  tarWithout,
  writeTar,
  type TarEntry,
  type TarEntryInput,
} from "../../../src/core/tar.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
const BUSYBOX = "/bin/busybox";
const hasBusybox = existsSync(BUSYBOX);
const isRoot = process.getuid?.() === 0;

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), "berth-tar-"));
});
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

function fresh(name: string): string {
  const dir = join(tmp, name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

function byPath(entries: TarEntry[]): Map<string, TarEntry> {
  return new Map(entries.map((e) => [e.path, e]));
}

/** Recomputes a header's checksum after a test edits it. */
function fixChecksum(archive: Uint8Array, offset: number): void {
  const block = archive.subarray(offset, offset + 512);
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of block) sum += b;
  const text = sum.toString(8).padStart(6, "0");
  for (let i = 0; i < 6; i++) block[148 + i] = text.charCodeAt(i);
  block[154] = 0;
  block[155] = 0x20;
}

describe("paths", () => {
  it("normalises prefixes, dots, empty components and ..", () => {
    expect(normalizeTarPath("./a/b")).toBe("a/b");
    expect(normalizeTarPath("/a//b/")).toBe("a/b");
    expect(normalizeTarPath("./")).toBe("");
    expect(normalizeTarPath(".")).toBe("");
    expect(normalizeTarPath("a/./b/../c")).toBe("a/c");
    expect(normalizeTarPath("../../etc/passwd")).toBe("etc/passwd");
  });

  it("sorts component-wise so a directory's subtree follows it", () => {
    const paths = ["a-b", "a/b", "a", "a/b/c", "b", "a.", "A"];
    expect(paths.sort(compareTarPaths)).toEqual(["A", "a", "a/b", "a/b/c", "a-b", "a.", "b"]);
  });
});

describe("writeTar/readTar round trip", () => {
  const longDir = "d".repeat(120);
  const entries: TarEntryInput[] = [
    { path: "./etc/", type: "dir", mode: 0o755, mtime: 1_700_000_000 },
    { path: "/etc/hosts", type: "file", data: "127.0.0.1 localhost\n", mode: 0o644, uid: 1000, gid: 1000, uname: "me", gname: "us" },
    { path: "etc/setuid", type: "file", data: "x", mode: 0o4755 },
    { path: "tmp", type: "dir", mode: 0o1777 },
    { path: "bin/sh", type: "symlink", linkname: "/bin/busybox" },
    { path: "bin/ash", type: "hardlink", linkname: "./etc/hosts" },
    { path: "dev/null", type: "char", devmajor: 1, devminor: 3, mode: 0o666 },
    { path: "dev/sda", type: "block", devmajor: 8, devminor: 0, mode: 0o660 },
    { path: "run/fifo", type: "fifo", mode: 0o600 },
    { path: `${longDir}/${"f".repeat(90)}`, type: "file", data: "prefix split" },
    { path: `${"x".repeat(200)}/${"y".repeat(150)}`, type: "file", data: "pax path" },
    { path: "link-long", type: "symlink", linkname: `../${"t".repeat(150)}` },
    { path: "ünïcödé/файл", type: "file", data: "utf-8" },
    { path: "big-ids", type: "file", uid: 3_000_000, gid: 70_000_000, uname: "u".repeat(40), gname: "g".repeat(33) },
    { path: "fraction", type: "file", mtime: 1_700_000_000.25 },
    { path: "old", type: "file", mtime: -86_400 },
    { path: "far", type: "file", mtime: 2 ** 34 },
    { path: "bigdev", type: "char", devmajor: 4_000_000, devminor: 5 },
    { path: "xattrs", type: "file", xattrs: { "user.a": "1", "security.capability": "\x01\x00\x00\x02\xff", "trusted.overlay.opaque": "y" } },
    { path: "data-512", type: "file", data: new Uint8Array(512).fill(7) },
    { path: "data-513", type: "file", data: new Uint8Array(513).fill(9) },
  ];

  it("reads back every field", () => {
    const tar = writeTar(entries);
    expect(tar.length % 512).toBe(0);
    const got = byPath(readTar(tar));
    expect(got.get("etc")).toMatchObject({ type: "dir", mode: 0o755, mtime: 1_700_000_000, size: 0 });
    expect(got.get("etc/hosts")).toMatchObject({ type: "file", uid: 1000, gid: 1000, uname: "me", gname: "us", size: 20 });
    expect(dec.decode(got.get("etc/hosts")!.data)).toBe("127.0.0.1 localhost\n");
    expect(got.get("etc/setuid")!.mode).toBe(0o4755);
    expect(got.get("tmp")!.mode).toBe(0o1777);
    expect(got.get("bin/sh")).toMatchObject({ type: "symlink", linkname: "/bin/busybox", mode: 0o777 });
    expect(got.get("bin/ash")).toMatchObject({ type: "hardlink", linkname: "etc/hosts", size: 0 });
    expect(got.get("dev/null")).toMatchObject({ type: "char", devmajor: 1, devminor: 3, mode: 0o666 });
    expect(got.get("dev/sda")).toMatchObject({ type: "block", devmajor: 8, devminor: 0 });
    expect(got.get("run/fifo")).toMatchObject({ type: "fifo", mode: 0o600 });
    expect(dec.decode(got.get(`${longDir}/${"f".repeat(90)}`)!.data)).toBe("prefix split");
    expect(dec.decode(got.get(`${"x".repeat(200)}/${"y".repeat(150)}`)!.data)).toBe("pax path");
    expect(got.get("link-long")!.linkname).toBe(`../${"t".repeat(150)}`);
    expect(dec.decode(got.get("ünïcödé/файл")!.data)).toBe("utf-8");
    expect(got.get("big-ids")).toMatchObject({ uid: 3_000_000, gid: 70_000_000, uname: "u".repeat(40), gname: "g".repeat(33) });
    expect(got.get("fraction")!.mtime).toBe(1_700_000_000.25);
    expect(got.get("old")!.mtime).toBe(-86_400);
    expect(got.get("far")!.mtime).toBe(2 ** 34);
    expect(got.get("bigdev")).toMatchObject({ devmajor: 4_000_000, devminor: 5 });
    expect(got.get("xattrs")!.xattrs).toEqual({ "user.a": "1", "security.capability": "\x01\x00\x00\x02\xff", "trusted.overlay.opaque": "y" });
    expect(got.get("data-512")!.data).toEqual(new Uint8Array(512).fill(7));
    expect(got.get("data-513")!.data).toEqual(new Uint8Array(513).fill(9));
    expect(got.size).toBe(entries.length);
  });

  it("is deterministic and writes PAX headers only where needed", () => {
    const a = writeTar(entries);
    const b = writeTar(entries.map((e) => ({ ...e })));
    expect(a).toEqual(b);
    const plain = writeTar([{ path: "a", type: "file", data: "x" }]);
    expect(plain.length).toBe(512 * 4); // header, data, end marker
    expect(plain[156]).toBe("0".charCodeAt(0));
    expect(dec.decode(plain.subarray(257, 265))).toBe("ustar\u000000");
  });

  it("writes a directory with a trailing slash and the root as ./", () => {
    const tar = writeTar([{ path: "", type: "dir" }, { path: "a/b", type: "dir" }]);
    expect(dec.decode(tar.subarray(0, 2))).toBe("./");
    expect(dec.decode(tar.subarray(512, 516))).toBe("a/b/");
    expect(readTar(tar).map((e) => e.path)).toEqual(["", "a/b"]);
  });

  it("refuses data on non-files and links without targets", () => {
    expect(() => writeTar([{ path: "d", type: "dir", data: "x" }])).toThrow(/cannot have data/);
    expect(() => writeTar([{ path: "l", type: "symlink" }])).toThrow(/needs a linkname/);
  });
});

describe("reader details", () => {
  it("applies a PAX global header to the entries after it, unless a local header overrides", () => {
    // A local PAX header, turned into a global one.
    const global = writeTar([{ path: "g", type: "file", uname: "u".repeat(40) }]).subarray(0, 1024).slice();
    global[156] = "g".charCodeAt(0);
    fixChecksum(global, 0);
    const rest = writeTar([
      { path: "a", type: "file", uname: "root" },
      { path: "b", type: "file", uname: "v".repeat(35) },
    ]);
    const archive = new Uint8Array(global.length + rest.length);
    archive.set(global, 0);
    archive.set(rest, global.length);
    const got = readTar(archive);
    expect(got.map((e) => [e.path, e.uname])).toEqual([
      ["a", "u".repeat(40)],
      ["b", "v".repeat(35)],
    ]);
  });

  it("reports a corrupt header with the entry number, the offset and the entry before", () => {
    const tar = writeTar([
      { path: "first", type: "file", data: "1" },
      { path: "second", type: "file", data: "2" },
    ]);
    const bad = tar.slice();
    bad[1024 + 3] ^= 0x55; // in the second header's name
    expect(() => readTar(bad)).toThrowError(BerthError);
    expect(() => readTar(bad)).toThrow(/corrupt header: checksum .* \(entry 2 at offset 1024, after "first"\)/);
  });

  it("reports truncated archives", () => {
    const tar = writeTar([{ path: "f", type: "file", data: new Uint8Array(2000) }]);
    expect(() => readTar(tar.subarray(0, 1536))).toThrow(/truncated: "f" needs 2000 bytes/);
    expect(() => readTar(tar.subarray(0, 100))).toThrow(/truncated/);
  });

  it("accepts an archive without the end marker and ignores what follows it", () => {
    const tar = writeTar([{ path: "f", type: "file", data: "x" }]);
    expect(readTar(tar.subarray(0, 1024)).map((e) => e.path)).toEqual(["f"]);
    const padded = new Uint8Array(tar.length + 10240);
    padded.set(tar);
    padded[padded.length - 1] = 1;
    expect(readTar(padded).map((e) => e.path)).toEqual(["f"]);
  });

  it("reads GNU base-256 numbers, including negative ones", () => {
    const tar = writeTar([{ path: "n", type: "file" }]).slice();
    // uid 0x80 00 00 00 00 2d c6 c0 = 3000000; mtime 0xff..ff = -1.
    tar.set([0x80, 0, 0, 0, 0, 0x2d, 0xc6, 0xc0], 108);
    tar.fill(0xff, 136, 148);
    fixChecksum(tar, 0);
    expect(readTar(tar)[0]).toMatchObject({ uid: 3_000_000, mtime: -1 });
  });

  it("treats a pre-POSIX file name ending in / as a directory and masks type bits from the mode", () => {
    const tar = writeTar([{ path: "x", type: "file" }]).slice();
    tar.set(enc.encode("olddir/\0"), 0);
    tar[156] = 0;
    tar.set(enc.encode("0040755\0"), 100);
    fixChecksum(tar, 0);
    expect(readTar(tar)[0]).toMatchObject({ path: "olddir", type: "dir", mode: 0o755 });
  });

  it("refuses sparse files clearly", () => {
    const tar = writeTar([{ path: "s", type: "file" }]).slice();
    tar[156] = "S".charCodeAt(0);
    fixChecksum(tar, 0);
    expect(() => readTar(tar)).toThrow(/GNU sparse files are not supported/);
  });

  it("tarWithout drops entries with their extension headers and keeps everything else byte for byte", () => {
    const tar = writeTar([
      { path: "a", type: "file", data: "a" },
      { path: "l".repeat(150), type: "file", data: "long" },
      { path: "c", type: "file", data: "c" },
    ]);
    const spans = [...iterateTarSpans(tar)];
    expect(spans[1]!.start).toBe(1024); // the PAX header is part of the entry
    const cut = tarWithout(tar, [spans[1]!]);
    expect(readTar(cut).map((e) => e.path)).toEqual(["a", "c"]);
    expect(cut.subarray(0, 1024)).toEqual(tar.subarray(0, 1024));
    expect(tarWithout(tar, [])).toEqual(tar);
  });
});

function tarTool(args: string[], cwd?: string): Buffer {
  return execFileSync("tar", args, { cwd, maxBuffer: 64 << 20 });
}

/** A directory with every kind of file, long names, a hard link and (as root) a device. */
function makeTree(dir: string): void {
  mkdirSync(join(dir, "sub/deeper"), { recursive: true });
  writeFileSync(join(dir, "hello.txt"), "hello\n");
  writeFileSync(join(dir, "sub/deeper/data.bin"), Buffer.alloc(3000, 0xab));
  const long = "n".repeat(130);
  mkdirSync(join(dir, long));
  writeFileSync(join(dir, long, "m".repeat(110)), "long name\n");
  symlinkSync("hello.txt", join(dir, "rel-link"));
  symlinkSync(`/${"target/".repeat(20)}end`, join(dir, "long-link"));
  linkSync(join(dir, "hello.txt"), join(dir, "hard"));
  execFileSync("mkfifo", [join(dir, "fifo")]);
  if (isRoot) spawnSync("mknod", [join(dir, "null"), "c", "1", "3"]);
}

function checkTree(entries: TarEntry[]): void {
  const got = byPath(entries);
  const long = "n".repeat(130);
  expect(dec.decode(got.get("hello.txt")!.data)).toBe("hello\n");
  expect(got.get("sub/deeper/data.bin")!.data).toEqual(new Uint8Array(3000).fill(0xab));
  expect(dec.decode(got.get(`${long}/${"m".repeat(110)}`)!.data)).toBe("long name\n");
  expect(got.get(long)!.type).toBe("dir");
  expect(got.get("rel-link")).toMatchObject({ type: "symlink", linkname: "hello.txt" });
  expect(got.get("long-link")).toMatchObject({ type: "symlink", linkname: `/${"target/".repeat(20)}end` });
  const hard = got.get("hard")!;
  const hello = got.get("hello.txt")!;
  // Whichever the tool met first carries the data, the other links to it.
  const [link, file] = hard.type === "hardlink" ? [hard, "hello.txt"] : [hello, "hard"];
  expect(link).toMatchObject({ type: "hardlink", linkname: file });
  expect(got.get("fifo")!.type).toBe("fifo");
  if (got.has("null")) expect(got.get("null")).toMatchObject({ type: "char", devmajor: 1, devminor: 3 });
  expect(got.get("sub")!.type).toBe("dir");
}

describe("GNU tar interop", () => {
  for (const format of ["gnu", "posix", "ustar", "oldgnu"] as const) {
    it(`reads GNU tar --format=${format}`, () => {
      const dir = fresh(`gnu-${format}`);
      makeTree(dir);
      if (format === "ustar") {
        // ustar cannot hold the 130+110 byte name or the 160-byte link: leave those out.
        rmSync(join(dir, "n".repeat(130)), { recursive: true });
        rmSync(join(dir, "long-link"));
      }
      const tar = tarTool(["--format", format, "-cf", "-", "-C", dir, "."]);
      const entries = readTar(new Uint8Array(tar));
      expect(entries[0]!.path).toBe("");
      if (format === "ustar") {
        const got = byPath(entries);
        expect(dec.decode(got.get("hello.txt")!.data)).toBe("hello\n");
        expect(got.get("fifo")!.type).toBe("fifo");
      } else {
        checkTree(entries);
      }
    });
  }

  it("reads GNU base-256 uids and PAX uids, and PAX xattrs", () => {
    const dir = fresh("gnu-ids");
    writeFileSync(join(dir, "f"), "x");
    const gnu = readTar(new Uint8Array(tarTool(["--format", "gnu", "--owner", "big:3000000", "--group", "g:4000000", "-cf", "-", "-C", dir, "f"])));
    expect(gnu[0]).toMatchObject({ uid: 3_000_000, gid: 4_000_000, uname: "big", gname: "g" });
    const pax = readTar(new Uint8Array(tarTool(["--format", "posix", "--owner", "big:3000000", "-cf", "-", "-C", dir, "f"])));
    expect(pax[0]).toMatchObject({ uid: 3_000_000, uname: "big" });
    const py = spawnSync("python3", ["-c", `import os; os.setxattr(${JSON.stringify(join(dir, "f"))}, "user.berth", b"yes")`]);
    if (py.status === 0) {
      const withX = readTar(new Uint8Array(tarTool(["--format", "posix", "--xattrs", "--xattrs-include=*", "-cf", "-", "-C", dir, "f"])));
      expect(withX[0]!.xattrs).toEqual({ "user.berth": "yes" });
    }
  });

  it("reads a PAX global header from GNU tar", () => {
    const dir = fresh("gnu-global");
    writeFileSync(join(dir, "f"), "x");
    const tar = readTar(new Uint8Array(tarTool(["--format", "posix", "--pax-option", "uname=globaluser", "-cf", "-", "-C", dir, "f"])));
    expect(tar.map((e) => [e.path, e.uname])).toEqual([["f", "globaluser"]]);
  });

  it("GNU tar extracts what writeTar writes", () => {
    const dir = fresh("gnu-extract");
    const deep = `${"p".repeat(120)}/${"q".repeat(120)}/file`;
    const tar = writeTar([
      { path: "d", type: "dir", mode: 0o750 },
      { path: "d/file", type: "file", data: "content\n", mode: 0o640, mtime: 1_600_000_000 },
      { path: "d/link", type: "symlink", linkname: "file" },
      { path: "d/hard", type: "hardlink", linkname: "d/file" },
      { path: deep, type: "file", data: "deep\n" },
      { path: "long-target", type: "symlink", linkname: "z".repeat(200) },
      { path: "ünï", type: "file", data: "u" },
      { path: "big", type: "file", data: "b", uid: 3_000_000, gid: 3_000_001 },
    ]);
    writeFileSync(join(dir, "in.tar"), tar);
    const out = fresh("gnu-extract/out");
    tarTool(["-xf", join(dir, "in.tar"), "-C", out, "--same-owner"]);
    expect(readFileSync(join(out, "d/file"), "utf8")).toBe("content\n");
    expect(statSync(join(out, "d/file")).mode & 0o777).toBe(0o640);
    expect(statSync(join(out, "d/file")).mtimeMs).toBe(1_600_000_000_000);
    expect(statSync(join(out, "d")).mode & 0o777).toBe(0o750);
    expect(readlinkSync(join(out, "d/link"))).toBe("file");
    expect(statSync(join(out, "d/hard")).ino).toBe(statSync(join(out, "d/file")).ino);
    expect(readFileSync(join(out, deep), "utf8")).toBe("deep\n");
    expect(readlinkSync(join(out, "long-target"))).toBe("z".repeat(200));
    expect(readFileSync(join(out, "ünï"), "utf8")).toBe("u");
    if (isRoot) expect(statSync(join(out, "big")).uid).toBe(3_000_000);
    // And GNU tar's own listing agrees, with no warnings.
    const listing = spawnSync("tar", ["-tvf", join(dir, "in.tar")], { encoding: "utf8" });
    expect(listing.status).toBe(0);
    expect(listing.stderr).toBe("");
  });
});

describe.skipIf(!hasBusybox)("busybox tar interop", () => {
  it("reads busybox tar -c", () => {
    const dir = fresh("bb-create");
    makeTree(dir);
    const tar = execFileSync(BUSYBOX, ["tar", "-cf", "-", "-C", dir, "."], { maxBuffer: 64 << 20 });
    checkTree(readTar(new Uint8Array(tar)));
  });

  it("busybox tar extracts what writeTar writes", () => {
    const dir = fresh("bb-extract");
    const long = `${"a".repeat(150)}/${"b".repeat(120)}`;
    writeFileSync(
      join(dir, "in.tar"),
      writeTar([
        { path: "x", type: "dir" },
        { path: "x/f", type: "file", data: "busybox\n" },
        { path: "x/l", type: "symlink", linkname: "f" },
        { path: "x/h", type: "hardlink", linkname: "x/f" },
        { path: long, type: "file", data: "long\n" },
      ]),
    );
    const out = fresh("bb-extract/out");
    execFileSync(BUSYBOX, ["tar", "-xf", join(dir, "in.tar"), "-C", out]);
    expect(readFileSync(join(out, "x/f"), "utf8")).toBe("busybox\n");
    expect(readlinkSync(join(out, "x/l"))).toBe("f");
    expect(statSync(join(out, "x/h")).ino).toBe(statSync(join(out, "x/f")).ino);
    expect(readFileSync(join(out, long), "utf8")).toBe("long\n");
  });
});

describe("compareTarPaths", () => {
  it("agrees with a component-wise comparison, including astral characters", () => {
    const reference = (a: string, b: string): number => {
      const pa = a.split("/");
      const pb = b.split("/");
      for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
        const x = [...pa[i]!].map((c) => c.codePointAt(0)!);
        const y = [...pb[i]!].map((c) => c.codePointAt(0)!);
        for (let k = 0; k < Math.min(x.length, y.length); k++) if (x[k] !== y[k]) return x[k]! - y[k]!;
        if (x.length !== y.length) return x.length - y.length;
      }
      return pa.length - pb.length;
    };
    const parts = ["a", "a-b", "a.b", "b", "ab", "\u{1F600}", "\uFFFD", "Z", "é"];
    const paths: string[] = [];
    for (const x of parts) for (const y of ["", ...parts]) paths.push(y === "" ? x : `${x}/${y}`);
    for (const a of paths) for (const b of paths) expect(Math.sign(compareTarPaths(a, b))).toBe(Math.sign(reference(a, b)));
  });
});
