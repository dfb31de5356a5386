import { createHash, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { Sha256, createSha256, sha256, sha256Sync, toHex } from "../../../src/core/sha256.ts";

// FIPS 180-4 / NIST CAVS examples.
const VECTORS: [string, string][] = [
  ["", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"],
  ["abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"],
  [
    "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
  ],
  [
    "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
    "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1",
  ],
  ["The quick brown fox jumps over the lazy dog", "d7a8fbb307d7809469ca9abcb0082e4f8d5651e46d3cdb762d02d0bf37c9e592"],
];

const nodeHex = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

describe("Sha256 (pure TS)", () => {
  it.each(VECTORS)("hashes %j", (input, hex) => {
    expect(new Sha256().update(input).digestHex()).toBe(hex);
    expect(sha256Sync(input)).toBe(`sha256:${hex}`);
  });

  it("hashes one million 'a' fed in uneven pieces", () => {
    const h = new Sha256();
    const piece = new Uint8Array(997).fill(0x61);
    let left = 1_000_000;
    while (left > 0) {
      const n = Math.min(left, piece.length);
      h.update(piece.subarray(0, n));
      left -= n;
    }
    expect(h.digestHex()).toBe("cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  });

  it("matches node:crypto at every length around the padding boundaries", () => {
    const data = randomBytes(300);
    for (let n = 0; n <= 300; n++) {
      expect(new Sha256().update(data.subarray(0, n)).digestHex(), `length ${n}`).toBe(nodeHex(data.subarray(0, n)));
    }
  });

  it("gives the same result however the input is split", () => {
    const data = randomBytes(10_000);
    const expected = nodeHex(data);
    for (let trial = 0; trial < 50; trial++) {
      const h = new Sha256();
      let i = 0;
      while (i < data.length) {
        const n = Math.floor(Math.random() * 200);
        h.update(data.subarray(i, i + n));
        i += n;
      }
      expect(h.length).toBe(data.length);
      expect(h.digestHex()).toBe(expected);
    }
  });

  it("refuses to be used after digest()", () => {
    const h = new Sha256().update("x");
    h.digest();
    expect(() => h.update("y")).toThrow(/after digest/);
    expect(() => h.digest()).toThrow(/twice/);
  });

  it("hashes 32 MiB at a usable speed", () => {
    const data = new Uint8Array(32 << 20);
    const start = performance.now();
    const hex = new Sha256().update(data).digestHex();
    const seconds = (performance.now() - start) / 1000;
    expect(hex).toBe(nodeHex(data));
    // Plenty of slack for slow CI; a naive implementation runs at a few MB/s.
    expect(32 / seconds).toBeGreaterThan(20);
  });
});

describe("createSha256 (native in Node)", () => {
  it("hashes incrementally like Sha256", () => {
    const data = randomBytes(300_001);
    const h = createSha256();
    for (let i = 0; i < data.length; i += 70_000) h.update(data.subarray(i, i + 70_000));
    expect(h.digestHex()).toBe(new Sha256().update(data).digestHex());
    expect(h).not.toBeInstanceOf(Sha256); // Node 20.16+ reaches node:crypto
  });
});

describe("sha256 (WebCrypto with fallback)", () => {
  it.each(VECTORS)("hashes %j", async (input, hex) => {
    expect(await sha256(input)).toBe(`sha256:${hex}`);
  });

  it("agrees with node:crypto on large buffers and on views into larger buffers", async () => {
    const data = randomBytes(1 << 20);
    expect(await sha256(data)).toBe(`sha256:${nodeHex(data)}`);
    const view = new Uint8Array(data.buffer, data.byteOffset + 5000, 200_000);
    expect(await sha256(view)).toBe(`sha256:${nodeHex(view)}`);
  });

  it("falls back to the pure-TS hash without WebCrypto", async () => {
    const saved = Object.getOwnPropertyDescriptor(globalThis, "crypto")!;
    Object.defineProperty(globalThis, "crypto", { value: undefined, configurable: true });
    try {
      const data = randomBytes(5000);
      expect(await sha256(data)).toBe(`sha256:${nodeHex(data)}`);
    } finally {
      Object.defineProperty(globalThis, "crypto", saved);
    }
  });

  it("toHex", () => {
    expect(toHex(new Uint8Array([0, 1, 0xab, 0xff]))).toBe("0001abff");
  });
});
