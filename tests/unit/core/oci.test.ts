import { describe, expect, it } from "vitest";
import { BerthError } from "../../../src/core/errors.ts";
import { MediaType, isIndexMediaType, isLayerMediaType, isManifestMediaType, layerCompression } from "../../../src/core/media-types.ts";
import {
  formatPlatform,
  parseDescriptor,
  parseImageConfig,
  parseImageIndex,
  parseImageManifest,
  parseManifestOrIndex,
  parsePlatformString,
  platformMatches,
  selectManifest,
} from "../../../src/core/oci.ts";

const D1 = "sha256:" + "1".repeat(64);
const D2 = "sha256:" + "2".repeat(64);
const D3 = "sha256:" + "3".repeat(64);

// Shaped like what Docker Hub serves for busybox (abridged).
const dockerManifest = JSON.stringify({
  schemaVersion: 2,
  mediaType: MediaType.DockerManifest,
  config: { mediaType: MediaType.DockerConfig, size: 1457, digest: D1 },
  layers: [{ mediaType: MediaType.DockerLayerGzip, size: 2152262, digest: D2 }],
});

const dockerList = JSON.stringify({
  manifests: [
    { digest: D1, mediaType: MediaType.DockerManifest, platform: { architecture: "amd64", os: "linux" }, size: 528 },
    { digest: D2, mediaType: MediaType.DockerManifest, platform: { architecture: "arm64", os: "linux", variant: "v8" }, size: 528 },
    { digest: D3, mediaType: MediaType.OciManifest, platform: { architecture: "unknown", os: "unknown" }, size: 839,
      annotations: { "vnd.docker.reference.type": "attestation-manifest" } },
  ],
  mediaType: MediaType.DockerManifestList,
  schemaVersion: 2,
});

// Docker writes Go nil slices/maps as null.
const dockerConfig = JSON.stringify({
  architecture: "amd64",
  config: {
    Hostname: "", Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"], Cmd: ["sh"],
    Entrypoint: null, OnBuild: null, Labels: null, Image: "sha256:abc", Volumes: null, WorkingDir: "",
    ExposedPorts: { "80/tcp": {} }, StopSignal: "SIGTERM", Shell: ["/bin/sh", "-c"],
    Healthcheck: { Test: ["CMD-SHELL", "true"], Interval: 30000000000, Retries: 3 },
  },
  container_config: { Cmd: ["/bin/sh"] },
  created: "2024-09-26T21:31:42Z",
  history: [
    { created: "2024-09-26T21:31:42Z", created_by: "ADD file:abc in / " },
    { created: "2024-09-26T21:31:42Z", created_by: 'CMD ["sh"]', empty_layer: true },
  ],
  os: "linux",
  rootfs: { type: "layers", diff_ids: [D3] },
});

function errorOf(fn: () => unknown): BerthError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(BerthError);
    return err as BerthError;
  }
  throw new Error("expected an error");
}

describe("media types", () => {
  it("recognises both families", () => {
    expect(isManifestMediaType(MediaType.OciManifest)).toBe(true);
    expect(isManifestMediaType(MediaType.DockerManifest)).toBe(true);
    expect(isIndexMediaType(MediaType.OciIndex)).toBe(true);
    expect(isIndexMediaType(MediaType.DockerManifestList)).toBe(true);
    expect(isIndexMediaType(MediaType.OciManifest)).toBe(false);
    expect(isLayerMediaType(MediaType.DockerLayerGzip)).toBe(true);
    expect(layerCompression(MediaType.OciLayerZstd)).toBe("zstd");
    expect(layerCompression(MediaType.OciLayer)).toBe("none");
    expect(layerCompression("text/plain")).toBeUndefined();
  });
});

