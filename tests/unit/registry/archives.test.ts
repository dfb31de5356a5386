// save, load, import and export of src/engine/distribution.ts, in memory.

import { describe, expect, it } from "vitest";
import { gunzip, gzip } from "../../../src/core/compress.ts";
import { BerthError } from "../../../src/core/errors.ts";
import { parseImageIndex } from "../../../src/core/oci.ts";
import { readTar, writeTar } from "../../../src/core/tar.ts";
import { importBundledImages } from "../../../src/engine/bundled.ts";
import { directoryReader } from "../../../src/engine/bundled.node.ts";
import { applyChanges, CREDENTIALS_META_PREFIX, Distribution } from "../../../src/engine/distribution.ts";
import { ImageStore } from "../../../src/engine/images.ts";
import { createMemoryStorage } from "../../../src/storage/memory.ts";

const dec = new TextDecoder();

async function setup(options: { empty?: boolean; archive?: (id: string) => Promise<Uint8Array> } = {}) {
  const storage = createMemoryStorage();
  const images = new ImageStore(storage.content, storage.refs);
  if (!options.empty) await importBundledImages(images, directoryReader());
  const events: string[] = [];
  const dist = new Distribution({
    images,
    now: () => new Date("2026-11-28T00:00:00Z"),
    publish: (action, id) => events.push(`${action} ${id}`),
    ...(options.archive ? { containerArchive: options.archive } : {}),
  });
  return { storage, images, dist, events };
}

function files(tar: Uint8Array): Map<string, Uint8Array> {
  return new Map(readTar(tar).map((e) => [e.path, e.data]));
}

describe("save", () => {
  it("writes docker's archive that is also an OCI layout", async () => {
    const { dist, images } = await setup();
    const busybox = await images.resolve("busybox");
    const archive = files(await dist.save(["busybox"]));
    const manifest = JSON.parse(dec.decode(archive.get("manifest.json")!)) as { Config: string; RepoTags: string[]; Layers: string[] }[];
    const diffHex = busybox.config.rootfs.diff_ids[0]!.slice(7);
    expect(manifest).toEqual([{ Config: `blobs/sha256/${busybox.id.slice(7)}`, RepoTags: ["busybox:latest"], Layers: [`blobs/sha256/${diffHex}`] }]);
    expect(JSON.parse(dec.decode(archive.get("repositories")!))).toEqual({ busybox: { latest: diffHex } });
    expect(JSON.parse(dec.decode(archive.get("oci-layout")!))).toEqual({ imageLayoutVersion: "1.0.0" });
    const index = parseImageIndex(archive.get("index.json")!);
    expect(index.manifests[0]!.annotations).toEqual({ "io.containerd.image.name": "docker.io/library/busybox:latest", "org.opencontainers.image.ref.name": "latest" });
    // Layers are uncompressed tars named by their diff IDs.
    expect(readTar(archive.get(`blobs/sha256/${diffHex}`)!).some((e) => e.path === "bin/busybox")).toBe(true);
  });

  it("--format oci keeps the stored blobs (same manifest digest); an image named by ID has no tags", async () => {
    const { dist, images } = await setup();
    const busybox = await images.resolve("busybox");
    const archive = files(await dist.save([busybox.id.slice(7, 19)], { format: "oci" }));
    expect(archive.has("manifest.json")).toBe(false);
    const index = parseImageIndex(archive.get("index.json")!);
    expect(index.manifests).toEqual([{ mediaType: busybox.manifestDescriptor.mediaType, digest: busybox.manifestDigest, size: busybox.manifestDescriptor.size }]);
    expect(archive.has(`blobs/sha256/${busybox.manifest.layers[0]!.digest.slice(7)}`)).toBe(true);
    await expect(dist.save(["nope"])).rejects.toThrow("No such image: nope:latest");
  });
});

describe("load", () => {
  it("round-trips both formats, gzipped or not, keeping the image ID", async () => {
    const { dist, images } = await setup();
    const busybox = await images.resolve("busybox");
    for (const format of ["docker", "oci"] as const) {
      for (const zip of [false, true]) {
        let archive = await dist.save(["busybox"], { format });
        if (zip) archive = await gzip(archive);
        const fresh = await setup({ empty: true });
        expect(await fresh.dist.load(archive)).toEqual([{ id: busybox.id, tags: ["busybox:latest"] }]);
        expect((await fresh.images.resolve("busybox")).id).toBe(busybox.id);
        expect(fresh.events).toEqual([`load ${busybox.id}`]);
      }
    }
  });

  it("checks layers against the config's diff IDs and refuses other tars", async () => {
    const { dist } = await setup();
    const archive = files(await dist.save(["busybox"]));
    const manifest = JSON.parse(dec.decode(archive.get("manifest.json")!)) as { Layers: string[] }[];
    const broken = writeTar(
      [...archive.entries()].map(([path, data]) => ({
        path,
        type: "file" as const,
        data: path === manifest[0]!.Layers[0] ? writeTar([{ path: "evil", type: "file", data: "x" }]) : data,
      })),
    );
    const fresh = await setup({ empty: true });
    const err = await fresh.dist.load(broken).catch((e: BerthError) => e);
    expect(err).toBeInstanceOf(BerthError);
    expect((err as BerthError).message).toMatch(/^invalid diffID for layer 0: calculated sha256:[0-9a-f]{64}, expected sha256:[0-9a-f]{64}$/);
    expect(await fresh.images.list()).toEqual([]);
    await expect(fresh.dist.load(writeTar([{ path: "hello", type: "file", data: "x" }]))).rejects.toThrow(/^invalid archive: it has neither manifest.json/);
  });
});

