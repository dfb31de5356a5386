import { describe, expect, it } from "vitest";
import { canonicalJsonBytes, Shapes } from "../../../src/core/canonical-json.ts";
import { putBlob, type BlobWriter, type ContentStore, type RefStore } from "../../../src/core/content.ts";
import type { Digest } from "../../../src/core/digest.ts";
import { BerthError } from "../../../src/core/errors.ts";
import { buildLayer } from "../../../src/core/layers.ts";
import { MediaType } from "../../../src/core/media-types.ts";
import { ociIndex, ociManifest, type Descriptor, type ImageConfig } from "../../../src/core/oci.ts";
import { sha256 } from "../../../src/core/sha256.ts";
import { ID_REF_PREFIX, ImageStore, formatRemoveResults, type ContainerUse, type LayerInput } from "../../../src/engine/images.ts";
import { createMemoryStorage } from "../../../src/storage/memory.ts";

async function layer(storage: { content: ContentStore }, files: Record<string, string>): Promise<LayerInput> {
  const built = await buildLayer(Object.entries(files).map(([path, data]) => ({ path, type: "file" as const, data })));
  await putBlob(storage.content, built.gz, { digest: built.digest, size: built.size });
  return { descriptor: built.descriptor, diffId: built.diffId, uncompressedSize: built.tar.length };
}

function config(layers: LayerInput[], created: string, extra: Partial<ImageConfig> = {}): ImageConfig {
  return {
    created,
    architecture: "386",
    os: "linux",
    config: { Env: ["PATH=/usr/bin:/bin"], Cmd: ["sh"] },
    rootfs: { type: "layers", diff_ids: layers.map((l) => l.diffId) },
    history: layers.map((_, i) => ({ created, created_by: `step ${i}` })),
    ...extra,
  };
}

async function setup(options: { using?: Map<string, ContainerUse[]> } = {}) {
  const storage = createMemoryStorage();
  const events: string[] = [];
  const images = new ImageStore(storage.content, storage.refs, {
    containersUsing: async (id) => options.using?.get(id) ?? [],
    onEvent: (e) => events.push(`${e.action} ${e.name ?? e.id}`),
  });
  const base = await layer(storage, { "bin/sh": "shell" });
  const app = await layer(storage, { "app/run": "run" });
  const busybox = await images.writeImage({ config: config([base], "2024-01-01T00:00:00Z"), layers: [base], tags: ["busybox"] });
  const myapp = await images.writeImage({
    config: config([base, app], "2024-02-01T00:00:00Z"),
    layers: [base, app],
    tags: ["myapp:1.0", "localhost:5000/team/myapp:1.0"],
  });
  return { storage, images, events, base, app, busybox, myapp };
}

async function rejection(promise: Promise<unknown>): Promise<BerthError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(BerthError);
    return err as BerthError;
  }
  throw new Error("expected a rejection");
}

