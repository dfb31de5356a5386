import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gunzip } from "../../../src/core/compress.ts";
import {
  LayeredView,
  buildLayer,
  classifyLayerPath,
  layerChanges,
  overlayUpperToLayer,
  sortLayerEntries,
  splitForGuest,
} from "../../../src/core/layers.ts";
import { sha256 } from "../../../src/core/sha256.ts";
import { readTar, writeTar, type TarEntryInput } from "../../../src/core/tar.ts";

const dec = new TextDecoder();
const tar = (entries: TarEntryInput[]) => writeTar(entries);

const base = tar([
  { path: "bin", type: "dir" },
  { path: "bin/busybox", type: "file", data: "BUSYBOX", mode: 0o755 },
  { path: "bin/sh", type: "hardlink", linkname: "bin/busybox" },
  { path: "etc", type: "dir" },
  { path: "etc/passwd", type: "file", data: "root:x:0:0:root:/root:/bin/sh\n" },
  { path: "etc/group", type: "file", data: "root:x:0:\n" },
  { path: "etc/alternatives", type: "dir" },
  { path: "etc/alternatives/editor", type: "symlink", linkname: "/bin/vi" },
  { path: "usr/lib", type: "dir" },
  { path: "usr/lib/libc.so", type: "file", data: "libc" },
  { path: "lib", type: "symlink", linkname: "usr/lib" },
  { path: "opt/app", type: "dir" },
  { path: "opt/app/old.txt", type: "file", data: "old" },
  { path: "opt/app/keep/me", type: "file", data: "sub" },
  { path: "var/cache/big", type: "dir" },
  { path: "var/cache/big/blob", type: "file", data: "cached" },
  { path: "loop1", type: "symlink", linkname: "loop2" },
  { path: "loop2", type: "symlink", linkname: "loop1" },
  { path: "escape", type: "symlink", linkname: "../../../../etc" },
]);

