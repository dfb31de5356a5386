// The distribution client and the engine's pull/push against Debian's real
// docker-registry on 127.0.0.1, checked with skopeo and umoci.

import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, startRegistry, type TestRegistry } from "../../scripts/registry.mjs";
import { canonicalBlob, Shapes } from "../../src/core/canonical-json.ts";
import { buildLayer } from "../../src/core/layers.ts";
import { MediaType } from "../../src/core/media-types.ts";
import { ociIndex, ociManifest, type ImageConfig } from "../../src/core/oci.ts";
import { sha256 } from "../../src/core/sha256.ts";
import { BLOB_SOURCE_META_PREFIX } from "../../src/engine/distribution.ts";
import { RegistryClient } from "../../src/registry/client.ts";
import { helloImage, progress, rejection, run, testEngine } from "./helpers.ts";

let registry: TestRegistry;
let work: string;

beforeAll(async () => {
  registry = await startRegistry();
  work = mkdtempSync(path.join(tmpdir(), "berth-registry-test-"));
});

afterAll(async () => {
  await registry?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe("push", () => {
  it("pushes an image that skopeo reads back and umoci unpacks", async () => {
    const engine = await testEngine();
    const ref = `${registry.host}/berth/hello:1`;
    const image = await helloImage(engine, ref);
    const p = progress();
    const [result] = await engine.dist.push(ref, {}, p.on);
    expect(result!.tag).toBe("1");
    expect(result!.digest).toBe(image.manifestDigest);
    const diffIds = image.config.rootfs.diff_ids.map((d) => d.slice(7, 19));
    const lines = p.lines();
    expect(lines.slice(0, 3)).toEqual([
      `The push refers to repository [${registry.host}/berth/hello]`,
      `${diffIds[1]}: Preparing`,
      `${diffIds[0]}: Preparing`,
    ]);
    // Layers go up side by side: they finish in either order.
    expect(lines.slice(3, 5).sort()).toEqual([`${diffIds[0]}: Pushed`, `${diffIds[1]}: Pushed`].sort());
    expect(lines.slice(5)).toEqual([`1: digest: ${image.manifestDigest} size: ${image.manifestDescriptor.size}`]);
    expect(p.messages.some((m) => m.status === "Pushing" && m.progressDetail !== undefined)).toBe(true);
    // The push is recorded as a repo digest, like dockerd does.
    expect((await engine.images.resolve(ref)).repoDigests).toEqual([`${registry.host}/berth/hello@${image.manifestDigest}`]);

    const inspect = JSON.parse(run("skopeo", ["inspect", "--tls-verify=false", `docker://${ref}`]).stdout) as {
      Digest: string;
      Layers: string[];
      Architecture: string;
      Os: string;
    };
    expect(inspect.Digest).toBe(image.manifestDigest);
    expect(inspect.Layers).toEqual(image.manifest.layers.map((l) => l.digest));
    expect(inspect.Architecture).toBe("386");
    expect(inspect.Os).toBe("linux");

    const layout = path.join(work, "umoci-layout");
    run("skopeo", ["copy", "--src-tls-verify=false", `docker://${ref}`, `oci:${layout}:hello`]);
    const bundle = path.join(work, "umoci-bundle");
    run("umoci", ["unpack", "--rootless", "--image", `${layout}:hello`, bundle]);
    expect(readFileSync(path.join(bundle, "rootfs/hello.txt"), "utf8")).toBe("hello from berth\n");
    expect(statSync(path.join(bundle, "rootfs/bin/busybox")).isFile()).toBe(true);
    expect(existsSync(path.join(bundle, "config.json"))).toBe(true);
  });

  it("skips layers the repository has, and mounts blobs from another repository", async () => {
    const engine = await testEngine();
    const first = `${registry.host}/berth/mount-src:1`;
    const image = await helloImage(engine, first, "mount me\n");
    await engine.dist.push(first, {}, () => {});

    const again = progress();
    await engine.dist.push(first, {}, again.on);
    expect(again.lines().filter((l) => l.endsWith("Layer already exists"))).toHaveLength(2);
    expect(again.lines().some((l) => l.endsWith(": Pushed"))).toBe(false);

    const second = `${registry.host}/berth/mount-dst:2`;
    await engine.images.tag(first, second);
    const p = progress();
    engine.requests.length = 0;
    await engine.dist.push(second, {}, p.on);
    const mounted = p.lines().filter((l) => l.endsWith("Mounted from berth/mount-src"));
    expect(mounted).toHaveLength(2);
    const mounts = engine.requests.filter((r) => r.method === "POST" && r.url.includes("mount=") && r.url.includes("from=berth%2Fmount-src"));
    expect(mounts.length).toBeGreaterThanOrEqual(2);
    expect(engine.requests.some((r) => r.method === "PATCH")).toBe(false);
    const inspect = JSON.parse(run("skopeo", ["inspect", "--tls-verify=false", `docker://${second}`]).stdout) as { Digest: string };
    expect(inspect.Digest).toBe(image.manifestDigest);
    expect(await engine.storage.refs.getMeta(BLOB_SOURCE_META_PREFIX + image.manifest.layers[1]!.digest)).toEqual([
      `${registry.host}/berth/mount-dst`,
      `${registry.host}/berth/mount-src`,
    ]);
  });

  it("uploads large blobs in PATCH chunks", async () => {
    const engine = await testEngine({ chunkSize: 256 * 1024 });
    const ref = `${registry.host}/berth/chunked:1`;
    const image = await helloImage(engine, ref, "chunked\n");
    engine.requests.length = 0;
    await engine.dist.push(ref, {}, () => {});
    const patches = engine.requests.filter((r) => r.method === "PATCH");
    // busybox's layer is ~1 MB: at least 4 chunks.
    expect(patches.length).toBeGreaterThanOrEqual(4);
    expect(patches.every((r) => r.status === 202)).toBe(true);
    expect(patches[0]!.headers["content-range"]).toBe(`0-${256 * 1024 - 1}`);
    const fresh = await testEngine({ empty: true });
    const pulled = await fresh.dist.pull(ref, {}, () => {});
    expect(pulled.id).toBe(image.id);
  });

  it("refuses names the store does not have, with dockerd's words", async () => {
    const engine = await testEngine();
    const err = await rejection(engine.dist.push(`${registry.host}/berth/absent`, {}, () => {}));
    expect(err.message).toBe(`An image does not exist locally with the tag: ${registry.host}/berth/absent`);
  });

  it("pushes every tag with allTags, and lists tags", async () => {
    const engine = await testEngine();
    await helloImage(engine, `${registry.host}/berth/tags:a`, "a\n");
    await helloImage(engine, `${registry.host}/berth/tags:b`, "b\n");
    const results = await engine.dist.push(`${registry.host}/berth/tags`, { allTags: true }, () => {});
    expect(results.map((r) => r.tag)).toEqual(["a", "b"]);
    const client = new RegistryClient();
    expect((await client.repository({ domain: registry.host, path: "berth/tags" }).listTags()).sort()).toEqual(["a", "b"]);
  });
});

describe("pull", () => {
  let skopeoRef: string;
  let bundledId: string;

  beforeAll(async () => {
    skopeoRef = `${registry.host}/skopeo/busybox:latest`;
    run("skopeo", ["copy", "--dest-tls-verify=false", `oci:${path.resolve("public/images/busybox")}:latest`, `docker://${skopeoRef}`]);
    bundledId = (await (await testEngine()).images.resolve("busybox")).id;
  });

  it("pulls an image skopeo put there, and a second pull transfers no layer", async () => {
    const engine = await testEngine({ empty: true });
    const p = progress();
    const result = await engine.dist.pull(skopeoRef, {}, p.on);
    expect(result.id).toBe(bundledId);
    expect(result.upToDate).toBe(false);
    const image = await engine.images.resolve(skopeoRef);
    const short = image.manifest.layers[0]!.digest.slice(7, 19);
    expect(p.lines()).toEqual([
      "latest: Pulling from skopeo/busybox",
      `${short}: Pulling fs layer`,
      `${short}: Verifying Checksum`,
      `${short}: Download complete`,
      `${short}: Pull complete`,
      `Digest: ${result.digest}`,
      `Status: Downloaded newer image for ${skopeoRef}`,
    ]);
    expect(p.messages.some((m) => m.status === "Downloading" && m.progressDetail?.total === image.manifest.layers[0]!.size)).toBe(true);
    expect(image.repoDigests).toEqual([`${registry.host}/skopeo/busybox@${result.digest}`]);

    engine.requests.length = 0;
    const again = progress();
    const second = await engine.dist.pull(skopeoRef, {}, again.on);
    expect(second.upToDate).toBe(true);
    expect(again.lines()).toEqual([
      "latest: Pulling from skopeo/busybox",
      `${short}: Already exists`,
      `Digest: ${result.digest}`,
      `Status: Image is up to date for ${skopeoRef}`,
    ]);
    expect(engine.requests.filter((r) => r.url.includes("/blobs/"))).toEqual([]);

    // By digest: no tag, a repo digest.
    const byDigest = await engine.dist.pull(`${registry.host}/skopeo/busybox@${result.digest}`, {}, () => {});
    expect(byDigest.id).toBe(bundledId);
  });

  it("skips layers a store already has from another image", async () => {
    const engine = await testEngine(); // has busybox from the bundle
    const p = progress();
    await engine.dist.pull(skopeoRef, {}, p.on);
    expect(p.lines().filter((l) => l.endsWith("Already exists"))).toHaveLength(1);
    expect(engine.requests.filter((r) => r.url.includes("/blobs/"))).toEqual([]);
  });

  it("rejects a tampered blob by its digest and stores nothing of it", async () => {
    const engine = await testEngine();
    const ref = `${registry.host}/berth/tampered:1`;
    const image = await helloImage(engine, ref, "the genuine article\n");
    await engine.dist.push(ref, {}, () => {});
    const layer = image.manifest.layers[1]!;
    const file = registry.blobPath(layer.digest);
    const original = readFileSync(file);
    const bad = Buffer.from(original);
    bad[bad.length - 20] = bad[bad.length - 20]! ^ 0xff; // same size, other bytes
    writeFileSync(file, bad);
    try {
      const fresh = await testEngine();
      const err = await rejection(fresh.dist.pull(ref, {}, () => {}));
      expect(err.kind).toBe("digest-mismatch");
      expect(err.message).toBe(`filesystem layer verification failed for digest ${layer.digest}`);
      expect(await fresh.storage.content.has(layer.digest)).toBe(false);
      expect(await fresh.storage.content.has(image.manifestDigest)).toBe(false);
      expect(await fresh.images.find(ref)).toBeUndefined();
      // A different size is refused as early as the size is exceeded.
      writeFileSync(file, Buffer.concat([original, Buffer.from("more")]));
      const err2 = await rejection(fresh.dist.pull(ref, {}, () => {}));
      expect(err2.kind).toBe("digest-mismatch");
      expect(await fresh.storage.content.has(layer.digest)).toBe(false);
    } finally {
      writeFileSync(file, original);
    }
  });

  it("names the platforms an index has when linux/386 is not among them", async () => {
    const client = new RegistryClient();
    const repo = client.repository({ domain: registry.host, path: "berth/multi" }, ["pull", "push"]);
    const layer = await buildLayer([{ path: "x", type: "file", data: "x" }]);
    await repo.uploadBlob(layer.descriptor, layer.gz);
    const manifests = [];
    for (const [architecture, variant] of [["amd64"], ["arm64", "v8"], ["arm", "v7"]] as [string, string?][]) {
      const config: ImageConfig = { architecture, os: "linux", ...(variant ? { variant } : {}), rootfs: { type: "layers", diff_ids: [layer.diffId] } };
      const configBlob = await canonicalBlob(config, Shapes.imageConfig, MediaType.OciConfig);
      await repo.uploadBlob(configBlob.descriptor, configBlob.bytes);
      const m = await canonicalBlob(ociManifest(configBlob.descriptor, [layer.descriptor]), Shapes.manifest, MediaType.OciManifest);
      await repo.putManifest(m.descriptor.digest, m.bytes, MediaType.OciManifest);
      manifests.push({ ...m.descriptor, platform: { architecture, os: "linux", ...(variant ? { variant } : {}) } });
    }
    const index = await canonicalBlob(ociIndex(manifests), Shapes.index, MediaType.OciIndex);
    await repo.putManifest("latest", index.bytes, MediaType.OciIndex);
    const engine = await testEngine();
    const err = await rejection(engine.dist.pull(`${registry.host}/berth/multi`, {}, () => {}));
    expect(err.message).toBe("no matching manifest for linux/386 in the manifest list entries (the image is for: linux/amd64, linux/arm64/v8, linux/arm/v7)");
  });

  it("pulls the linux/386 entry of an index and records the index digest", async () => {
    const source = await testEngine();
    const ref = `${registry.host}/berth/multi386:1`;
    const image = await helloImage(source, ref, "multi\n");
    await source.dist.push(ref, {}, () => {});
    const repo = new RegistryClient().repository({ domain: registry.host, path: "berth/multi386" }, ["pull", "push"]);
    const index = await canonicalBlob(
      ociIndex([{ ...image.manifestDescriptor, platform: { architecture: "386", os: "linux" } }]),
      Shapes.index,
      MediaType.OciIndex,
    );
    await repo.putManifest("1", index.bytes, MediaType.OciIndex);
    const engine = await testEngine({ empty: true });
    const result = await engine.dist.pull(ref, {}, () => {});
    expect(result.digest).toBe(index.descriptor.digest);
    expect(result.id).toBe(image.id);
    const pulled = await engine.images.resolve(ref);
    expect(pulled.manifestDigest).toBe(image.manifestDigest);
    expect(pulled.repoDigests).toEqual([`${registry.host}/berth/multi386@${index.descriptor.digest}`]);
  });

  it("says what is missing with dockerd's words", async () => {
    const engine = await testEngine();
    const noTag = await rejection(engine.dist.pull(`${registry.host}/skopeo/busybox:nope`, {}, () => {}));
    expect(noTag.message).toBe(`manifest for ${registry.host}/skopeo/busybox:nope not found: manifest unknown: manifest unknown`);
    const noRepo = await rejection(engine.dist.pull(`${registry.host}/no/such-repo`, {}, () => {}));
    expect(noRepo.message).toMatch(
      new RegExp(`^(pull access denied for ${registry.host}/no/such-repo, repository does not exist or may require 'docker login': name unknown: repository name not known to registry|manifest for ${registry.host}/no/such-repo:latest not found: manifest unknown: manifest unknown)$`),
    );
    const port = await freePort();
    const down = await rejection(engine.dist.pull(`127.0.0.1:${port}/nothing/here`, {}, () => {}));
    expect(down.message).toBe(`Get "http://127.0.0.1:${port}/v2/nothing/here/manifests/latest": connect ECONNREFUSED 127.0.0.1:${port}`);
  });

  it("ensureImage pulls a missing image and leaves a present one alone", async () => {
    const engine = await testEngine({ empty: true });
    const first = await engine.dist.ensureImage(skopeoRef);
    expect(first.id).toBe(bundledId);
    const count = engine.requests.length;
    await engine.dist.ensureImage(skopeoRef);
    expect(engine.requests.length).toBe(count);
  });
});

describe("archives", () => {
  it("save writes a docker archive skopeo inspects, and an OCI layout", async () => {
    const engine = await testEngine();
    const image = await helloImage(engine, "berth/saved:1");
    const archive = path.join(work, "saved.tar");
    writeFileSync(archive, await engine.dist.save(["berth/saved:1", "busybox"]));
    const inspect = JSON.parse(run("skopeo", ["inspect", `docker-archive:${archive}:docker.io/berth/saved:1`]).stdout) as {
      Architecture: string;
      Layers: string[];
    };
    expect(inspect.Architecture).toBe("386");
    expect(inspect.Layers).toEqual(image.config.rootfs.diff_ids);
    const config = JSON.parse(run("skopeo", ["inspect", "--config", "--raw", `docker-archive:${archive}:docker.io/berth/saved:1`]).stdout) as unknown;
    expect(config).toEqual(JSON.parse(new TextDecoder().decode(await engine.storage.content.get(image.id))));

    const ociArchive = path.join(work, "saved-oci.tar");
    writeFileSync(ociArchive, await engine.dist.save(["berth/saved:1"], { format: "oci" }));
    const oci = JSON.parse(run("skopeo", ["inspect", `oci-archive:${ociArchive}`]).stdout) as { Digest: string };
    expect(oci.Digest).toBe(image.manifestDigest);
    // The OCI layout inside is one umoci unpacks.
    const layoutDir = path.join(work, "saved-oci-layout");
    mkdirSync(layoutDir, { recursive: true });
    run("tar", ["-x", "-f", ociArchive, "-C", layoutDir]);
    const tags = run("umoci", ["ls", "--layout", layoutDir]).stdout.trim().split("\n").filter(Boolean);
    expect(tags.length).toBeGreaterThan(0);
    const unpacked = path.join(work, "saved-oci-bundle");
    run("umoci", ["unpack", "--rootless", "--image", `${layoutDir}:${tags[0]}`, unpacked]);
    expect(existsSync(path.join(unpacked, "rootfs", "bin", "busybox"))).toBe(true);

    // Both load back as the same image (same config digest).
    for (const file of [archive, ociArchive]) {
      const fresh = await testEngine({ empty: true });
      const loaded = await fresh.dist.load(new Uint8Array(readFileSync(file)));
      expect(loaded.find((l) => l.tags.includes("berth/saved:1"))?.id).toBe(image.id);
      expect((await fresh.images.resolve("berth/saved:1")).id).toBe(image.id);
    }
  });

  it("load reads an archive skopeo wrote and keeps the config digest", async () => {
    const engine = await testEngine();
    const ref = `${registry.host}/berth/to-archive:1`;
    const image = await helloImage(engine, ref, "archived\n");
    await engine.dist.push(ref, {}, () => {});
    const archive = path.join(work, "skopeo-archive.tar");
    rmSync(archive, { force: true });
    run("skopeo", ["copy", "--src-tls-verify=false", `docker://${ref}`, `docker-archive:${archive}:berth/from-skopeo:2`]);
    const fresh = await testEngine({ empty: true });
    const loaded = await fresh.dist.load(new Uint8Array(readFileSync(archive)));
    expect(loaded).toEqual([{ id: image.id, tags: ["berth/from-skopeo:2"] }]);
    // skopeo kept the config bytes, so the archive's image ID is the pushed one.
    const raw = run("skopeo", ["inspect", "--config", "--raw", `docker-archive:${archive}`]).stdout;
    expect(await sha256(new TextEncoder().encode(raw))).toBe(image.id);
    const got = await fresh.images.resolve("berth/from-skopeo:2");
    expect(got.id).toBe(image.id);
    expect(got.config.rootfs.diff_ids).toEqual(image.config.rootfs.diff_ids);
  });
});