describe("ImageStore.writeImage", () => {
  it("writes the config and an OCI manifest, and names the image by its config digest", async () => {
    const { storage, images, busybox, base } = await setup();
    expect(busybox.id).toBe(busybox.manifest.config.digest);
    expect(busybox.manifest.mediaType).toBe(MediaType.OciManifest);
    expect(busybox.manifest.config.mediaType).toBe(MediaType.OciConfig);
    expect(busybox.manifest.layers).toEqual([base.descriptor]);
    expect(busybox.tags).toEqual(["busybox:latest"]);
    expect(busybox.refs).toEqual(["docker.io/library/busybox:latest"]);
    expect(busybox.config.config?.Cmd).toEqual(["sh"]);
    expect(await storage.refs.getRef("docker.io/library/busybox:latest")).toEqual(busybox.manifestDescriptor);
    expect(await storage.refs.getRef(ID_REF_PREFIX + busybox.id)).toEqual(busybox.manifestDescriptor);
    // The stored config is what the ID is the digest of.
    expect(await sha256(await storage.content.get(busybox.id))).toBe(busybox.id);
    // Writing the same image again changes nothing.
    const again = await images.writeImage({ config: busybox.config, layers: [base], tags: ["busybox"] });
    expect(again.id).toBe(busybox.id);
    expect(again.manifestDigest).toBe(busybox.manifestDigest);
  });

  it("writes every blob before any ref that points at it", async () => {
    const storage = createMemoryStorage();
    const log: string[] = [];
    const content: ContentStore = {
      ...storage.content,
      has: (d) => storage.content.has(d),
      info: (d) => storage.content.info(d),
      get: (d) => storage.content.get(d),
      delete: (d) => storage.content.delete(d),
      list: () => storage.content.list(),
      ingest: async (expected) => {
        const writer = await storage.content.ingest(expected);
        const wrapped: BlobWriter = {
          get written() {
            return writer.written;
          },
          write: (c) => writer.write(c),
          abort: () => writer.abort(),
          commit: async () => {
            const info = await writer.commit();
            log.push(`blob ${info.digest}`);
            return info;
          },
        };
        return wrapped;
      },
    };
    const refs: RefStore = Object.create(storage.refs);
    refs.setRef = async (name, target, options) => {
      log.push(`ref ${name} -> ${target.digest}`);
      await storage.refs.setRef(name, target, options);
    };
    const images = new ImageStore(content, refs);
    const l = await layer({ content }, { a: "a" });
    const image = await images.writeImage({ config: config([l], "2024-01-01T00:00:00Z"), layers: [l], tags: ["x", "y"] });
    const firstRef = log.findIndex((line) => line.startsWith("ref"));
    expect(log.slice(0, firstRef)).toEqual([`blob ${l.descriptor.digest}`, `blob ${image.id}`, `blob ${image.manifestDigest}`]);
    expect(log.slice(firstRef)).toEqual([
      `ref ${ID_REF_PREFIX}${image.id} -> ${image.manifestDigest}`,
      `ref docker.io/library/x:latest -> ${image.manifestDigest}`,
      `ref docker.io/library/y:latest -> ${image.manifestDigest}`,
    ]);
  });

  it("refuses missing layer blobs and diff_ids that do not match the layers", async () => {
    const { images, base, app } = await setup();
    const missing: LayerInput = { descriptor: { ...base.descriptor, digest: ("sha256:" + "0".repeat(64)) as Digest }, diffId: base.diffId };
    expect((await rejection(images.writeImage({ config: config([missing], "x"), layers: [missing] }))).message).toMatch(
      /layer blob sha256:0+ is not in the content store/,
    );
    expect((await rejection(images.writeImage({ config: config([base], "x"), layers: [base, app] }))).message).toMatch(
      /rootfs.diff_ids \(1\) do not match the layers given \(2\)/,
    );
  });
});

describe("ImageStore.resolve", () => {
  it("finds images by name, full name, ID, ID prefix and manifest digest", async () => {
    const { images, busybox, myapp } = await setup();
    for (const input of ["busybox", "busybox:latest", "docker.io/library/busybox:latest", "index.docker.io/library/busybox", busybox.id]) {
      expect((await images.resolve(input)).id).toBe(busybox.id);
    }
    expect((await images.resolve(busybox.id.slice(7, 19))).id).toBe(busybox.id);
    expect((await images.resolve(`sha256:${busybox.id.slice(7, 11)}`)).id).toBe(busybox.id);
    expect((await images.resolve(`busybox@${busybox.manifestDigest}`)).id).toBe(busybox.id);
    const app = await images.resolve("localhost:5000/team/myapp:1.0");
    expect(app.id).toBe(myapp.id);
    expect(app.tags).toEqual(["localhost:5000/team/myapp:1.0", "myapp:1.0"]);
    expect(app.repoDigests).toEqual([]);
  });

  it("says No such image the way dockerd does", async () => {
    const { images } = await setup();
    const err = await rejection(images.resolve("foo"));
    expect(err.kind).toBe("not-found");
    expect(err.message).toBe("No such image: foo:latest");
    expect((await rejection(images.resolve("ghcr.io/o/r:2"))).message).toBe("No such image: ghcr.io/o/r:2");
    expect((await rejection(images.resolve(`sha256:${"e".repeat(64)}`))).message).toBe(`No such image: sha256:${"e".repeat(64)}`);
    expect((await rejection(images.resolve("Busybox"))).message).toMatch(/invalid reference format: repository name .* must be lowercase/);
    expect(await images.find("foo")).toBeUndefined();
  });

  it("follows a name that points at an index to the linux/386 manifest, and says when there is none", async () => {
    const { storage, images, busybox } = await setup();
    const index = (platforms: string[]) =>
      canonicalJsonBytes(
        ociIndex(platforms.map((arch) => ({ ...busybox.manifestDescriptor, platform: { architecture: arch, os: "linux" } }))),
        Shapes.index,
      );
    const multi = await putBlob(storage.content, index(["amd64", "386"]));
    await storage.refs.setRef("docker.io/library/multi:latest", { mediaType: MediaType.OciIndex, ...multi });
    expect((await images.resolve("multi")).id).toBe(busybox.id);
    const other = await putBlob(storage.content, index(["arm64"]));
    await storage.refs.setRef("docker.io/library/armonly:latest", { mediaType: MediaType.OciIndex, ...other });
    expect((await rejection(images.resolve("armonly"))).message).toBe("no matching manifest for linux/386 in the manifest list entries");
  });

  it("refuses an ambiguous ID prefix", async () => {
    const { images, base } = await setup();
    // 17 images: two of them must share their first hex digit.
    for (let i = 0; i < 15; i++) {
      await images.writeImage({ config: config([base], `2020-01-${String(i + 1).padStart(2, "0")}T00:00:00Z`), layers: [base] });
    }
    const ids = (await images.list()).map((i) => i.id.slice(7));
    expect(ids.length).toBe(17);
    const digit = [..."0123456789abcdef"].find((d) => ids.filter((id) => id.startsWith(d)).length > 1)!;
    const err = await rejection(images.resolve(digit));
    expect(err.message).toMatch(/ambiguous image ID prefix "[0-9a-f]": it matches \d+ images/);
  });
});

