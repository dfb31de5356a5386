// In-memory content and ref stores: for tests, and for throwaway sessions
// that should not touch IndexedDB or disk.

import {
  IngestTracker,
  blobNotFound,
  checkDigest,
  checkIfMatch,
  checkMetaKey,
  checkRef,
  jsonText,
  metaNotFound,
  refNotFound,
  refTargetMissing,
  refTargetSizeMismatch,
  sortByDigest,
  sortByKey,
  verifyBytes,
  type BlobInfo,
  type BlobWriter,
  type ContentStore,
  type IngestExpectation,
  type JsonValue,
  type MetaRecord,
  type RefRecord,
  type RefStore,
  type SetRefOptions,
  type Storage,
} from "../core/content.ts";
import type { Digest } from "../core/digest.ts";
import { sha256 } from "../core/sha256.ts";
import type { Descriptor } from "../core/oci.ts";

export class MemoryContentStore implements ContentStore {
  private readonly blobs = new Map<Digest, Uint8Array>();

  async has(digest: Digest): Promise<boolean> {
    return this.blobs.has(checkDigest(digest));
  }

  async info(digest: Digest): Promise<BlobInfo> {
    const bytes = this.blobs.get(checkDigest(digest));
    if (bytes === undefined) throw blobNotFound(digest);
    return { digest, size: bytes.length };
  }

  async get(digest: Digest): Promise<Uint8Array> {
    const bytes = this.blobs.get(checkDigest(digest));
    if (bytes === undefined) throw blobNotFound(digest);
    await verifyBytes(bytes, digest);
    return bytes.slice();
  }

  async ingest(expected?: IngestExpectation): Promise<BlobWriter> {
    // The writer keeps every chunk until commit, so it hashes the whole blob then (WebCrypto, native).
    return new MemoryBlobWriter(new IngestTracker(expected, null), this.blobs);
  }

  async delete(digest: Digest): Promise<void> {
    if (!this.blobs.delete(checkDigest(digest))) throw blobNotFound(digest);
  }

  async list(): Promise<BlobInfo[]> {
    return sortByDigest([...this.blobs].map(([digest, bytes]) => ({ digest, size: bytes.length })));
  }

  /** Test hook: replaces a stored blob's bytes without updating its digest. */
  corruptForTesting(digest: Digest, bytes: Uint8Array): void {
    if (!this.blobs.has(digest)) throw blobNotFound(digest);
    this.blobs.set(digest, bytes.slice());
  }
}

class MemoryBlobWriter implements BlobWriter {
  private chunks: Uint8Array[] = [];

  constructor(
    private readonly tracker: IngestTracker,
    private readonly blobs: Map<Digest, Uint8Array>,
  ) {}

  get written(): number {
    return this.tracker.written;
  }

  async write(chunk: Uint8Array): Promise<void> {
    try {
      this.tracker.update(chunk);
    } catch (err) {
      if (this.tracker.open) await this.abort();
      throw err;
    }
    this.chunks.push(chunk.slice());
  }

  async commit(): Promise<BlobInfo> {
    this.tracker.assertOpen();
    const chunks = this.chunks;
    let bytes: Uint8Array;
    if (chunks.length === 1) bytes = chunks[0]!; // already our own copy
    else {
      bytes = new Uint8Array(this.tracker.written);
      let offset = 0;
      for (const chunk of chunks) {
        bytes.set(chunk, offset);
        offset += chunk.length;
      }
    }
    const digest = await sha256(bytes);
    let info: BlobInfo;
    try {
      info = this.tracker.finish(digest);
    } catch (err) {
      this.chunks = [];
      throw err;
    }
    if (!this.blobs.has(info.digest)) this.blobs.set(info.digest, bytes);
    this.chunks = [];
    this.tracker.markCommitted();
    return info;
  }

  async abort(): Promise<void> {
    if (this.tracker.markAborted()) this.chunks = [];
  }
}

export class MemoryRefStore implements RefStore {
  private readonly refs = new Map<string, Descriptor>();
  private readonly meta = new Map<string, string>();

  constructor(private readonly content: ContentStore) {}

  async getRef(name: string): Promise<Descriptor | undefined> {
    const target = this.refs.get(name);
    return target === undefined ? undefined : structuredClone(target);
  }

  async setRef(name: string, target: Descriptor, options?: SetRefOptions): Promise<void> {
    const copy = checkRef(name, target);
    checkIfMatch(name, this.refs.get(name), options);
    if (!(await this.content.has(copy.digest))) throw refTargetMissing(name, copy.digest);
    const stored = await this.content.info(copy.digest);
    if (stored.size !== copy.size) throw refTargetSizeMismatch(name, copy, stored.size);
    // Checked again after the awaits, so that two racing compare-and-swaps cannot both win.
    checkIfMatch(name, this.refs.get(name), options);
    this.refs.set(name, copy);
  }

  async deleteRef(name: string): Promise<void> {
    if (!this.refs.delete(name)) throw refNotFound(name);
  }

  async listRefs(prefix = ""): Promise<RefRecord[]> {
    const out: RefRecord[] = [];
    for (const [name, target] of this.refs) if (name.startsWith(prefix)) out.push({ name, target: structuredClone(target) });
    return sortByKey(out, (r) => r.name);
  }

  async getMeta(key: string): Promise<JsonValue | undefined> {
    const text = this.meta.get(key);
    return text === undefined ? undefined : (JSON.parse(text) as JsonValue);
  }

  async setMeta(key: string, value: JsonValue): Promise<void> {
    checkMetaKey(key);
    this.meta.set(key, jsonText(value));
  }

  async deleteMeta(key: string): Promise<void> {
    if (!this.meta.delete(key)) throw metaNotFound(key);
  }

  async listMeta(prefix = ""): Promise<MetaRecord[]> {
    const out: MetaRecord[] = [];
    for (const [key, text] of this.meta) if (key.startsWith(prefix)) out.push({ key, value: JSON.parse(text) as JsonValue });
    return sortByKey(out, (r) => r.key);
  }
}

export function createMemoryStorage(): Storage & { readonly content: MemoryContentStore } {
  const content = new MemoryContentStore();
  return { content, refs: new MemoryRefStore(content), close: async () => {} };
}
