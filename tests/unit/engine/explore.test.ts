import { IDBFactory } from "fake-indexeddb";
import { describe, expect, it } from "vitest";
import { putBlob } from "../../../src/core/content.ts";
import { buildLayer } from "../../../src/core/layers.ts";
import type { ImageConfig } from "../../../src/core/oci.ts";
import { sha256 } from "../../../src/core/sha256.ts";
import { writeTar, type TarEntryInput } from "../../../src/core/tar.ts";
import { Engine } from "../../../src/engine/engine.ts";
import { guestStats, imageFilesystem, resetAll, volumeFiles } from "../../../src/engine/explore.ts";
import { createMemoryStorage } from "../../../src/storage/memory.ts";

async function setup() {
  const storage = createMemoryStorage();
  const engine = new Engine({ storage, startGuest: () => Promise.reject(new Error("no guest in unit tests")) });
  const layer = async (entries: TarEntryInput[]) => {
    const built = await buildLayer(entries);
    await putBlob(storage.content, built.gz, { digest: built.digest, size: built.size });
    return { descriptor: built.descriptor, diffId: built.diffId, uncompressedSize: built.tar.length };
  };
  const base = await layer([
    { path: "bin/sh", type: "file", data: "shell", mode: 0o755 },
    { path: "etc/motd", type: "file", data: "hello" },
  ]);
  const app = await layer([
    { path: "app/run", type: "file", data: "run!" },
    { path: "etc/.wh.motd", type: "file" },
    { path: "bin/ash", type: "symlink", linkname: "sh" },
  ]);
  const config: ImageConfig = {
    created: "2024-01-01T00:00:00Z",
    architecture: "386",
    os: "linux",
    config: { Cmd: ["sh"] },
    rootfs: { type: "layers", diff_ids: [base.diffId, app.diffId] },
    history: [{ created_by: "ADD base" }, { created_by: "ENV A=1", empty_layer: true }, { created_by: "COPY app" }],
  };
  await engine.images.writeImage({ config, layers: [base, app], tags: ["app:1"] });
  return { storage, engine };
}

describe("imageFilesystem", () => {
  it("merges the layers up to the one asked for, with the layer that wrote each path", async () => {
    const { engine } = await setup();
    const first = await imageFilesystem(engine, "app:1", 0);
    expect(first.truncated).toBe(false);
    expect(first.entries.map((e) => e.path)).toEqual(["/bin", "/bin/sh", "/etc", "/etc/motd"]);
    expect(first.entries.find((e) => e.path === "/bin/sh")).toMatchObject({ type: "file", size: 5, mode: 0o755, layer: 0 });

    const both = await imageFilesystem(engine, "app:1", 1);
    expect(both.entries.map((e) => e.path)).toEqual(["/app", "/app/run", "/bin", "/bin/ash", "/bin/sh", "/etc"]);
    expect(both.entries.find((e) => e.path === "/bin/ash")).toMatchObject({ type: "symlink", linkname: "sh", layer: 1 });
    expect(both.entries.find((e) => e.path === "/bin/sh")?.layer).toBe(0);
  });

  it("refuses a layer the image does not have", async () => {
    const { engine } = await setup();
    await expect(imageFilesystem(engine, "app:1", 2)).rejects.toThrow(/has 2 layers/);
    await expect(imageFilesystem(engine, "nope", 0)).rejects.toThrow(/No such image/);
  });
});

describe("volumeFiles", () => {
  it("lists the last synced contents of a volume, and nothing for a new one", async () => {
    const { engine, storage } = await setup();
    await engine.volumeCreate({ name: "data" });
    expect(await volumeFiles(engine, "data")).toEqual({ entries: [], truncated: false });

    const tar = writeTar([
      { path: "./notes", type: "dir" },
      { path: "./notes/a.txt", type: "file", data: "first" },
    ]);
    const digest = await sha256(tar);
    await putBlob(storage.content, tar, { digest, size: tar.length });
    const rec = (await storage.refs.getMeta("volume/data")) as Record<string, unknown>;
    await storage.refs.setMeta("volume/data", { ...rec, data: { digest, size: tar.length } } as never);

    const files = await volumeFiles(engine, "data");
    expect(files.entries.map((e) => [e.path, e.type, e.size])).toEqual([
      ["/notes", "dir", 0],
      ["/notes/a.txt", "file", 5],
    ]);
    await expect(volumeFiles(engine, "missing")).rejects.toThrow(/no such volume/);
  });
});

describe("guestStats and resetAll", () => {
  it("reports a stopped guest without starting it", async () => {
    const { engine } = await setup();
    expect(await guestStats(engine)).toEqual({ state: "stopped" });
  });

  it("deletes every database of the origin", async () => {
    const factory = new IDBFactory();
    for (const name of ["berth", "berth-workspace"]) {
      await new Promise<void>((resolve, reject) => {
        const req = factory.open(name, 1);
        req.onupgradeneeded = () => req.result.createObjectStore("x");
        req.onsuccess = () => {
          // An open connection that steps aside on a version change, as Berth's stores do.
          req.result.onversionchange = () => req.result.close();
          resolve();
        };
        req.onerror = () => reject(req.error);
      });
    }
    expect((await factory.databases()).map((d) => d.name).sort()).toEqual(["berth", "berth-workspace"]);
    expect((await resetAll(null, factory)).sort()).toEqual(["berth", "berth-workspace"]);
    expect(await factory.databases()).toEqual([]);
  });
});