describe("parsing", () => {
  it("reads a Docker schema 2 manifest from bytes", () => {
    const m = parseImageManifest(new TextEncoder().encode(dockerManifest));
    expect(m.mediaType).toBe(MediaType.DockerManifest);
    expect(m.config.digest).toBe(D1);
    expect(m.layers).toHaveLength(1);
    expect(m.layers[0]!.size).toBe(2152262);
  });

  it("reads a Docker manifest list and selects a platform, skipping attestations", () => {
    const index = parseImageIndex(dockerList);
    expect(index.manifests).toHaveLength(3);
    expect(selectManifest(index, parsePlatformString("linux/amd64"))?.digest).toBe(D1);
    expect(selectManifest(index, parsePlatformString("linux/arm64"))?.digest).toBe(D2);
    expect(selectManifest(index, { os: "unknown", architecture: "unknown" })).toBeUndefined();
    expect(selectManifest(index, parsePlatformString("linux/s390x"))).toBeUndefined();
  });

  it("tells manifests from indexes by media type, hint or shape", () => {
    expect(parseManifestOrIndex(dockerManifest).kind).toBe("manifest");
    expect(parseManifestOrIndex(dockerList).kind).toBe("index");
    const bare = JSON.stringify({ schemaVersion: 2, manifests: [] });
    expect(parseManifestOrIndex(bare).kind).toBe("index");
    expect(parseManifestOrIndex(bare, MediaType.OciIndex).kind).toBe("index");
    const bareManifest = JSON.stringify({ schemaVersion: 2, config: JSON.parse(dockerManifest).config, layers: [] });
    expect(parseManifestOrIndex(bareManifest).kind).toBe("manifest");
    expect(parseManifestOrIndex(bareManifest, MediaType.OciManifest).kind).toBe("manifest");
  });

  it("refuses a manifest that declares an index type, and schema 1", () => {
    expect(errorOf(() => parseImageManifest(dockerList)).message).toMatch(/not an image manifest type/);
    expect(errorOf(() => parseImageIndex(dockerManifest)).message).toMatch(/not an image index type/);
    const v1 = JSON.stringify({ schemaVersion: 1, name: "busybox", tag: "latest", fsLayers: [] });
    expect(errorOf(() => parseManifestOrIndex(v1)).message).toMatch(/schema 1 is not supported/);
    expect(errorOf(() => parseManifestOrIndex("{}", MediaType.DockerManifestSchema1Signed)).message).toMatch(/schema 1/);
  });

  it("says where a descriptor is wrong", () => {
    const bad = JSON.parse(dockerManifest);
    bad.layers[0].digest = "sha256:nothex";
    const err = errorOf(() => parseImageManifest(JSON.stringify(bad)));
    expect(err.kind).toBe("invalid-argument");
    expect(err.message).toMatch(/^manifest\.layers\[0\]\.digest: invalid digest/);
    bad.layers[0].digest = D2;
    bad.layers[0].size = -1;
    expect(errorOf(() => parseImageManifest(JSON.stringify(bad))).message).toMatch(/layers\[0\]\.size: expected a non-negative integer/);
    expect(errorOf(() => parseDescriptor({ mediaType: "x", digest: D1, size: 1.5 })).message).toMatch(/size/);
  });

  it("reports broken JSON and UTF-8", () => {
    expect(errorOf(() => parseImageManifest("{")).message).toMatch(/^manifest: not valid JSON/);
    expect(errorOf(() => parseImageManifest(new Uint8Array([0xff, 0xfe]))).message).toMatch(/not valid UTF-8/);
    expect(errorOf(() => parseImageManifest("[]")).message).toMatch(/expected an object/);
  });

  it("reads a Docker image config, dropping nulls and unknown fields", () => {
    const c = parseImageConfig(dockerConfig);
    expect(c.architecture).toBe("amd64");
    expect(c.os).toBe("linux");
    expect(c.config).toEqual({
      Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
      Cmd: ["sh"],
      WorkingDir: "",
      ExposedPorts: { "80/tcp": {} },
      StopSignal: "SIGTERM",
      Shell: ["/bin/sh", "-c"],
      Healthcheck: { Test: ["CMD-SHELL", "true"], Interval: 30000000000, Retries: 3 },
    });
    expect(c.rootfs.diff_ids).toEqual([D3]);
    expect(c.history?.[1]?.empty_layer).toBe(true);
    expect("container_config" in c).toBe(false);
  });

  it("checks config field types", () => {
    const bad = JSON.parse(dockerConfig);
    bad.config.Env = "PATH=/bin";
    expect(errorOf(() => parseImageConfig(JSON.stringify(bad))).message).toBe("image config.config.Env: expected an array of strings");
    const bad2 = JSON.parse(dockerConfig);
    bad2.rootfs.type = "overlay";
    expect(errorOf(() => parseImageConfig(JSON.stringify(bad2))).message).toMatch(/rootfs\.type/);
  });
});

describe("platforms", () => {
  it("parses and normalises --platform values", () => {
    expect(parsePlatformString("linux/arm64")).toEqual({ os: "linux", architecture: "arm64", variant: "v8" });
    expect(parsePlatformString("linux/x86_64")).toEqual({ os: "linux", architecture: "amd64" });
    expect(formatPlatform(parsePlatformString("linux/arm/v6"))).toBe("linux/arm/v6");
    expect(errorOf(() => parsePlatformString("linux")).details.flag).toBe("--platform");
    expect(platformMatches({ os: "linux", architecture: "aarch64" }, { os: "linux", architecture: "arm64" })).toBe(true);
    expect(platformMatches({ os: "linux", architecture: "arm", variant: "v7" }, { os: "linux", architecture: "arm", variant: "v6" })).toBe(false);
  });
});