describe("ImageStore.list and tag", () => {
  it("lists images newest first with tags, sizes and dangling images", async () => {
    const { storage, images, busybox, myapp, base, app } = await setup();
    const list = await images.list();
    expect(list.map((i) => i.id)).toEqual([myapp.id, busybox.id]);
    expect(list[0]).toMatchObject({
      tags: ["localhost:5000/team/myapp:1.0", "myapp:1.0"],
      repoTags: ["localhost:5000/team/myapp:1.0", "myapp:1.0"],
      created: "2024-02-01T00:00:00Z",
      size: myapp.manifest.config.size + base.descriptor.size + app.descriptor.size,
      unpackedSize: base.uncompressedSize! + app.uncompressedSize!,
      containers: 0,
      manifestDigest: myapp.manifestDigest,
    });
    // A new build takes the tag: the old image stays, untagged.
    const newer = await images.writeImage({ config: config([base], "2024-03-01T00:00:00Z"), layers: [base], tags: ["busybox"] });
    const after = await images.list();
    expect(after.map((i) => [i.id, i.tags])).toEqual([
      [newer.id, ["busybox:latest"]],
      [myapp.id, ["localhost:5000/team/myapp:1.0", "myapp:1.0"]],
      [busybox.id, []],
    ]);
    // Refs of other components are not images.
    await storage.refs.setRef("buildcache/step", base.descriptor);
    expect((await images.list()).length).toBe(3);
  });

  it("tags an image and refuses a digest as a tag", async () => {
    const { images, busybox, events } = await setup();
    await images.tag("busybox", "me/box:v1");
    expect((await images.resolve("me/box:v1")).id).toBe(busybox.id);
    expect((await images.resolve("busybox")).tags).toEqual(["busybox:latest", "me/box:v1"]);
    expect(events).toContain("tag me/box:v1");
    expect((await rejection(images.tag("busybox", `x@${busybox.manifestDigest}`))).message).toBe(
      "refusing to create a tag with a digest reference",
    );
    expect((await rejection(images.tag("nope", "x"))).message).toBe("No such image: nope:latest");
  });

  it("keeps an image that only had a tag (written by another tool) when the tag moves", async () => {
    const { storage, images, base } = await setup();
    const cfgBytes = canonicalJsonBytes(config([base], "2023-01-01T00:00:00Z"), Shapes.imageConfig);
    const cfg = await putBlob(storage.content, cfgBytes);
    const manifestBytes = canonicalJsonBytes(
      ociManifest({ mediaType: MediaType.OciConfig, ...cfg }, [base.descriptor]),
      Shapes.manifest,
    );
    const m = await putBlob(storage.content, manifestBytes);
    await storage.refs.setRef("docker.io/library/foreign:latest", { mediaType: MediaType.OciManifest, ...m });
    expect((await images.resolve("foreign")).id).toBe(cfg.digest);
    await images.tag("busybox", "foreign");
    const dangling = await images.resolve(cfg.digest);
    expect(dangling.tags).toEqual([]);
  });
});