describe("LayeredView", () => {
  it("merges layers and reads files, following symlinks inside the view", () => {
    const view = LayeredView.fromTars([base]);
    expect(view.layerCount).toBe(1);
    expect(view.readText("/etc/passwd")).toContain("root:x:0:0");
    expect(view.readText("lib/libc.so")).toBe("libc");
    expect(view.lookup("lib/libc.so")!.path).toBe("usr/lib/libc.so");
    expect(view.lookup("lib", { follow: false })).toMatchObject({ type: "symlink", linkname: "usr/lib", path: "lib" });
    expect(view.lookup("lib")).toMatchObject({ type: "dir", path: "usr/lib" });
    // "../../../../etc" cannot climb above the view's root.
    expect(view.lookup("escape/passwd")!.path).toBe("etc/passwd");
    expect(view.lookup("/etc/../etc/./group")!.path).toBe("etc/group");
    // A dangling link: lstat sees it, stat does not.
    expect(view.lookup("etc/alternatives/editor")).toBeUndefined();
    expect(view.lookup("etc/alternatives/editor", { follow: false })!.type).toBe("symlink");
    expect(view.lookup("etc/passwd/x")).toBeUndefined();
    expect(() => view.lookup("loop1")).toThrow(/too many levels of symbolic links/);
    expect(view.lookup("loop1", { follow: false })!.type).toBe("symlink");
  });

  it("resolves hard links to the same file, also across layers", () => {
    const view = LayeredView.fromTars([base, tar([{ path: "usr/bin/ls", type: "hardlink", linkname: "bin/busybox" }])]);
    const busybox = view.lookup("bin/busybox")!;
    expect(view.lookup("bin/sh")).toMatchObject({ type: "file", ino: busybox.ino, mode: 0o755, layer: 0 });
    expect(view.readText("usr/bin/ls")).toBe("BUSYBOX");
    expect(view.lookup("usr/bin/ls")!.ino).toBe(busybox.ino);
    expect(view.lookup("usr/bin")!.layer).toBe(1); // an implicit parent of layer 1
    expect(() => LayeredView.fromTars([tar([{ path: "a", type: "hardlink", linkname: "missing" }])])).toThrow(
      /layer 0: hard link \/a points at \/missing, which does not exist/,
    );
  });

  it("applies a whiteout and an opaque directory", () => {
    const upper = tar([
      { path: "etc/.wh.group", type: "file" },
      { path: "var/cache/.wh.big", type: "file" },
      { path: "opt/app", type: "dir", mode: 0o700 },
      { path: "opt/app/.wh..wh..opq", type: "file" },
      { path: "opt/app/new.txt", type: "file", data: "new" },
    ]);
    const view = LayeredView.fromTars([base, upper]);
    expect(view.lookup("etc/group")).toBeUndefined();
    expect(view.lookup("etc/passwd")).toBeDefined();
    expect(view.lookup("var/cache/big")).toBeUndefined();
    expect(view.lookup("var/cache/big/blob")).toBeUndefined();
    expect(view.list("opt/app").map((e) => e.name)).toEqual(["new.txt"]);
    expect(view.lookup("opt/app")).toMatchObject({ mode: 0o700, layer: 1 });
    // The markers themselves are not files of the view.
    expect(view.lookup("etc/.wh.group")).toBeUndefined();
    expect(view.lookup("opt/app/.wh..wh..opq")).toBeUndefined();
  });

  it("applies whiteouts only to lower layers, whatever their order in the tar", () => {
    const upper = tar([
      { path: "opt/app/new.txt", type: "file", data: "new" },
      { path: "opt/app/.wh..wh..opq", type: "file" },
      { path: "etc/motd", type: "file", data: "hi" },
      { path: "etc/.wh.motd", type: "file" },
    ]);
    const view = LayeredView.fromTars([base, upper]);
    expect(view.list("opt/app").map((e) => e.name)).toEqual(["new.txt"]);
    expect(view.readText("etc/motd")).toBe("hi");
    // A later layer can remove it.
    view.applyLayer(tar([{ path: "etc/.wh.motd", type: "file" }]));
    expect(view.lookup("etc/motd")).toBeUndefined();
  });

  it("replaces and merges like overlayfs", () => {
    const upper = tar([
      { path: "etc", type: "dir", mode: 0o750 }, // a directory over a directory keeps its contents
      { path: "bin/busybox", type: "file", data: "NEW", mode: 0o755 }, // replaces the file; bin/sh keeps the old one
      { path: "lib/extra.so", type: "file", data: "extra" }, // "lib" becomes a directory over the lower symlink
      { path: "opt/app/keep", type: "file", data: "now a file" }, // a file over a directory
    ]);
    const view = LayeredView.fromTars([base, upper]);
    expect(view.lookup("etc")!.mode).toBe(0o750);
    expect(view.readText("etc/passwd")).toContain("root");
    expect(view.readText("bin/busybox")).toBe("NEW");
    expect(view.readText("bin/sh")).toBe("BUSYBOX");
    expect(view.lookup("lib", { follow: false })!.type).toBe("dir");
    expect(view.list("lib").map((e) => e.name)).toEqual(["extra.so"]);
    expect(view.readText("usr/lib/libc.so")).toBe("libc");
    expect(view.lookup("opt/app/keep")!.type).toBe("file");
    expect(view.lookup("opt/app/keep/me")).toBeUndefined();
  });

  it("lists, walks in order and reports errors", () => {
    const view = LayeredView.fromTars([base]);
    expect(view.list("").map((e) => e.name)).toEqual(["bin", "escape", "etc", "lib", "loop1", "loop2", "opt", "usr", "var"]);
    expect(view.list("lib").map((e) => e.path)).toEqual(["usr/lib/libc.so"]);
    const walked = [...view.walk("opt")].map((e) => e.path);
    expect(walked).toEqual(["opt/app", "opt/app/keep", "opt/app/keep/me", "opt/app/old.txt"]);
    expect([...view.walk()].length).toBe(24); // 19 entries and 5 implicit parents
    expect(() => view.list("nope")).toThrow(/no such file or directory: \/nope/);
    expect(() => view.list("etc/passwd")).toThrow(/not a directory: \/etc\/passwd/);
    expect(() => view.readFile("etc")).toThrow(/is a directory: \/etc/);
    expect(() => view.readFile("etc/shadow")).toThrow(/no such file or directory: \/etc\/shadow/);
  });

  it("clones independently", () => {
    const view = LayeredView.fromTars([base]);
    const copy = view.clone();
    copy.applyLayer(tar([{ path: "etc/.wh.passwd", type: "file" }, { path: "etc/new", type: "file" }]));
    expect(view.lookup("etc/passwd")).toBeDefined();
    expect(view.lookup("etc/new")).toBeUndefined();
    expect(copy.lookup("etc/passwd")).toBeUndefined();
    expect(copy.layerCount).toBe(2);
  });

  it("exports the merged tree as a tar that reads back the same", () => {
    const view = LayeredView.fromTars([base, tar([{ path: "etc/.wh.group", type: "file" }])]);
    const again = LayeredView.fromTars([view.exportTar()]);
    const summary = (v: LayeredView) => [...v.walk()].map((e) => `${e.path} ${e.type} ${e.mode.toString(8)} ${e.size} ${e.linkname}`);
    expect(summary(again)).toEqual(summary(view));
    expect(again.lookup("bin/sh")!.ino).toBe(again.lookup("bin/busybox")!.ino);
  });
});

