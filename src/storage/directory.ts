// Directory-backed content and ref stores for Node (the engine outside the
// browser, tests, tooling). Node only: do not import from browser code.
//
// Layout under the root directory, an OCI image layout plus two extras:
//   oci-layout               {"imageLayoutVersion":"1.0.0"}
//   blobs/sha256/<hex>       one file per blob, named by its digest
//   index.json               refs: an OCI index whose manifests carry the ref
//                            name in the "io.containerd.image.name" annotation
//   meta/<sha256(key)>.json  metadata records: {"key": ..., "value": ...}
//   ingest/<uuid>            bytes being written; renamed into place when
//                            complete, so readers never see a partial file
//
// Concurrency: safe between the stores of one process. Two processes sharing
// a root may both write blobs (renames are atomic) but index.json updates are
// only serialised within a process.

import { createHash, randomUUID } from "node:crypto";
import { mkdir, open, readFile, readdir, rename, rm, stat, unlink, writeFile, type FileHandle } from "node:fs/promises";
import { join } from "node:path";
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
  type IncrementalHash,
  type IngestExpectation,
  type JsonValue,
  type MetaRecord,
  type RefRecord,
  type RefStore,
  type SetRefOptions,
  type Storage,
} from "../core/content.ts";
import { digestFromHex, digestHex, type Digest } from "../core/digest.ts";
import { BerthError } from "../core/errors.ts";
import { MediaType } from "../core/media-types.ts";
import { parseImageIndex, type Descriptor } from "../core/oci.ts";
import { Shapes, canonicalJson } from "../core/canonical-json.ts";

const REF_NAME_ANNOTATION = "io.containerd.image.name";
const HEX64 = /^[0-9a-f]{64}$/;

function isNotFound(err: unknown): boolean {
  return (err as NodeJS.ErrnoException)?.code === "ENOENT";
}

function nodeSha256(): IncrementalHash {
  const h = createHash("sha256");
  return { update: (chunk) => h.update(chunk), digestHex: () => h.digest("hex") };
}

async function ensureLayout(root: string): Promise<void> {
  await mkdir(join(root, "blobs", "sha256"), { recursive: true });
  await mkdir(join(root, "ingest"), { recursive: true });
  await mkdir(join(root, "meta"), { recursive: true });
  const layout = join(root, "oci-layout");
  try {
    await writeFile(layout, '{"imageLayoutVersion":"1.0.0"}', { flag: "wx" });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
  }
}