describe("import", () => {
  it("makes a one-layer image from a filesystem tar, with changes and a message", async () => {
    const { dist, images, events } = await setup();
    const tar = writeTar([
      { path: "./", type: "dir" },
      { path: "./bin/", type: "dir" },
      { path: "./bin/app", type: "file", data: "#!/bin/sh\necho app\n", mode: 0o755 },
    ]);
    const { id } = await dist.import(await gzip(tar), {
      ref: "me/app:1",
      changes: ['CMD ["/bin/app"]', "ENV A=1 B='two words'", "EXPOSE 80", "WORKDIR /bin", "LABEL x=y"],
      message: "from a tarball",
    });
    const image = await images.resolve("me/app:1");
    expect(image.id).toBe(id);
    expect(image.config.config).toEqual({
      Cmd: ["/bin/app"],
      Env: ["A=1", "B=two words"],
      ExposedPorts: { "80/tcp": {} },
      WorkingDir: "/bin",
      Labels: { x: "y" },
    });
    expect(image.config.history).toEqual([{ created: "2026-11-28T00:00:00.000Z", comment: "from a tarball" }]);
    expect(image.config.architecture).toBe("386");
    expect(image.manifest.layers).toHaveLength(1);
    const layer = readTar(await gunzip(await images.content.get(image.manifest.layers[0]!.digest)));
    expect(layer.map((e) => e.path)).toEqual(["bin", "bin/app"]);
    expect(events).toEqual([`import ${id}`]);
    const untagged = await dist.import(tar);
    expect((await images.resolve(untagged.id)).config.history?.[0]?.comment).toBe("Imported from -");
  });

  it("refuses unknown change instructions and other platforms", async () => {
    expect(() => applyChanges({}, ["RUN echo"])).toThrow("run is not a valid change command");
    expect(applyChanges({ Env: ["A=0"] }, ["ENV A 1", "CMD echo hi", "USER nobody", "VOLUME /data", "STOPSIGNAL SIGINT"])).toEqual({
      Env: ["A=1"],
      Cmd: ["/bin/sh", "-c", "echo hi"],
      User: "nobody",
      Volumes: { "/data": {} },
      StopSignal: "SIGINT",
    });
    const { dist } = await setup();
    await expect(dist.import(writeTar([]), { platform: "linux/amd64" })).rejects.toThrow(/linux\/386 only/);
  });
});

describe("export", () => {
  it("writes the container's tar without ./ and without the root entry", async () => {
    const raw = writeTar([
      { path: "./", type: "dir" },
      { path: "./etc/", type: "dir" },
      { path: "./etc/hostname", type: "file", data: "c1\n" },
      { path: "./bin/sh", type: "symlink", linkname: "busybox" },
    ]);
    const asked: string[] = [];
    const { dist } = await setup({ archive: async (id) => (asked.push(id), raw) });
    const out = readTar(await dist.export("c1"));
    expect(asked).toEqual(["c1"]);
    expect(out.map((e) => [e.path, e.type])).toEqual([
      ["etc", "dir"],
      ["etc/hostname", "file"],
      ["bin/sh", "symlink"],
    ]);
    await expect((await setup()).dist.export("c1")).rejects.toThrow(/not wired/);
  });
});

describe("credentials", () => {
  it("logout of a registry never logged in to removes nothing", async () => {
    const { dist, storage } = await setup();
    expect(await dist.logout()).toEqual({ server: "https://index.docker.io/v1/", removed: false });
    await storage.refs.setMeta(CREDENTIALS_META_PREFIX + "docker.io", { username: "u", password: "p" });
    expect(await dist.loggedIn()).toEqual(["docker.io"]);
    expect(await dist.logout("https://index.docker.io/v1/")).toEqual({ server: "https://index.docker.io/v1/", removed: true });
    expect(await dist.loggedIn()).toEqual([]);
    await expect(dist.login({ username: "", password: "p" })).rejects.toThrow("Username is required");
  });
});
