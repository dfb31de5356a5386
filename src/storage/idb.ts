// IndexedDB-backed content and ref stores for the browser (page or worker).
//
// One database (default name "berth") with five object stores:
//   blobs    hex digest → {digest, size, ingest, chunks}: a blob exists iff
//            this record does; its bytes are the chunks of ingest `ingest`
//   chunks   [ingest id, n] → Uint8Array, up to ~1 MiB each
//   ingests  ingest id → {startedAt}: chunks of an ingest not yet committed
//   refs     name → Descriptor
//   meta     key → JSON text
//
// Bytes are flushed to `chunks` as they arrive, so a large layer never has to
// sit in memory whole while it is written. Commit writes the blob record in
// the same transaction that checks for an existing copy, so concurrent
// ingests of one blob (in this tab or another) keep exactly one.
//
// Raw IndexedDB rather than idb-keyval: the operations above need
// transactions spanning several object stores.

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
import { digestHex, type Digest } from "../core/digest.ts";
import { BerthError } from "../core/errors.ts";
import type { Descriptor } from "../core/oci.ts";

const DB_VERSION = 1;
const CHUNK_SIZE = 1 << 20;

const BLOBS = "blobs";
const CHUNKS = "chunks";
const INGESTS = "ingests";
const REFS = "refs";
const META = "meta";

interface BlobRecord {
  digest: Digest;
  size: number;
  ingest: string;
  chunks: number;
}

interface IngestRecord {
  startedAt: number;
}

export interface IdbStorageOptions {
  /** Database name; default "berth". */
  readonly name?: string;
  /** The IDBFactory to use; default globalThis.indexedDB (tests pass fake-indexeddb's). */
  readonly indexedDB?: IDBFactory;
  /** IDBKeyRange from the same implementation as `indexedDB`; default globalThis.IDBKeyRange. */
  readonly IDBKeyRange?: typeof IDBKeyRange;
}

/** The key range of every chunk of one ingest. */
function chunkRange(ranges: typeof IDBKeyRange, id: string): IDBKeyRange {
  return ranges.bound([id, 0], [id, Number.MAX_SAFE_INTEGER]);
}