describe("layerChanges", () => {
  it("reports added, changed and deleted paths like docker diff", () => {
    const below = LayeredView.fromTars([base]);
    const changes = layerChanges(
      below,
      tar([
        { path: "etc", type: "dir" },
        { path: "etc/passwd", type: "file", data: "changed" },
        { path: "etc/.wh.group", type: "file" },
        { path: "etc/.wh.never-existed", type: "file" },
        { path: "etc/new", type: "file" },
        { path: "opt/app/.wh..wh..opq", type: "file" },
        { path: "opt/app/old.txt", type: "file", data: "again" },
        { path: "lib/x", type: "file" }, // under a lower symlink: added, not changed
        { path: "srv", type: "dir" },
      ]),
    );
    expect(changes).toEqual([
      { path: "etc", kind: "C" },
      { path: "etc/group", kind: "D" },
      { path: "etc/new", kind: "A" },
      { path: "etc/passwd", kind: "C" },
      { path: "lib/x", kind: "A" },
      { path: "opt/app/keep", kind: "D" },
      { path: "opt/app/old.txt", kind: "C" },
      { path: "srv", kind: "A" },
    ]);
    // The view below is untouched.
    expect(below.lookup("etc/group")).toBeDefined();
  });
});

describe("buildLayer", () => {
  it("sorts entries, hashes the tar and the gzip, and is reproducible", async () => {
    const entries: TarEntryInput[] = [
      { path: "b/file", type: "file", data: "b" },
      { path: "a-b", type: "file", data: "ab" },
      { path: "a", type: "dir" },
      { path: "a/z", type: "file", data: "z" },
    ];
    const one = await buildLayer(entries);
    const two = await buildLayer([...entries].reverse());
    expect(one.digest).toBe(two.digest);
    expect(one.diffId).toBe(two.diffId);
    expect(one.diffId).toBe(await sha256(one.tar));
    expect(one.digest).toBe(await sha256(one.gz));
    expect(one.size).toBe(one.gz.length);
    expect(one.descriptor).toEqual({ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: one.digest, size: one.size });
    expect(await gunzip(one.gz)).toEqual(one.tar);
    // Parents ("b") are not invented unless asked for.
    expect(readTar(one.tar).map((e) => e.path)).toEqual(["a", "a/z", "a-b", "b/file"]);
    const withParents = await buildLayer(entries, { parents: { mtime: 5 } });
    expect(readTar(withParents.tar).map((e) => `${e.path}:${e.type}`)).toEqual(["a:dir", "a/z:file", "a-b:file", "b:dir", "b/file:file"]);
    expect(readTar(withParents.tar)[3]).toMatchObject({ mode: 0o755, mtime: 5 });
  });

  it("puts the data on the hard link that sorts first", async () => {
    const sorted = sortLayerEntries([
      { path: "z/busybox", type: "file", data: "BB", mode: 0o755 },
      { path: "a/sh", type: "hardlink", linkname: "z/busybox" },
      { path: "m/ls", type: "hardlink", linkname: "a/sh" },
      { path: "lower", type: "hardlink", linkname: "in/a/lower/layer" },
    ]);
    expect(sorted.map((e) => [e.path, e.type, e.linkname, dec.decode(e.data)])).toEqual([
      ["a/sh", "file", "", "BB"],
      ["lower", "hardlink", "in/a/lower/layer", ""],
      ["m/ls", "hardlink", "a/sh", ""],
      ["z/busybox", "hardlink", "a/sh", ""],
    ]);
    expect(sorted[0]!.mode).toBe(0o755);
    const view = LayeredView.fromTars([writeTar(sorted.filter((e) => e.path !== "lower"))]);
    expect(view.readText("z/busybox")).toBe("BB");
  });

  it("refuses duplicate paths and takes a finished tar as it is", async () => {
    await expect(buildLayer([{ path: "a", type: "file" }, { path: "./a", type: "file" }])).rejects.toThrow(/\/a is listed twice/);
    const t = tar([{ path: "z", type: "file" }, { path: "a", type: "file" }]);
    const layer = await buildLayer(t);
    expect(layer.tar).toBe(t);
    expect(layer.diffId).toBe(await sha256(t));
  });
});

