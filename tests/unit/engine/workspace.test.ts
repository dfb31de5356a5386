import { IDBFactory } from "fake-indexeddb";
import { describe, expect, it } from "vitest";
import { BerthError } from "../../../src/core/errors.ts";
import {
  WorkspaceStore,
  createWorkspaceApi,
  parentFolders,
  workspacePathProblem,
} from "../../../src/engine/workspace.ts";

const text = (b: Uint8Array) => new TextDecoder().decode(b);

// A fresh fake IndexedDB per test, so tests cannot see each other's data.
async function fresh() {
  const indexedDB = new IDBFactory();
  const store = await WorkspaceStore.open({ indexedDB, name: "ws" });
  return { indexedDB, store };
}

async function kindOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(BerthError);
    return (err as BerthError).kind;
  }
  return "no error";
}

describe("workspace paths", () => {
  it("accepts relative paths with folders", () => {
    for (const p of ["Dockerfile", "site/index.html", "a b/c-d_e.f", "<img src=x onerror=alert(1)>", ".dockerignore", "ünïcode/文件"]) {
      expect(workspacePathProblem(p), p).toBeNull();
    }
  });

  it("rejects escapes, absolute paths, control characters and odd shapes", () => {
    for (const p of ["", "/etc/passwd", "../x", "a/../../x", "a/./b", ".", "a//b", "a/", "C:\\x", "a\\b", "a\u0000b", "a\nb", "x\u202eexe.txt", "\u001b[31m", "a".repeat(256), "a/".repeat(600) + "b"]) {
      expect(workspacePathProblem(p), JSON.stringify(p)).not.toBeNull();
    }
    expect(workspacePathProblem(42)).not.toBeNull();
  });

  it("lists the folders a path is in", () => {
    expect(parentFolders("a/b/c")).toEqual(["a", "a/b"]);
    expect(parentFolders("c")).toEqual([]);
  });
});