describe("ImageStore.remove", () => {
  it("only untags when the image has other names", async () => {
    const { images, busybox, events } = await setup();
    await images.tag("busybox", "busybox:1.36");
    const result = await images.remove("busybox");
    expect(result).toEqual([{ untagged: "busybox:latest" }]);
    expect(formatRemoveResults(result)).toEqual(["Untagged: busybox:latest"]);
    expect((await images.resolve("busybox:1.36")).id).toBe(busybox.id);
    expect(events).toContain("untag busybox:latest");
  });

  it("deletes the image with its last name", async () => {
    const { images, busybox, storage } = await setup();
    const result = await images.remove("busybox:latest");
    expect(formatRemoveResults(result)).toEqual(["Untagged: busybox:latest", `Deleted: ${busybox.id}`]);
    expect(await images.find(busybox.id)).toBeUndefined();
    expect(await storage.refs.getRef(ID_REF_PREFIX + busybox.id)).toBeUndefined();
    // Blobs stay for the garbage collector.
    expect(await storage.content.has(busybox.id)).toBe(true);
  });

  it("by ID: needs force for names in several repositories", async () => {
    const { images, myapp } = await setup();
    const short = myapp.id.slice(7, 19);
    const err = await rejection(images.remove(short));
    expect(err.kind).toBe("conflict");
    expect(err.message).toBe(`conflict: unable to delete ${short} (must be forced) - image is referenced in multiple repositories`);
    const result = await images.remove(short, { force: true });
    // In the order of the full names (docker.io/library/myapp < localhost:5000/...).
    expect(formatRemoveResults(result)).toEqual([
      "Untagged: myapp:1.0",
      "Untagged: localhost:5000/team/myapp:1.0",
      `Deleted: ${myapp.id}`,
    ]);
  });

  it("by ID: several tags of one repository go without force", async () => {
    const { images, busybox } = await setup();
    await images.tag("busybox", "busybox:1.36");
    expect(formatRemoveResults(await images.remove(busybox.id))).toEqual([
      "Untagged: busybox:1.36",
      "Untagged: busybox:latest",
      `Deleted: ${busybox.id}`,
    ]);
  });

  it("deletes a dangling image by ID", async () => {
    const { images, busybox, base } = await setup();
    await images.writeImage({ config: config([base], "2025-01-01T00:00:00Z"), layers: [base], tags: ["busybox"] });
    expect(await images.remove(busybox.id)).toEqual([{ deleted: busybox.id }]);
  });

  it("says No such image for unknown names", async () => {
    const { images } = await setup();
    const err = await rejection(images.remove("foo"));
    expect(err.message).toBe("No such image: foo:latest");
    expect(err.kind).toBe("not-found");
  });

  it("respects containers that use the image", async () => {
    const using = new Map<string, ContainerUse[]>();
    const { images, busybox } = await setup({ using });
    const short = busybox.id.slice(7, 19);
    using.set(busybox.id, [{ id: "c0ffee0000000000aaaa", running: false }]);
    expect((await rejection(images.remove("busybox"))).message).toBe(
      `conflict: unable to remove repository reference "busybox" (must force) - container c0ffee000000 is using its referenced image ${short}`,
    );
    expect((await rejection(images.remove(busybox.id))).message).toBe(
      `conflict: unable to delete ${short} (must be forced) - image is being used by stopped container c0ffee000000`,
    );
    using.set(busybox.id, [{ id: "beef00000000000000", running: true }]);
    expect((await rejection(images.remove(busybox.id, { force: true }))).message).toBe(
      `conflict: unable to delete ${short} (cannot be forced) - image is being used by running container beef00000000`,
    );
    // Forced by name: untagged, but kept for the container.
    expect(await images.remove("busybox", { force: true })).toEqual([{ untagged: "busybox:latest" }]);
    expect((await images.resolve(busybox.id)).tags).toEqual([]);
    expect((await images.list()).find((i) => i.id === busybox.id)!.containers).toBe(1);
  });
});

describe("ImageStore.layers and inspect", () => {
  it("aligns history entries with layers; empty_layer entries have none", async () => {
    const { images, base, app } = await setup();
    const image = await images.writeImage({
      config: config([base, app], "2024-05-01T00:00:00Z", {
        history: [
          { created_by: "ADD rootfs /" },
          { created_by: 'ENV A=1', empty_layer: true },
          { created_by: "COPY app /app" },
          { created_by: 'CMD ["run"]', empty_layer: true },
        ],
      }),
      layers: [base, app],
      tags: ["hist"],
    });
    const layers = await images.layers("hist");
    expect(layers.map((l) => [l.history.created_by, l.diffId ?? null, l.size])).toEqual([
      ["ADD rootfs /", base.diffId, base.descriptor.size],
      ["ENV A=1", null, 0],
      ["COPY app /app", app.diffId, app.descriptor.size],
      ['CMD ["run"]', null, 0],
    ]);
    expect(layers[0]!.descriptor).toEqual(base.descriptor);
    expect(layers[0]!.sharedBy).toBe(3); // busybox, myapp and this one
    expect(layers[2]!.sharedBy).toBe(2);
    const inspect = await images.inspect("hist");
    expect(inspect).toMatchObject({ id: image.id, repoTags: ["hist:latest"], architecture: "386", os: "linux" });
    expect(inspect.rootfs.diff_ids).toEqual([base.diffId, app.diffId]);
  });

  it("lists layers beyond a short history", async () => {
    const { images, base, app } = await setup();
    await images.writeImage({ config: config([base, app], "2024-05-01T00:00:00Z", { history: undefined }), layers: [base, app], tags: ["nohist"] });
    const layers = await images.layers("nohist");
    expect(layers.map((l) => l.diffId)).toEqual([base.diffId, app.diffId]);
    expect(layers[0]!.history).toEqual({});
  });
});