describe("overlay upper directories", () => {
  it("turns char 0/0 whiteouts and opaque dirs into OCI markers", () => {
    const upper = tar([
      { path: "./", type: "dir" },
      { path: "./etc/", type: "dir", mode: 0o755 },
      { path: "./etc/group", type: "char", devmajor: 0, devminor: 0, mode: 0o600, uid: 5 },
      { path: "./etc/passwd", type: "file", data: "changed" },
      { path: "./dev/", type: "dir" },
      { path: "./dev/null", type: "char", devmajor: 1, devminor: 3 },
      { path: "./opt/", type: "dir", mode: 0o750, uid: 7 },
      { path: "./opt/new", type: "file" },
      { path: "./srv/", type: "dir", xattrs: { "trusted.overlay.opaque": "y", "user.keep": "1" } },
    ]);
    const layer = readTar(overlayUpperToLayer(upper, ["/opt"]));
    expect(layer.map((e) => `${e.path} ${e.type}`)).toEqual([
      "dev dir",
      "dev/null char",
      "etc dir",
      "etc/.wh.group file",
      "etc/passwd file",
      "opt dir",
      "opt/.wh..wh..opq file",
      "opt/new file",
      "srv dir",
      "srv/.wh..wh..opq file",
    ]);
    expect(layer[3]).toMatchObject({ mode: 0o600, uid: 5, size: 0 });
    expect(layer[6]).toMatchObject({ mode: 0o750, uid: 7 });
    expect(layer[8]!.xattrs).toEqual({ "user.keep": "1" });
    expect(layer[1]).toMatchObject({ devmajor: 1, devminor: 3 });
  });

  it("overlayUpperToLayer clamps mtimes to clampMtime (SOURCE_DATE_EPOCH), whiteouts and opaque markers included", () => {
    const upper = writeTar([
      { path: "./", type: "dir", mtime: 900 },
      { path: "./etc/", type: "dir", mtime: 500, xattrs: { "trusted.overlay.opaque": "y" } },
      { path: "./etc/gone", type: "char", devmajor: 0, devminor: 0, mtime: 2000 },
      { path: "./etc/new", type: "file", data: "x", mtime: 1500 },
      { path: "./etc/old", type: "file", data: "y", mtime: 100 },
      { path: "./etc/link", type: "hardlink", linkname: "./etc/new", mtime: 1700 },
    ]);
    const times = (tar: Uint8Array) => Object.fromEntries(readTar(tar).map((e) => [e.path, e.mtime]));
    expect(times(overlayUpperToLayer(upper, [], { clampMtime: 1000 }))).toEqual({
      etc: 500,
      "etc/.wh..wh..opq": 500,
      "etc/.wh.gone": 1000,
      "etc/link": 1000,
      "etc/new": 1000,
      "etc/old": 100,
    });
    expect(times(overlayUpperToLayer(upper))["etc/new"]).toBe(1500);
  });

  describe("on a real busybox tar of a directory", () => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), "berth-upper-"));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    const mknodWorks = (() => {
      if (!existsSync("/bin/busybox")) return false;
      const probe = mkdtempSync(join(tmpdir(), "berth-mknod-"));
      try {
        return spawnSync("mknod", [join(probe, "w"), "c", "0", "0"]).status === 0;
      } finally {
        rmSync(probe, { recursive: true, force: true });
      }
    })();

    it.skipIf(!mknodWorks)("converts whiteouts made by mknod c 0 0", () => {
      const upper = join(dir, "upper");
      mkdirSync(join(upper, "etc"), { recursive: true });
      mkdirSync(join(upper, "var/lib/apt"), { recursive: true });
      writeFileSync(join(upper, "etc/hostname"), "box\n");
      execFileSync("mknod", [join(upper, "etc/shadow"), "c", "0", "0"]);
      execFileSync("mknod", [join(upper, "var/lib/apt/lists"), "c", "0", "0"]);
      const busyboxTar = new Uint8Array(execFileSync("/bin/busybox", ["tar", "-c", "-C", upper, "."]));
      expect(readTar(busyboxTar).find((e) => e.path === "etc/shadow")).toMatchObject({ type: "char", devmajor: 0, devminor: 0 });
      const layer = overlayUpperToLayer(busyboxTar, ["var/lib/apt"]);
      expect(readTar(layer).map((e) => `${e.path} ${e.type}`)).toEqual([
        "etc dir",
        "etc/.wh.shadow file",
        "etc/hostname file",
        "var dir",
        "var/lib dir",
        "var/lib/apt dir",
        "var/lib/apt/.wh..wh..opq file",
        "var/lib/apt/.wh.lists file",
      ]);
      const below = LayeredView.fromTars([
        tar([
          { path: "etc/shadow", type: "file", data: "secret" },
          { path: "var/lib/apt/old", type: "file" },
        ]),
      ]);
      expect(layerChanges(below, layer)).toEqual([
        { path: "etc", kind: "C" },
        { path: "etc/hostname", kind: "A" },
        { path: "etc/shadow", kind: "D" },
        { path: "var", kind: "C" },
        { path: "var/lib", kind: "C" },
        { path: "var/lib/apt", kind: "C" },
        { path: "var/lib/apt/old", kind: "D" },
      ]);
      // And back: what the guest needs to rebuild the overlay lower directory.
      const split = splitForGuest(layer);
      expect(split.whiteouts).toEqual(["etc/shadow", "var/lib/apt/lists"]);
      expect(split.opaqueDirs).toEqual(["var/lib/apt"]);
    });
  });
});

