import { execFileSync } from "node:child_process";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { gunzip, gzip, gzipStream, isGzip, maybeGunzip } from "../../../src/core/compress.ts";

/** Byte equality without vitest's element-by-element diffing (slow on megabytes). */
function same(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length));
}

const text = new TextEncoder().encode("layer bytes ".repeat(50_000));

describe("gzip", () => {
  it("round-trips, including empty input and inputs over 1 MiB", async () => {
    for (const data of [new Uint8Array(0), text, new Uint8Array(3 << 20).map((_, i) => (i * 7919) & 0xff)]) {
      const gz = await gzip(data);
      expect(isGzip(gz)).toBe(true);
      expect(same(await gunzip(gz), data)).toBe(true);
    }
  });

  it("is deterministic: zero MTIME and OS byte 255", async () => {
    const a = await gzip(text);
    const b = await gzip(text);
    expect(same(a, b)).toBe(true);
    expect([...a.subarray(4, 10)]).toEqual([0, 0, 0, 0, a[8], 0xff]);
  });

  it("in Node: zlib's own bytes up to 4 MiB; larger inputs compress in parallel to one member of about the same size", async () => {
    const random = new Uint8Array(7 << 20);
    for (let i = 0; i < random.length; i += 65536) crypto.getRandomValues(random.subarray(i, i + 65536));
    // Text repeated at a distance that straddles the 1 MiB segment cuts: the dictionary keeps those matches.
    const phrase = new Uint8Array(20_000).map((_, i) => random[i]! % 64 + 32);
    const mixed = new Uint8Array(6 << 20).map((_, i) => (i % 60_000 < 40_000 ? phrase[i % 20_000]! : random[i]!));
    for (const data of [new Uint8Array(0), text, random.subarray(0, 4 << 20), random, mixed]) {
      const a = await gzip(data);
      const b = await gzipStream(data);
      expect(same(await gunzip(a), data)).toBe(true);
      expect(same(execFileSync("gzip", ["-dc"], { input: a, maxBuffer: 16 << 20 }), data)).toBe(true);
      expect(same(a, await gzip(data))).toBe(true);
      if (data.length <= 4 << 20) {
        expect(same(a.subarray(0, 9), b.subarray(0, 9))).toBe(true);
        expect(same(a.subarray(10), b.subarray(10))).toBe(true);
      } else {
        expect(Math.abs(a.length - b.length)).toBeLessThan(b.length * 0.002 + 64);
      }
    }
  });

  it("produces gzip that the system gunzip reads", async () => {
    const out = execFileSync("gzip", ["-dc"], { input: await gzip(text), maxBuffer: 16 << 20 });
    expect(same(out, text)).toBe(true);
  });

  it("reads gzip written by zlib elsewhere", async () => {
    expect(same(await gunzip(new Uint8Array(gzipSync(text, { level: 9 }))), text)).toBe(true);
  });

  it("reports corrupt, truncated and non-gzip data", async () => {
    const gz = await gzip(text);
    await expect(gunzip(gz.subarray(0, gz.length - 20), "layer sha256:x")).rejects.toThrow(/layer sha256:x: corrupt gzip stream/);
    const bad = gz.slice();
    bad[bad.length - 6] ^= 0xff; // the CRC
    await expect(gunzip(bad)).rejects.toThrow(/corrupt gzip stream/);
    await expect(gunzip(text)).rejects.toThrow(/not gzip/);
  });

  it("isGzip and maybeGunzip", async () => {
    expect(isGzip(new Uint8Array([0x1f, 0x8b]))).toBe(false);
    expect(isGzip(new Uint8Array([0x1f, 0x8b, 8, 0]))).toBe(true);
    expect(await maybeGunzip(text)).toBe(text);
    expect(same(await maybeGunzip(await gzip(text)), text)).toBe(true);
  });
});
