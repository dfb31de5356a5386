// gzip and gunzip with the platform's CompressionStream/DecompressionStream
// (native zlib in Node 20, browsers and workers; no dependency).
//
// `gzip` output depends only on the input, on a given platform: the stream
// already writes a zero MTIME, and the OS byte of the header (which differs
// between platforms) is set to 255 ("unknown"). Node's and Chromium's zlib
// builds do not give the same deflate stream for the same input (measured:
// a 3 MB mixed input compressed to 29504 and 29561 bytes), so a layer's
// digest is reproducible per platform, not across Node and browsers (its
// diffId, the tar's hash, is).
//
// In Node, `gzip` calls node:zlib directly (reached through
// process.getBuiltinModule, so this file imports nothing from node:) and
// compresses 1 MiB segments on several threads, as pigz does: each segment
// is primed with the 32 KiB before it as its dictionary (so matches reach
// back across the cut, and the ratio stays that of one stream) and ends with
// a sync flush (an empty stored block: byte-aligned, not final), the last
// with the final block; the CRC-32 covers the whole input. One gzip member,
// zlib's default level. Inputs up to 4 MiB (one thread does them in tens of
// milliseconds) are one stream, exactly zlib's bytes as before, so small
// layers (the bundled busybox image among them) keep their digests.

import { BerthError } from "./errors.ts";
import { nodeBuiltin } from "./node-builtin.ts";

interface NodeZlib {
  deflateRaw(
    data: Uint8Array,
    options: { chunkSize: number; dictionary?: Uint8Array; finishFlush?: number },
    callback: (err: Error | null, out: Uint8Array) => void,
  ): void;
  crc32?(data: Uint8Array, value?: number): number;
  constants: { Z_SYNC_FLUSH: number };
}

/** node:zlib when running in Node (20.16+), else undefined (browsers, workers). */
const nodeZlib = nodeBuiltin<NodeZlib>("node:zlib");

/**
 * Output buffer size for node:zlib: its default (16 KiB) costs a thread-pool
 * round trip per 16 KiB (16 MB of random data in one stream: 550 ms; with
 * 1 MiB: 370 ms). The compressed bytes do not depend on it.
 */
const NODE_CHUNK = 1 << 20;

/** Segment size for the parallel gzip, how many are compressed at once, and the size below which there is one. */
const SEGMENT = 1 << 20;
const PARALLEL_ABOVE = 4 << 20;
const PARALLEL = 4;
const WINDOW = 32 * 1024;

/** gzip on node:zlib's thread pool, segment by segment (see the file comment). */
async function gzipNode(zlib: NodeZlib & { crc32(data: Uint8Array, value?: number): number }, data: Uint8Array): Promise<Uint8Array> {
  const segment = data.length > PARALLEL_ABOVE ? SEGMENT : Math.max(data.length, 1);
  const count = Math.max(1, Math.ceil(data.length / segment));
  const parts: Uint8Array[] = new Array<Uint8Array>(count);
  const deflate = (i: number) =>
    new Promise<void>((resolve, reject) => {
      const start = i * segment;
      const last = i === count - 1;
      zlib.deflateRaw(
        data.subarray(start, start + segment),
        {
          chunkSize: NODE_CHUNK,
          ...(start > 0 ? { dictionary: data.subarray(start - WINDOW, start) } : {}),
          ...(last ? {} : { finishFlush: zlib.constants.Z_SYNC_FLUSH }),
        },
        (err, out) => {
          if (err) reject(err);
          else {
            parts[i] = out;
            resolve();
          }
        },
      );
    });
  let next = 0;
  const worker = async () => {
    while (next < count) await deflate(next++);
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL, count) }, worker));
  let size = 18;
  for (const p of parts) size += p.length;
  const out = new Uint8Array(size);
  // ID1 ID2 CM=deflate FLG=0 MTIME=0 XFL=0 (zlib's for the default level) OS=255.
  out.set([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]);
  let offset = 10;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  const view = new DataView(out.buffer);
  view.setUint32(offset, zlib.crc32(data) >>> 0, true);
  view.setUint32(offset + 4, data.length >>> 0, true);
  return out;
}

/** gzip through the platform's CompressionStream (browsers, workers, Node without getBuiltinModule). */
export function gzipStream(data: Uint8Array): Promise<Uint8Array> {
  return pipe(data, new CompressionStream("gzip") as unknown as ReadableWritablePair<Uint8Array, Uint8Array>);
}

/** True if the bytes start with the gzip magic and the deflate method (1f 8b 08). */
export function isGzip(data: Uint8Array): boolean {
  return data.length >= 3 && data[0] === 0x1f && data[1] === 0x8b && data[2] === 0x08;
}

async function pipe(data: Uint8Array, transform: ReadableWritablePair<Uint8Array, Uint8Array>): Promise<Uint8Array> {
  const source = new ReadableStream<Uint8Array>({
    start(controller) {
      // Large buffers in 1 MiB chunks, so the transform never holds two whole copies at once.
      const chunk = 1 << 20;
      for (let offset = 0; offset < data.length; offset += chunk) controller.enqueue(data.subarray(offset, offset + chunk));
      controller.close();
    },
  });
  const parts: Uint8Array[] = [];
  let total = 0;
  const reader = source.pipeThrough(transform).getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
    total += value.length;
  }
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** gzip-compresses a buffer (zlib default level); deterministic, see the file comment. */
export async function gzip(data: Uint8Array): Promise<Uint8Array> {
  const zlib = nodeZlib;
  const out = zlib?.crc32 !== undefined ? await gzipNode(zlib as Parameters<typeof gzipNode>[0], data) : await gzipStream(data);
  // Header: ID1 ID2 CM FLG MTIME(4) XFL OS. Neither MTIME nor OS is covered by the trailer CRC.
  if (isGzip(out) && out.length >= 10 && (out[3]! & 0x02) === 0) {
    out.fill(0, 4, 8);
    out[9] = 0xff;
  }
  return out;
}

/** Decompresses a gzip buffer; a corrupt or truncated stream is an invalid-argument error. */
export async function gunzip(data: Uint8Array, what = "gzip data"): Promise<Uint8Array> {
  if (!isGzip(data)) throw new BerthError("invalid-argument", `${what}: not gzip (bad magic bytes)`);
  try {
    return await pipe(data, new DecompressionStream("gzip") as unknown as ReadableWritablePair<Uint8Array, Uint8Array>);
  } catch (err) {
    throw new BerthError("invalid-argument", `${what}: corrupt gzip stream: ${(err as Error).message}`, {}, { cause: err });
  }
}

/** The bytes as they are if not gzip, else decompressed (layers may be stored either way). */
export async function maybeGunzip(data: Uint8Array, what?: string): Promise<Uint8Array> {
  return isGzip(data) ? gunzip(data, what) : data;
}