describe("splitForGuest", () => {
  it("removes markers, keeps the other entries byte for byte and lists what to recreate", () => {
    const layer = tar([
      { path: "a", type: "dir" },
      { path: "a/.wh..wh..opq", type: "file" },
      { path: "a/file", type: "file", data: "x" },
      { path: "b/.wh.gone", type: "file" },
      { path: `${"l".repeat(120)}/.wh.${"g".repeat(100)}`, type: "file" },
      { path: ".wh..wh..opq", type: "file" },
      { path: "c/.wh..wh.plnk", type: "dir" },
    ]);
    const split = splitForGuest(layer);
    expect(readTar(split.tar).map((e) => e.path)).toEqual(["a", "a/file"]);
    expect(split.tar.subarray(0, 512)).toEqual(layer.subarray(0, 512));
    expect(split.whiteouts).toEqual(["b/gone", `${"l".repeat(120)}/${"g".repeat(100)}`]);
    expect(split.opaqueDirs).toEqual(["", "a"]);
    const plain = tar([{ path: "x", type: "file" }]);
    expect(splitForGuest(plain)).toEqual({ tar: plain, whiteouts: [], opaqueDirs: [] });
  });

  it("classifies layer paths", () => {
    expect(classifyLayerPath("a/.wh.b")).toEqual({ kind: "whiteout", target: "a/b" });
    expect(classifyLayerPath(".wh..wh..opq")).toEqual({ kind: "opaque", dir: "" });
    expect(classifyLayerPath("a/.wh..wh.aufs")).toEqual({ kind: "reserved" });
    expect(classifyLayerPath("a/.wh.")).toEqual({ kind: "entry" });
    expect(classifyLayerPath("a/.whb")).toEqual({ kind: "entry" });
  });
});
