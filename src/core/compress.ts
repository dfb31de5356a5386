// gzip and gunzip with the platform's CompressionStream/DecompressionStream
// (native zlib in Node 20, browsers and workers; no dependency).
//
// `gzip` output depends only on the input: the stream already writes a zero
// MTIME, and the OS byte of the header (which differs between platforms) is
// set to 255 ("unknown"), so a layer compressed in Node and in a browser gets
// the same digest as long as both use zlib's default level.

import { BerthError } from "./errors.ts";

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
  const out = await pipe(data, new CompressionStream("gzip") as unknown as ReadableWritablePair<Uint8Array, Uint8Array>);
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
