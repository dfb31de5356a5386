import { describe, expect, it } from "vitest";
import { Shapes, canonicalBlob, canonicalJson } from "../../../src/core/canonical-json.ts";
import { BerthError } from "../../../src/core/errors.ts";
import { MediaType } from "../../../src/core/media-types.ts";
import { ociManifest, parseImageConfig, parseImageManifest, type ImageConfig } from "../../../src/core/oci.ts";
import { parseDigest } from "../../../src/core/digest.ts";

const D1 = parseDigest("sha256:" + "1".repeat(64));
const D2 = parseDigest("sha256:" + "2".repeat(64));

describe("canonicalJson", () => {
  it("writes struct fields in the OCI order whatever order they were set in", () => {
    const a = { layers: [], config: { size: 2, digest: D1, mediaType: MediaType.OciConfig }, mediaType: MediaType.OciManifest, schemaVersion: 2 };
    const b = { schemaVersion: 2, mediaType: MediaType.OciManifest, config: { mediaType: MediaType.OciConfig, digest: D1, size: 2 }, layers: [] };
    const expected =
      `{"schemaVersion":2,"mediaType":"${MediaType.OciManifest}","config":{"mediaType":"${MediaType.OciConfig}","digest":"${D1}","size":2},"layers":[]}`;
    expect(canonicalJson(a, Shapes.manifest)).toBe(expected);
    expect(canonicalJson(b, Shapes.manifest)).toBe(expected);
  });

  it("sorts map keys (labels, annotations, ports) and unknown keys, keeps array order", () => {
    const config = {
      rootfs: { diff_ids: [D2, D1], type: "layers" },
      os: "linux",
      architecture: "amd64",
      config: { Labels: { z: "1", a: "2" }, Cmd: ["b", "a"], ExposedPorts: { "8080/tcp": {}, "443/tcp": {} }, User: "app" },
      zzz: 1,
      aaa: { y: 1, x: 2 },
    };
    expect(canonicalJson(config, Shapes.imageConfig)).toBe(
      '{"architecture":"amd64","os":"linux","config":{"User":"app","ExposedPorts":{"443/tcp":{},"8080/tcp":{}},' +
        '"Cmd":["b","a"],"Labels":{"a":"2","z":"1"}},"rootfs":{"type":"layers","diff_ids":' +
        `["${D2}","${D1}"]},"aaa":{"x":2,"y":1},"zzz":1}`,
    );
  });

  it("does not reorder a label called like a struct field", () => {
    const labels = { config: { Labels: { zeta: "", Cmd: "x", Env: "y" } } };
    expect(canonicalJson(labels, Shapes.imageConfig)).toBe('{"config":{"Labels":{"Cmd":"x","Env":"y","zeta":""}}}');
  });

  it("drops undefined members, writes null, normalises -0, escapes strings", () => {
    expect(canonicalJson({ b: undefined, a: null, c: -0, d: 'q"\n\u2028<' })).toBe('{"a":null,"c":0,"d":"q\\"\\n\u2028<"}');
  });

  it.each([
    [{ n: NaN }, /n: NaN cannot/],
    [{ n: Infinity }, /Infinity/],
    [{ d: new Date(0) }, /Date is not plain JSON/],
    [{ f: () => 1 }, /function/],
    [[1, undefined], /undefined in an array/],
    [{ b: 1n }, /bigint/],
  ])("refuses %o", (value, message) => {
    expect(() => canonicalJson(value)).toThrow(BerthError);
    expect(() => canonicalJson(value)).toThrow(message);
  });

  it("gives the same digest for the same manifest and survives a parse round trip", async () => {
    const m = ociManifest({ mediaType: MediaType.OciConfig, digest: D1, size: 10 }, [
      { mediaType: MediaType.OciLayerGzip, digest: D2, size: 20, annotations: { b: "2", a: "1" } },
    ]);
    const one = await canonicalBlob(m, Shapes.manifest, MediaType.OciManifest);
    const again = await canonicalBlob(parseImageManifest(one.bytes), Shapes.manifest, MediaType.OciManifest);
    expect(again.descriptor).toEqual(one.descriptor);
    expect(one.descriptor.size).toBe(one.bytes.length);
    expect(new TextDecoder().decode(one.bytes)).toContain('"annotations":{"a":"1","b":"2"}');
  });

  it("round-trips an image config with history and healthcheck", async () => {
    const config: ImageConfig = {
      created: "2025-01-01T00:00:00Z",
      architecture: "amd64",
      os: "linux",
      config: {
        Env: ["PATH=/bin"],
        Entrypoint: ["/entry"],
        Cmd: ["run"],
        WorkingDir: "/app",
        User: "1000:1000",
        ExposedPorts: { "80/tcp": {} },
        Volumes: { "/data": {} },
        Labels: { "org.example": "yes" },
        StopSignal: "SIGINT",
        Healthcheck: { Test: ["CMD", "true"], Interval: 1e9, Timeout: 2e9, StartPeriod: 0, Retries: 3 },
        OnBuild: ["RUN echo hi"],
        Shell: ["/bin/bash", "-c"],
      },
      rootfs: { type: "layers", diff_ids: [D1] },
      history: [
        { created: "2025-01-01T00:00:00Z", created_by: "COPY . /app" },
        { created_by: "CMD run", empty_layer: true },
      ],
    };
    const first = canonicalJson(config, Shapes.imageConfig);
    const parsed = parseImageConfig(first);
    expect(parsed).toEqual(config);
    expect(canonicalJson(parsed, Shapes.imageConfig)).toBe(first);
  });
});