/** Writes a file completely under ingest/, then renames it over `path`. */
async function writeFileAtomic(root: string, path: string, data: string | Uint8Array): Promise<void> {
  const temp = join(root, "ingest", `${randomUUID()}.tmp`);
  try {
    await writeFile(temp, data, { flag: "wx" });
    await rename(temp, path);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
}

export class DirectoryContentStore implements ContentStore {
  private readonly active = new Set<string>();

  private constructor(readonly root: string) {}

  /** Opens (creating if needed) a store rooted at `root`. */
  static async open(root: string): Promise<DirectoryContentStore> {
    await ensureLayout(root);
    return new DirectoryContentStore(root);
  }

  /** Where a blob's file lives (tests use this to tamper with it). */
  blobPath(digest: Digest): string {
    return join(this.root, "blobs", "sha256", digestHex(checkDigest(digest)));
  }

  async has(digest: Digest): Promise<boolean> {
    try {
      return (await stat(this.blobPath(digest))).isFile();
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  async info(digest: Digest): Promise<BlobInfo> {
    try {
      return { digest, size: (await stat(this.blobPath(digest))).size };
    } catch (err) {
      if (isNotFound(err)) throw blobNotFound(digest);
      throw err;
    }
  }

  async get(digest: Digest): Promise<Uint8Array> {
    let bytes: Uint8Array;
    try {
      const buffer = await readFile(this.blobPath(digest));
      bytes = new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    } catch (err) {
      if (isNotFound(err)) throw blobNotFound(digest);
      throw err;
    }
    await verifyBytes(bytes, digest);
    return bytes;
  }

  async ingest(expected?: IngestExpectation): Promise<BlobWriter> {
    const tracker = new IngestTracker(expected, nodeSha256());
    const id = randomUUID();
    const temp = join(this.root, "ingest", id);
    const handle = await open(temp, "wx");
    this.active.add(id);
    return new DirectoryBlobWriter(tracker, handle, temp, this, () => this.active.delete(id));
  }

  async delete(digest: Digest): Promise<void> {
    try {
      await unlink(this.blobPath(digest));
    } catch (err) {
      if (isNotFound(err)) throw blobNotFound(digest);
      throw err;
    }
  }

  async list(): Promise<BlobInfo[]> {
    const dir = join(this.root, "blobs", "sha256");
    const out: BlobInfo[] = [];
    for (const name of await readdir(dir)) {
      if (!HEX64.test(name)) continue;
      try {
        const s = await stat(join(dir, name));
        if (s.isFile()) out.push({ digest: digestFromHex(name), size: s.size });
      } catch (err) {
        if (!isNotFound(err)) throw err; // deleted while listing
      }
    }
    return sortByDigest(out);
  }

  /**
   * Removes ingest files left behind by crashed writers: those not written by
   * this process's open writers and untouched for `maxAgeMs`. Returns how many.
   */
  async purgeIngests(maxAgeMs = 60 * 60 * 1000): Promise<number> {
    const dir = join(this.root, "ingest");
    let removed = 0;
    for (const name of await readdir(dir)) {
      if (this.active.has(name)) continue;
      try {
        const s = await stat(join(dir, name));
        if (Date.now() - s.mtimeMs < maxAgeMs) continue;
        await rm(join(dir, name), { force: true });
        removed++;
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
    return removed;
  }
}

class DirectoryBlobWriter implements BlobWriter {
  constructor(
    private readonly tracker: IngestTracker,
    private readonly handle: FileHandle,
    private readonly temp: string,
    private readonly store: DirectoryContentStore,
    private readonly done: () => void,
  ) {}

  get written(): number {
    return this.tracker.written;
  }

  async write(chunk: Uint8Array): Promise<void> {
    try {
      this.tracker.update(chunk);
      let offset = 0;
      while (offset < chunk.length) {
        const { bytesWritten } = await this.handle.write(chunk, offset, chunk.length - offset);
        offset += bytesWritten;
      }
    } catch (err) {
      if (this.tracker.open) await this.abort();
      throw err;
    }
  }

  async commit(): Promise<BlobInfo> {
    let info: BlobInfo;
    try {
      info = this.tracker.finish();
      await this.handle.sync();
    } catch (err) {
      await this.discard();
      throw err;
    }
    try {
      await this.handle.close();
      if (await this.store.has(info.digest)) {
        await rm(this.temp, { force: true });
      } else {
        // Atomic: a concurrent ingest of the same bytes just replaces the file with identical content.
        await rename(this.temp, this.store.blobPath(info.digest));
      }
    } catch (err) {
      this.tracker.markAborted();
      await this.discard();
      throw err;
    }
    this.tracker.markCommitted();
    this.done();
    return info;
  }

  async abort(): Promise<void> {
    if (this.tracker.markAborted()) await this.discard();
  }

  private async discard(): Promise<void> {
    await this.handle.close().catch(() => {});
    await rm(this.temp, { force: true });
    this.done();
  }
}

interface IndexFile {
  refs: Map<string, Descriptor>;
}

export class DirectoryRefStore implements RefStore {
  private lock: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly root: string,
    private readonly content: ContentStore,
  ) {}

  static async open(root: string, content: ContentStore): Promise<DirectoryRefStore> {
    await ensureLayout(root);
    return new DirectoryRefStore(root, content);
  }

  /** Runs `fn` after every earlier update of index.json has finished. */
  private serialize<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn, fn);
    this.lock = run.catch(() => {});
    return run;
  }

  private async readIndex(): Promise<IndexFile> {
    let text: string;
    try {
      text = await readFile(join(this.root, "index.json"), "utf8");
    } catch (err) {
      if (isNotFound(err)) return { refs: new Map() };
      throw err;
    }
    let index;
    try {
      index = parseImageIndex(text, MediaType.OciIndex);
    } catch (err) {
      throw new BerthError("internal", `${join(this.root, "index.json")}: ${(err as Error).message}`, {
        file: join(this.root, "index.json"),
      });
    }
    const refs = new Map<string, Descriptor>();
    for (const entry of index.manifests) {
      const name = entry.annotations?.[REF_NAME_ANNOTATION];
      if (name === undefined) continue; // an untagged manifest written by another tool
      const { [REF_NAME_ANNOTATION]: _, ...rest } = entry.annotations!;
      const { annotations: __, ...target } = entry;
      refs.set(name, Object.keys(rest).length > 0 ? { ...target, annotations: rest } : target);
    }
    return { refs };
  }

  private async writeIndex(index: IndexFile): Promise<void> {
    const manifests = sortByKey([...index.refs], ([name]) => name).map(([name, target]) => ({
      ...target,
      annotations: { ...target.annotations, [REF_NAME_ANNOTATION]: name },
    }));
    const text = canonicalJson({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests }, Shapes.index);
    await writeFileAtomic(this.root, join(this.root, "index.json"), text);
  }

  async getRef(name: string): Promise<Descriptor | undefined> {
    return (await this.readIndex()).refs.get(name);
  }

  async setRef(name: string, target: Descriptor, options?: SetRefOptions): Promise<void> {
    const copy = checkRef(name, target);
    await this.serialize(async () => {
      const index = await this.readIndex();
      checkIfMatch(name, index.refs.get(name), options);
      if (!(await this.content.has(copy.digest))) throw refTargetMissing(name, copy.digest);
      const stored = await this.content.info(copy.digest);
      if (stored.size !== copy.size) throw refTargetSizeMismatch(name, copy, stored.size);
      index.refs.set(name, copy);
      await this.writeIndex(index);
    });
  }

  async deleteRef(name: string): Promise<void> {
    await this.serialize(async () => {
      const index = await this.readIndex();
      if (!index.refs.delete(name)) throw refNotFound(name);
      await this.writeIndex(index);
    });
  }

  async listRefs(prefix = ""): Promise<RefRecord[]> {
    const out: RefRecord[] = [];
    for (const [name, target] of (await this.readIndex()).refs) if (name.startsWith(prefix)) out.push({ name, target });
    return sortByKey(out, (r) => r.name);
  }

  private metaPath(key: string): string {
    return join(this.root, "meta", `${createHash("sha256").update(key, "utf8").digest("hex")}.json`);
  }

  private async readMeta(path: string): Promise<MetaRecord | undefined> {
    let text: string;
    try {
      text = await readFile(path, "utf8");
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
    const record = JSON.parse(text) as MetaRecord;
    if (typeof record?.key !== "string" || !("value" in record)) {
      throw new BerthError("internal", `${path}: not a metadata record`, { file: path });
    }
    return record;
  }

  async getMeta(key: string): Promise<JsonValue | undefined> {
    const record = await this.readMeta(this.metaPath(key));
    return record?.key === key ? record.value : undefined;
  }

  async setMeta(key: string, value: JsonValue): Promise<void> {
    checkMetaKey(key);
    const text = `{"key":${JSON.stringify(key)},"value":${jsonText(value)}}`;
    await writeFileAtomic(this.root, this.metaPath(key), text);
  }

  async deleteMeta(key: string): Promise<void> {
    try {
      await unlink(this.metaPath(key));
    } catch (err) {
      if (isNotFound(err)) throw metaNotFound(key);
      throw err;
    }
  }

  async listMeta(prefix = ""): Promise<MetaRecord[]> {
    const dir = join(this.root, "meta");
    const out: MetaRecord[] = [];
    for (const name of await readdir(dir)) {
      if (!name.endsWith(".json")) continue;
      const record = await this.readMeta(join(dir, name));
      if (record !== undefined && record.key.startsWith(prefix)) out.push(record);
    }
    return sortByKey(out, (r) => r.key);
  }
}

/** Opens content and refs stored under `root` (created if missing). */
export async function openDirectoryStorage(root: string): Promise<Storage & { readonly content: DirectoryContentStore }> {
  const content = await DirectoryContentStore.open(root);
  const refs = await DirectoryRefStore.open(root, content);
  return { content, refs, close: async () => {} };
}