describe("ImageStore.importOciLayout", () => {
  async function makeLayout(options: { index?: boolean; annotations?: Record<string, string>; created?: string } = {}) {
    const files = new Map<string, Uint8Array>();
    const blob = async (bytes: Uint8Array, mediaType: string): Promise<Descriptor> => {
      const digest = await sha256(bytes);
      files.set(`blobs/sha256/${digest.slice(7)}`, bytes);
      return { mediaType, digest, size: bytes.length };
    };
    const built = await buildLayer([{ path: "hello", type: "file", data: "world" }]);
    const layerDesc = await blob(built.gz, MediaType.OciLayerGzip);
    const cfg = await blob(
      canonicalJsonBytes(
        {
          created: options.created ?? "2024-01-01T00:00:00Z",
          architecture: "386",
          os: "linux",
          rootfs: { type: "layers", diff_ids: [built.diffId] },
        },
        Shapes.imageConfig,
      ),
      MediaType.OciConfig,
    );
    let top = await blob(canonicalJsonBytes(ociManifest(cfg, [layerDesc]), Shapes.manifest), MediaType.OciManifest);
    if (options.index) {
      top = await blob(
        canonicalJsonBytes(
          ociIndex([
            { ...top, platform: { architecture: "amd64", os: "linux" } },
            { ...top, platform: { architecture: "386", os: "linux" } },
          ]),
          Shapes.index,
        ),
        MediaType.OciIndex,
      );
    }
    files.set("oci-layout", new TextEncoder().encode('{"imageLayoutVersion":"1.0.0"}'));
    files.set(
      "index.json",
      canonicalJsonBytes(ociIndex([{ ...top, annotations: options.annotations ?? { "org.opencontainers.image.ref.name": "latest" } }]), Shapes.index),
    );
    return { files, cfg, read: async (path: string) => files.get(path) ?? null };
  }

  it("imports a layout, verifying blobs, and names it", async () => {
    const storage = createMemoryStorage();
    const images = new ImageStore(storage.content, storage.refs);
    const { read, cfg } = await makeLayout();
    const [image] = await images.importOciLayout(read, { tag: "hello" });
    expect(image!.id).toBe(cfg.digest);
    expect(image!.tags).toEqual(["hello:latest"]);
    expect((await storage.content.list()).length).toBe(3);
  });

  it("uses the containerd name annotation, follows an index to linux/386, and imports untagged otherwise", async () => {
    const storage = createMemoryStorage();
    const images = new ImageStore(storage.content, storage.refs);
    const named = await makeLayout({ index: true, annotations: { "io.containerd.image.name": "docker.io/library/hello:2" } });
    const [image] = await images.importOciLayout(named.read);
    expect(image!.tags).toEqual(["hello:2"]);
    const bare = await makeLayout({ created: "2024-06-01T00:00:00Z" });
    const [untagged] = await images.importOciLayout(bare.read);
    expect(untagged!.tags).toEqual([]);
  });

  it("refuses a layout with a corrupt or missing blob, storing no refs", async () => {
    const storage = createMemoryStorage();
    const images = new ImageStore(storage.content, storage.refs);
    const { files, read, cfg } = await makeLayout();
    const path = `blobs/sha256/${cfg.digest.slice(7)}`;
    files.set(path, new TextEncoder().encode("tampered"));
    expect((await rejection(images.importOciLayout(read, { tag: "x" }))).kind).toBe("digest-mismatch");
    files.delete(path);
    expect((await rejection(images.importOciLayout(read, { tag: "x" }))).message).toMatch(/OCI layout: blobs\/sha256\/.* is missing/);
    expect(await storage.refs.listRefs()).toEqual([]);
    expect((await rejection(images.importOciLayout(async () => null))).message).toMatch(/no oci-layout file/);
  });
});
