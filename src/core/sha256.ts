// SHA-256 for Node 20, browsers and workers.
//
// `sha256()` hashes a whole buffer with WebCrypto (`crypto.subtle`, native and
// fast; present in Node 20 as globalThis.crypto). WebCrypto cannot hash
// incrementally, and is missing in insecure browser contexts, so `Sha256` is a
// small pure-TypeScript incremental implementation (FIPS 180-4) used for
// streaming large blobs and as the fallback. Both are checked against the
// standard test vectors in tests/unit/core/sha256.test.ts.

import { digestFromHex, type Digest } from "./digest.ts";
import { BerthError } from "./errors.ts";
import { nodeBuiltin } from "./node-builtin.ts";

// First 32 bits of the fractional parts of the cube roots of the first 64 primes.
const K = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

// First 32 bits of the fractional parts of the square roots of the first 8 primes.
const H0 = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];

const encoder = new TextEncoder();

function toBytes(data: Uint8Array | string): Uint8Array {
  return typeof data === "string" ? encoder.encode(data) : data;
}

/** Incremental SHA-256: `update()` any number of times, then `digest()` once. */
export class Sha256 {
  private readonly state = Int32Array.from(H0);
  private readonly w = new Int32Array(64);
  private readonly block = new Uint8Array(64);
  private blockLength = 0;
  private total = 0;
  private finished = false;

  /** Bytes hashed so far. */
  get length(): number {
    return this.total;
  }

  update(data: Uint8Array | string): this {
    if (this.finished) throw new BerthError("internal", "Sha256.update() after digest()");
    const bytes = toBytes(data);
    const n = bytes.length;
    let i = 0;
    this.total += n;
    if (this.blockLength > 0) {
      const take = Math.min(64 - this.blockLength, n);
      this.block.set(bytes.subarray(0, take), this.blockLength);
      this.blockLength += take;
      i = take;
      if (this.blockLength < 64) return this;
      this.compress(this.block, 0);
      this.blockLength = 0;
    }
    for (; n - i >= 64; i += 64) this.compress(bytes, i);
    if (i < n) {
      this.block.set(bytes.subarray(i), 0);
      this.blockLength = n - i;
    }
    return this;
  }

  /** Finishes the hash and returns the 32 raw bytes. */
  digestBytes(): Uint8Array {
    if (this.finished) throw new BerthError("internal", "Sha256.digest() called twice");
    this.finished = true;
    const bitsHigh = Math.floor(this.total / 0x20000000);
    const bitsLow = (this.total * 8) >>> 0;
    const block = this.block;
    block[this.blockLength++] = 0x80;
    if (this.blockLength > 56) {
      block.fill(0, this.blockLength);
      this.compress(block, 0);
      this.blockLength = 0;
    }
    block.fill(0, this.blockLength, 56);
    writeUint32(block, 56, bitsHigh);
    writeUint32(block, 60, bitsLow);
    this.compress(block, 0);
    const out = new Uint8Array(32);
    for (let j = 0; j < 8; j++) writeUint32(out, j * 4, this.state[j]!);
    return out;
  }

  /** Finishes the hash and returns the 64 lowercase hex digits. */
  digestHex(): string {
    return toHex(this.digestBytes());
  }

  /** Finishes the hash and returns it as a Digest ("sha256:..."). */
  digest(): Digest {
    return digestFromHex(this.digestHex());
  }

  private compress(bytes: Uint8Array, offset: number): void {
    const w = this.w;
    const s = this.state;
    for (let t = 0; t < 16; t++) {
      const p = offset + t * 4;
      w[t] = (bytes[p]! << 24) | (bytes[p + 1]! << 16) | (bytes[p + 2]! << 8) | bytes[p + 3]!;
    }
    for (let t = 16; t < 64; t++) {
      const x = w[t - 15]!;
      const y = w[t - 2]!;
      const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
      const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
      w[t] = (w[t - 16]! + s0 + w[t - 7]! + s1) | 0;
    }
    let a = s[0]!, b = s[1]!, c = s[2]!, d = s[3]!, e = s[4]!, f = s[5]!, g = s[6]!, h = s[7]!;
    for (let t = 0; t < 64; t++) {
      const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
      const ch = (e & f) ^ (~e & g);
      const t1 = (h + S1 + ch + K[t]! + w[t]!) | 0;
      const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
      const maj = (a & b) ^ (a & c) ^ (b & c);
      const t2 = (S0 + maj) | 0;
      h = g;
      g = f;
      f = e;
      e = (d + t1) | 0;
      d = c;
      c = b;
      b = a;
      a = (t1 + t2) | 0;
    }
    s[0] = (s[0]! + a) | 0;
    s[1] = (s[1]! + b) | 0;
    s[2] = (s[2]! + c) | 0;
    s[3] = (s[3]! + d) | 0;
    s[4] = (s[4]! + e) | 0;
    s[5] = (s[5]! + f) | 0;
    s[6] = (s[6]! + g) | 0;
    s[7] = (s[7]! + h) | 0;
  }
}

function writeUint32(out: Uint8Array, offset: number, value: number): void {
  out[offset] = value >>> 24;
  out[offset + 1] = value >>> 16;
  out[offset + 2] = value >>> 8;
  out[offset + 3] = value;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

export function toHex(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i++) out += HEX[bytes[i]!];
  return out;
}

interface NodeCrypto {
  createHash(algorithm: "sha256"): { update(data: Uint8Array): unknown; digest(encoding: "hex"): string };
}

/** node:crypto when running in Node (20.16+), else undefined (browsers, workers). */
const nodeCrypto = nodeBuiltin<NodeCrypto>("node:crypto");

/** What incremental hashing needs (`Sha256` has it). */
export interface IncrementalSha256 {
  update(data: Uint8Array): unknown;
  digestHex(): string;
}

/**
 * An incremental SHA-256: node:crypto's in Node (native, about 10x the pure
 * TS one), else `Sha256`. Reached through process.getBuiltinModule, so this
 * file imports nothing from node:.
 */
export function createSha256(): IncrementalSha256 {
  if (nodeCrypto === undefined) return new Sha256();
  const h = nodeCrypto.createHash("sha256");
  return { update: (data) => h.update(data), digestHex: () => h.digest("hex") };
}

/** Synchronous SHA-256 of a whole buffer (pure TS; prefer `sha256` for large buffers). */
export function sha256Sync(data: Uint8Array | string): Digest {
  return new Sha256().update(data).digest();
}

/**
 * SHA-256 of a whole buffer as a Digest. Uses WebCrypto when it is available
 * (Node 20, secure browser contexts, workers) and the pure-TS hash otherwise.
 */
export async function sha256(data: Uint8Array | string): Promise<Digest> {
  const bytes = toBytes(data);
  const subtle = globalThis.crypto?.subtle;
  // Small inputs are faster without the async round trip.
  if (subtle === undefined || bytes.length < 1024) return sha256Sync(bytes);
  let raw: ArrayBuffer;
  try {
    raw = await subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  } catch {
    // e.g. a view on a SharedArrayBuffer, which WebCrypto refuses.
    return sha256Sync(bytes);
  }
  return digestFromHex(toHex(new Uint8Array(raw)));
}