describe("workspace store (fake-indexeddb)", () => {
  it("writes, lists and reads files with mode and mtime", async () => {
    const { store } = await fresh();
    expect(await store.list()).toEqual([]);
    await store.write({ path: "Dockerfile", data: "FROM busybox\n", mtime: 1000 });
    await store.write({ path: "bin/run.sh", data: new Uint8Array([35, 33]), mode: 0o755, mtime: 2000 });
    expect(await store.list()).toEqual([
      { path: "Dockerfile", size: 13, mode: 0o644, mtime: 1000 },
      { path: "bin/run.sh", size: 2, mode: 0o755, mtime: 2000 },
    ]);
    const f = await store.read("Dockerfile");
    expect(text(f.data)).toBe("FROM busybox\n");
    expect(f.mode).toBe(0o644);
  });

  it("keeps the mode when a file is rewritten without one", async () => {
    const { store } = await fresh();
    await store.write({ path: "run.sh", data: "a", mode: 0o755 });
    await store.write({ path: "run.sh", data: "bb" });
    expect(await store.list()).toMatchObject([{ path: "run.sh", size: 2, mode: 0o755 }]);
    await store.setMode("run.sh", 0o600);
    expect((await store.read("run.sh")).mode).toBe(0o600);
  });

  it("survives closing and reopening the database (a reload)", async () => {
    const { indexedDB, store } = await fresh();
    await store.write({ path: "keep/me.txt", data: "still here" });
    store.close();
    const again = await WorkspaceStore.open({ indexedDB, name: "ws" });
    expect(text((await again.read("keep/me.txt")).data)).toBe("still here");
  });

  it("rejects invalid paths, modes and file/folder clashes", async () => {
    const { store } = await fresh();
    expect(await kindOf(store.write({ path: "../escape", data: "x" }))).toBe("invalid-argument");
    expect(await kindOf(store.write({ path: "/abs", data: "x" }))).toBe("invalid-argument");
    expect(await kindOf(store.write({ path: "ok", data: "x", mode: 0o10000 }))).toBe("invalid-argument");
    await store.write({ path: "a", data: "file" });
    expect(await kindOf(store.write({ path: "a/b", data: "x" }))).toBe("conflict");
    await store.write({ path: "d/e", data: "x" });
    expect(await kindOf(store.write({ path: "d", data: "x" }))).toBe("conflict");
    expect(await kindOf(store.writeMany([{ path: "n", data: "1" }, { path: "n", data: "2" }]))).toBe("invalid-argument");
    expect((await store.list()).map((e) => e.path)).toEqual(["a", "d/e"]);
  });

  it("reads a missing file as not-found", async () => {
    const { store } = await fresh();
    expect(await kindOf(store.read("nope"))).toBe("not-found");
    expect(await kindOf(store.delete("nope"))).toBe("not-found");
    expect(await kindOf(store.rename("nope", "x"))).toBe("not-found");
  });

  it("renames files and whole folders, never over an existing path", async () => {
    const { store } = await fresh();
    await store.writeMany([
      { path: "site/index.html", data: "<h1>hi</h1>" },
      { path: "site/css/a.css", data: "b{}", mode: 0o600 },
      { path: "Dockerfile", data: "FROM busybox" },
    ]);
    expect(await store.rename("Dockerfile", "Dockerfile.old")).toEqual(["Dockerfile.old"]);
    expect(await store.rename("site", "www/public")).toEqual(["www/public/css/a.css", "www/public/index.html"]);
    expect((await store.list()).map((e) => [e.path, e.mode])).toEqual([
      ["Dockerfile.old", 0o644],
      ["www/public/css/a.css", 0o600],
      ["www/public/index.html", 0o644],
    ]);
    expect(text((await store.read("www/public/index.html")).data)).toBe("<h1>hi</h1>");
    expect(await kindOf(store.rename("Dockerfile.old", "www/public/index.html"))).toBe("already-exists");
    expect(await kindOf(store.rename("www", "www/inner"))).toBe("invalid-argument");
    expect(await kindOf(store.rename("Dockerfile.old", "www/public/index.html/x"))).toBe("conflict");
  });

  it("deletes files and folders", async () => {
    const { store } = await fresh();
    await store.writeMany([
      { path: "a/1", data: "1" },
      { path: "a/2", data: "2" },
      { path: "ab", data: "3" },
    ]);
    expect(await store.delete("a")).toEqual(["a/1", "a/2"]);
    expect((await store.list()).map((e) => e.path)).toEqual(["ab"]);
    expect(await kindOf(store.read("a/1"))).toBe("not-found");
  });

  it("replaces the whole workspace and snapshots it with bytes", async () => {
    const { store } = await fresh();
    await store.write({ path: "mine.txt", data: "mine" });
    await store.replace([
      { path: "Dockerfile", data: "FROM busybox\n" },
      { path: "x/y", data: new Uint8Array([0, 255]) },
    ]);
    const snap = await store.snapshot();
    expect(snap.map((f) => [f.path, Array.from(f.data)])).toEqual([
      ["Dockerfile", Array.from(new TextEncoder().encode("FROM busybox\n"))],
      ["x/y", [0, 255]],
    ]);
    await store.clear();
    expect(await store.list()).toEqual([]);
  });

  it("keeps one SOURCE_DATE_EPOCH while files change; replacing the workspace renews it", async () => {
    const { indexedDB, store } = await fresh();
    const before = Math.floor(Date.now() / 1000);
    const epoch = await store.epoch();
    expect(epoch).toBeGreaterThanOrEqual(before);
    expect(epoch).toBeLessThanOrEqual(Math.floor(Date.now() / 1000));
    await store.write({ path: "a", data: "1" });
    await store.write({ path: "a", data: "2" });
    store.close();
    const again = await WorkspaceStore.open({ indexedDB, name: "ws" });
    expect(await again.epoch()).toBe(epoch);
    await again.replace([{ path: "b", data: "x" }], { epoch: 1700000000 });
    expect(await again.epoch()).toBe(1700000000);
    await again.replace([{ path: "c", data: "y" }]);
    const renewed = await again.epoch();
    expect(renewed).toBeGreaterThan(1700000000);
    // Files of the new workspace are not older than its epoch (builds clamp them to it).
    expect(Math.floor((await again.list())[0].mtime / 1000)).toBeGreaterThanOrEqual(renewed);
    expect(await again.setEpoch(1600000000)).toBe(1600000000);
    expect(await again.epoch()).toBe(1600000000);
    expect(await kindOf(again.setEpoch(-1))).toBe("invalid-argument");
    expect(await kindOf(again.setEpoch(1.5))).toBe("invalid-argument");
    expect(await kindOf(again.replace([], { epoch: Number.NaN }))).toBe("invalid-argument");
    expect(await again.epoch()).toBe(1600000000);
  });

  it("opens a workspace stored by the first version (no epoch yet) and keeps its files", async () => {
    const indexedDB = new IDBFactory();
    await new Promise<void>((resolve, reject) => {
      const req = indexedDB.open("ws", 1);
      req.onupgradeneeded = () => {
        const db = req.result;
        db.createObjectStore("entries", { keyPath: "path" });
        db.createObjectStore("data");
        req.transaction!.objectStore("entries").put({ path: "old.txt", size: 3, mode: 0o644, mtime: 1000 });
        req.transaction!.objectStore("data").put(new TextEncoder().encode("old"), "old.txt");
      };
      req.onsuccess = () => {
        req.result.close();
        resolve();
      };
      req.onerror = () => reject(req.error);
    });
    const store = await WorkspaceStore.open({ indexedDB, name: "ws" });
    expect(text((await store.read("old.txt")).data)).toBe("old");
    expect(await store.epoch()).toBeGreaterThan(1700000000);
  });

  it("serializes concurrent writes so none is lost", async () => {
    const { store } = await fresh();
    await Promise.all(Array.from({ length: 20 }, (_, i) => store.write({ path: `f${i}`, data: String(i) })));
    expect((await store.list()).length).toBe(20);
  });
});

describe("createWorkspaceApi", () => {
  it("opens the database on first use and offers the store's operations", async () => {
    const api = createWorkspaceApi({ indexedDB: new IDBFactory(), name: "api" });
    await api.write("Dockerfile", "FROM busybox\n");
    await api.upload([{ path: "app/run.sh", data: "echo hi\n", mode: 0o755 }]);
    await api.setMode("Dockerfile", 0o600);
    await api.rename("app", "bin");
    expect(await api.list()).toMatchObject([
      { path: "Dockerfile", mode: 0o600 },
      { path: "bin/run.sh", mode: 0o755 },
    ]);
    expect(text((await api.read("bin/run.sh")).data)).toBe("echo hi\n");
    await api.delete("bin");
    expect((await api.snapshot()).map((f) => f.path)).toEqual(["Dockerfile"]);
    await api.replace([{ path: "only", data: "" }]);
    expect((await api.list()).map((f) => f.path)).toEqual(["only"]);
  });

  it("says clearly when IndexedDB is missing", async () => {
    const api = createWorkspaceApi({ indexedDB: undefined });
    const saved = globalThis.indexedDB;
    // Node has no IndexedDB of its own.
    expect(saved).toBeUndefined();
    await expect(api.list()).rejects.toThrow(/IndexedDB is not available/);
  });
});