function newId(): string {
  return globalThis.crypto?.randomUUID?.() ?? `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}

function storageError(what: string, err: unknown): BerthError {
  if (err instanceof BerthError) return err;
  const name = (err as DOMException | null)?.name;
  const kind = name === "QuotaExceededError" ? "unavailable" : "internal";
  const detail = err instanceof Error || err instanceof DOMException ? err.message : String(err);
  return new BerthError(kind, `IndexedDB ${what}: ${name ?? "error"}${detail ? `: ${detail}` : ""}`, {}, { cause: err });
}

/** A transaction body: issues requests synchronously or from request callbacks. */
interface Txn<T> {
  readonly tx: IDBTransaction;
  store(name: string): IDBObjectStore;
  /** Calls `then` with the request's result; an exception aborts the transaction. */
  on<V>(request: IDBRequest<V>, then: (value: V) => void): void;
  /** The value the transaction resolves to once it has committed. */
  result(value: T): void;
  /** Aborts the transaction; it rejects with `err`. */
  fail(err: BerthError): void;
}

/**
 * Runs `body` in one transaction and resolves after it commits. Requests must
 * be chained through `on` callbacks, never across an `await` (the transaction
 * would auto-commit in between).
 */
function transact<T>(
  db: IDBDatabase,
  stores: string[],
  mode: IDBTransactionMode,
  what: string,
  body: (t: Txn<T>) => void,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let tx: IDBTransaction;
    try {
      tx = db.transaction(stores, mode);
    } catch (err) {
      reject(storageError(what, err));
      return;
    }
    let value: T;
    let failure: BerthError | undefined;
    const fail = (err: unknown) => {
      if (failure !== undefined) return;
      failure = storageError(what, err);
      try {
        tx.abort();
      } catch {
        // already finished
      }
    };
    tx.oncomplete = () => (failure ? reject(failure) : resolve(value));
    tx.onabort = () => reject(failure ?? storageError(what, tx.error));
    tx.onerror = (event) => {
      // Let onabort report the error; keep it from bubbling to the database.
      event.preventDefault();
      if (failure === undefined) fail(tx.error ?? (event.target as IDBRequest | null)?.error);
    };
    const txn: Txn<T> = {
      tx,
      store: (name) => tx.objectStore(name),
      on(request, then) {
        request.onsuccess = () => {
          if (failure !== undefined) return;
          try {
            then(request.result);
          } catch (err) {
            fail(err);
          }
        };
      },
      result(v) {
        value = v;
      },
      fail,
    };
    try {
      body(txn);
    } catch (err) {
      fail(err);
    }
  });
}

function openDatabase(factory: IDBFactory, name: string): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    let request: IDBOpenDBRequest;
    try {
      request = factory.open(name, DB_VERSION);
    } catch (err) {
      reject(storageError(`open ${name}`, err));
      return;
    }
    request.onupgradeneeded = () => {
      const db = request.result;
      for (const store of [BLOBS, CHUNKS, INGESTS, REFS, META]) {
        if (!db.objectStoreNames.contains(store)) db.createObjectStore(store);
      }
    };
    request.onsuccess = () => {
      const db = request.result;
      // Let a newer version of the app (another tab) upgrade the schema.
      db.onversionchange = () => db.close();
      resolve(db);
    };
    request.onerror = () => reject(storageError(`open ${name}`, request.error));
    request.onblocked = () =>
      reject(new BerthError("unavailable", `IndexedDB ${name} is held open by an older version of Berth in another tab`));
  });
}

function concat(chunks: readonly Uint8Array[], size: number): Uint8Array {
  if (chunks.length === 1 && chunks[0]!.length === size) return chunks[0]!;
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

export class IdbContentStore implements ContentStore {
  private readonly active = new Set<string>();

  constructor(
    private readonly db: IDBDatabase,
    private readonly ranges: typeof IDBKeyRange,
  ) {}

  async has(digest: Digest): Promise<boolean> {
    const hex = digestHex(checkDigest(digest));
    return transact<boolean>(this.db, [BLOBS], "readonly", "has", (t) => {
      t.on(t.store(BLOBS).count(hex), (n) => t.result(n > 0));
    });
  }

  async info(digest: Digest): Promise<BlobInfo> {
    const hex = digestHex(checkDigest(digest));
    const record = await transact<BlobRecord | undefined>(this.db, [BLOBS], "readonly", "info", (t) => {
      t.on(t.store(BLOBS).get(hex) as IDBRequest<BlobRecord | undefined>, (r) => t.result(r));
    });
    if (record === undefined) throw blobNotFound(digest);
    return { digest, size: record.size };
  }

  async get(digest: Digest): Promise<Uint8Array> {
    const hex = digestHex(checkDigest(digest));
    const found = await transact<{ record: BlobRecord; chunks: Uint8Array[] } | undefined>(
      this.db,
      [BLOBS, CHUNKS],
      "readonly",
      "get",
      (t) => {
        t.on(t.store(BLOBS).get(hex) as IDBRequest<BlobRecord | undefined>, (record) => {
          if (record === undefined) return t.result(undefined);
          t.on(t.store(CHUNKS).getAll(chunkRange(this.ranges, record.ingest)) as IDBRequest<Uint8Array[]>, (chunks) =>
            t.result({ record, chunks }),
          );
        });
      },
    );
    if (found === undefined) throw blobNotFound(digest);
    const bytes = concat(found.chunks, found.record.size);
    await verifyBytes(bytes, digest, found.record.size);
    return bytes;
  }

  async ingest(expected?: IngestExpectation): Promise<BlobWriter> {
    const tracker = new IngestTracker(expected);
    const id = newId();
    this.active.add(id);
    return new IdbBlobWriter(tracker, this.db, this.ranges, id, () => this.active.delete(id));
  }

  async delete(digest: Digest): Promise<void> {
    const hex = digestHex(checkDigest(digest));
    await transact<void>(this.db, [BLOBS, CHUNKS], "readwrite", "delete", (t) => {
      t.on(t.store(BLOBS).get(hex) as IDBRequest<BlobRecord | undefined>, (record) => {
        if (record === undefined) return t.fail(blobNotFound(digest));
        t.store(BLOBS).delete(hex);
        t.store(CHUNKS).delete(chunkRange(this.ranges, record.ingest));
      });
    });
  }

  async list(): Promise<BlobInfo[]> {
    // Keys are hex digests, so IndexedDB's key order is digest order.
    const records = await transact<BlobRecord[]>(this.db, [BLOBS], "readonly", "list", (t) => {
      t.on(t.store(BLOBS).getAll() as IDBRequest<BlobRecord[]>, (r) => t.result(r));
    });
    return records.map((r) => ({ digest: r.digest, size: r.size }));
  }

  /**
   * Removes chunks of ingests abandoned by closed tabs or crashed workers:
   * those not open in this store and started more than `maxAgeMs` ago.
   */
  async purgeIngests(maxAgeMs = 60 * 60 * 1000): Promise<number> {
    const cutoff = Date.now() - maxAgeMs;
    return transact<number>(this.db, [INGESTS, CHUNKS], "readwrite", "purge ingests", (t) => {
      let removed = 0;
      t.result(0);
      const cursor = t.store(INGESTS).openCursor();
      t.on(cursor, (c) => {
        if (c === null) return t.result(removed);
        const id = c.key as string;
        if (!this.active.has(id) && (c.value as IngestRecord).startedAt <= cutoff) {
          c.delete();
          t.store(CHUNKS).delete(chunkRange(this.ranges, id));
          removed++;
        }
        c.continue();
      });
    });
  }

  /** Test hook: replaces a stored blob's bytes without updating its record. */
  async corruptForTesting(digest: Digest, bytes: Uint8Array): Promise<void> {
    const hex = digestHex(digest);
    await transact<void>(this.db, [BLOBS, CHUNKS], "readwrite", "corrupt", (t) => {
      t.on(t.store(BLOBS).get(hex) as IDBRequest<BlobRecord | undefined>, (record) => {
        if (record === undefined) return t.fail(blobNotFound(digest));
        t.store(CHUNKS).delete(chunkRange(this.ranges, record.ingest));
        t.store(CHUNKS).put(bytes.slice(), [record.ingest, 0]);
      });
    });
  }
}

class IdbBlobWriter implements BlobWriter {
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private flushed = 0;

  constructor(
    private readonly tracker: IngestTracker,
    private readonly db: IDBDatabase,
    private readonly ranges: typeof IDBKeyRange,
    private readonly id: string,
    private readonly done: () => void,
  ) {}

  get written(): number {
    return this.tracker.written;
  }

  async write(chunk: Uint8Array): Promise<void> {
    try {
      this.tracker.update(chunk);
      this.pending.push(chunk.slice());
      this.pendingBytes += chunk.length;
      if (this.pendingBytes >= CHUNK_SIZE) await this.flush();
    } catch (err) {
      if (this.tracker.open) await this.abort();
      throw err;
    }
  }

  /** Writes the pending bytes as the next chunk record. */
  private async flush(): Promise<void> {
    const bytes = this.takePending();
    const n = this.flushed++;
    const first = n === 0;
    await transact<void>(this.db, [CHUNKS, INGESTS], "readwrite", "write", (t) => {
      if (first) t.store(INGESTS).put({ startedAt: Date.now() } satisfies IngestRecord, this.id);
      t.store(CHUNKS).put(bytes, [this.id, n]);
    });
  }

  private takePending(): Uint8Array {
    const bytes = concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    return bytes;
  }

  async commit(): Promise<BlobInfo> {
    let info: BlobInfo;
    try {
      info = this.tracker.finish();
    } catch (err) {
      await this.discard();
      throw err;
    }
    const last = this.pendingBytes > 0 ? this.takePending() : undefined;
    const count = this.flushed + (last ? 1 : 0);
    const hex = digestHex(info.digest);
    try {
      await transact<void>(this.db, [BLOBS, CHUNKS, INGESTS], "readwrite", "commit", (t) => {
        t.on(t.store(BLOBS).count(hex), (existing) => {
          if (existing > 0) {
            // Already stored (an earlier or concurrent ingest): keep that copy.
            t.store(CHUNKS).delete(chunkRange(this.ranges, this.id));
          } else {
            if (last) t.store(CHUNKS).put(last, [this.id, this.flushed]);
            const record: BlobRecord = { digest: info.digest, size: info.size, ingest: this.id, chunks: count };
            t.store(BLOBS).put(record, hex);
          }
          t.store(INGESTS).delete(this.id);
        });
      });
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
    this.pending = [];
    this.pendingBytes = 0;
    this.done();
    if (this.flushed === 0) return;
    await transact<void>(this.db, [CHUNKS, INGESTS], "readwrite", "abort", (t) => {
      t.store(CHUNKS).delete(chunkRange(this.ranges, this.id));
      t.store(INGESTS).delete(this.id);
    });
  }
}

export class IdbRefStore implements RefStore {
  constructor(private readonly db: IDBDatabase) {}

  async getRef(name: string): Promise<Descriptor | undefined> {
    return transact<Descriptor | undefined>(this.db, [REFS], "readonly", "get ref", (t) => {
      t.on(t.store(REFS).get(name) as IDBRequest<Descriptor | undefined>, (d) => t.result(d));
    });
  }

  async setRef(name: string, target: Descriptor, options?: SetRefOptions): Promise<void> {
    const copy = checkRef(name, target);
    // The blob check and the write are one transaction, so a concurrent
    // delete of the blob cannot slip in between.
    await transact<void>(this.db, [BLOBS, REFS], "readwrite", "set ref", (t) => {
      t.on(t.store(REFS).get(name) as IDBRequest<Descriptor | undefined>, (current) => {
        checkIfMatch(name, current, options);
        t.on(t.store(BLOBS).get(digestHex(copy.digest)) as IDBRequest<BlobRecord | undefined>, (record) => {
          if (record === undefined) return t.fail(refTargetMissing(name, copy.digest));
          if (record.size !== copy.size) return t.fail(refTargetSizeMismatch(name, copy, record.size));
          t.store(REFS).put(copy, name);
        });
      });
    });
  }

  async deleteRef(name: string): Promise<void> {
    await this.deleteKey(REFS, name, refNotFound(name));
  }

  async listRefs(prefix = ""): Promise<RefRecord[]> {
    const entries = await this.entries<Descriptor>(REFS, prefix);
    return entries.map(([name, target]) => ({ name, target }));
  }

  async getMeta(key: string): Promise<JsonValue | undefined> {
    const text = await transact<string | undefined>(this.db, [META], "readonly", "get meta", (t) => {
      t.on(t.store(META).get(key) as IDBRequest<string | undefined>, (v) => t.result(v));
    });
    return text === undefined ? undefined : (JSON.parse(text) as JsonValue);
  }

  async setMeta(key: string, value: JsonValue): Promise<void> {
    checkMetaKey(key);
    const text = jsonText(value);
    await transact<void>(this.db, [META], "readwrite", "set meta", (t) => {
      t.store(META).put(text, key);
    });
  }

  async deleteMeta(key: string): Promise<void> {
    await this.deleteKey(META, key, metaNotFound(key));
  }

  async listMeta(prefix = ""): Promise<MetaRecord[]> {
    const entries = await this.entries<string>(META, prefix);
    return entries.map(([key, text]) => ({ key, value: JSON.parse(text) as JsonValue }));
  }

  private deleteKey(store: string, key: string, notFound: BerthError): Promise<void> {
    return transact<void>(this.db, [store], "readwrite", `delete from ${store}`, (t) => {
      t.on(t.store(store).count(key), (n) => {
        if (n === 0) return t.fail(notFound);
        t.store(store).delete(key);
      });
    });
  }

  /** [key, value] pairs with string keys starting with `prefix`, in key order. */
  private entries<V>(store: string, prefix: string): Promise<[string, V][]> {
    return transact<[string, V][]>(this.db, [store], "readonly", `list ${store}`, (t) => {
      const out: [string, V][] = [];
      t.result(out);
      t.on(t.store(store).openCursor(), (c) => {
        if (c === null) return;
        const key = c.key as string;
        if (key.startsWith(prefix)) out.push([key, c.value as V]);
        c.continue();
      });
    });
  }
}

export interface IdbStorage extends Storage {
  readonly content: IdbContentStore;
  readonly refs: IdbRefStore;
}

/** Opens (creating or upgrading) the IndexedDB database behind both stores. */
export async function openIdbStorage(options: IdbStorageOptions = {}): Promise<IdbStorage> {
  const factory = options.indexedDB ?? globalThis.indexedDB;
  const ranges = options.IDBKeyRange ?? globalThis.IDBKeyRange;
  if (factory === undefined || ranges === undefined) {
    throw new BerthError("unavailable", "IndexedDB is not available in this context");
  }
  const db = await openDatabase(factory, options.name ?? "berth");
  return {
    content: new IdbContentStore(db, ranges),
    refs: new IdbRefStore(db),
    close: async () => db.close(),
  };
}
