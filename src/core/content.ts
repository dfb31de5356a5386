// The storage contracts: a content-addressed blob store and a store of names
// (refs) and metadata records that point into it. Implementations live in
// src/storage (memory, directory, IndexedDB); the rules below are checked by
// the one conformance suite in tests/unit/storage/conformance.ts.
//
// Rules every implementation keeps:
// - A blob becomes visible only after `commit()` has checked its digest and
//   size; a failed commit leaves nothing behind.
// - `get()` re-hashes what it read; bytes that no longer match their digest
//   raise a digest-mismatch BerthError and are never returned.
// - Identical blobs are stored once; concurrent ingests of the same bytes
//   both succeed.
// - A ref can only be set to a blob the content store has (blobs are written
//   before the refs that point at them).
//
// Errors: not-found (no such blob/ref), digest-mismatch (digest or size does
// not match), invalid-argument (malformed digest, name or descriptor),
// conflict (writer used after commit/abort, ref changed under `ifMatch`).

import { digestFromHex, parseDigest, type Digest } from "./digest.ts";
import { BerthError } from "./errors.ts";
import type { Descriptor } from "./oci.ts";
import { parseDescriptor } from "./oci.ts";
import { createSha256, sha256 } from "./sha256.ts";

export interface BlobInfo {
  readonly digest: Digest;
  readonly size: number;
}

/** What the caller expects an ingest to produce; checked on commit. */
export interface IngestExpectation {
  readonly digest?: Digest;
  readonly size?: number;
}

/** Receives a blob's bytes in order; nothing is visible until `commit()`. */
export interface BlobWriter {
  /** Bytes written so far. */
  readonly written: number;
  /** Appends bytes. Fails early if more than an expected size is written. */
  write(chunk: Uint8Array): Promise<void>;
  /**
   * Checks size and digest against the expectation, then makes the blob
   * visible (or, if it is already stored, discards this copy). On a mismatch
   * the ingest is aborted and a digest-mismatch error is thrown.
   */
  commit(): Promise<BlobInfo>;
  /** Discards what was written. Safe to call after a failed commit. */
  abort(): Promise<void>;
}

export interface ContentStore {
  has(digest: Digest): Promise<boolean>;
  /** Size of a stored blob; not-found if absent. Does not re-hash. */
  info(digest: Digest): Promise<BlobInfo>;
  /** The verified bytes (a copy the caller may keep); not-found or digest-mismatch. */
  get(digest: Digest): Promise<Uint8Array>;
  ingest(expected?: IngestExpectation): Promise<BlobWriter>;
  /** Removes a blob; not-found if absent. Refs are not checked (that is GC's job). */
  delete(digest: Digest): Promise<void>;
  /** Every stored blob, sorted by digest. */
  list(): Promise<BlobInfo[]>;
}

export type JsonValue = null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue };

export interface RefRecord {
  readonly name: string;
  readonly target: Descriptor;
}

export interface MetaRecord {
  readonly key: string;
  readonly value: JsonValue;
}

export interface SetRefOptions {
  /**
   * Compare-and-swap: the digest the ref must currently point at, or null for
   * "must not exist". A mismatch is a conflict error.
   */
  readonly ifMatch?: Digest | null;
}

/**
 * Names (e.g. "docker.io/library/busybox:latest") pointing at descriptors in
 * a content store, and JSON metadata records keyed by string (e.g. build
 * cache entries). Names are opaque non-empty strings here; parsing them is
 * src/registry/reference.ts's job.
 */
export interface RefStore {
  /** The descriptor a name points at, or undefined. */
  getRef(name: string): Promise<Descriptor | undefined>;
  /**
   * Points `name` at `target`. Refused with not-found if the content store
   * lacks target.digest, and with digest-mismatch if target.size differs from
   * the stored size.
   */
  setRef(name: string, target: Descriptor, options?: SetRefOptions): Promise<void>;
  /** not-found if absent. */
  deleteRef(name: string): Promise<void>;
  /** All refs, sorted by name; with a prefix, only names starting with it. */
  listRefs(prefix?: string): Promise<RefRecord[]>;

  /** A copy of the stored value, or undefined. */
  getMeta(key: string): Promise<JsonValue | undefined>;
  /** Stores a copy of `value` (must be plain JSON data). */
  setMeta(key: string, value: JsonValue): Promise<void>;
  /** not-found if absent. */
  deleteMeta(key: string): Promise<void>;
  /** All records, sorted by key; with a prefix, only keys starting with it. */
  listMeta(prefix?: string): Promise<MetaRecord[]>;
}

/** A content store and the ref store over it, as the engine uses them. */
export interface Storage {
  readonly content: ContentStore;
  readonly refs: RefStore;
  /** Releases handles (database connections); the stores are unusable afterwards. */
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------
// Helpers shared by callers and implementations

/** Writes a whole buffer as one blob. */
export async function putBlob(store: ContentStore, bytes: Uint8Array, expected?: IngestExpectation): Promise<BlobInfo> {
  const writer = await store.ingest(expected);
  try {
    await writer.write(bytes);
    return await writer.commit();
  } catch (err) {
    await writer.abort();
    throw err;
  }
}

/** Checks that bytes match a digest (and size, if given); throws digest-mismatch otherwise. */
export async function verifyBytes(bytes: Uint8Array, digest: Digest, size?: number): Promise<void> {
  if (size !== undefined && bytes.length !== size) {
    throw new BerthError("digest-mismatch", `blob ${digest}: expected ${size} bytes, got ${bytes.length}`, {
      digest,
      expectedSize: size,
      actualSize: bytes.length,
    });
  }
  const actual = await sha256(bytes);
  if (actual !== digest) {
    throw new BerthError("digest-mismatch", `blob ${digest}: content hashes to ${actual}`, {
      digest,
      actualDigest: actual,
    });
  }
}

/** The error a writer raises when what was written does not match the expectation. */
export function checkIngest(expected: IngestExpectation | undefined, actual: BlobInfo): void {
  if (expected?.size !== undefined && expected.size !== actual.size) {
    throw new BerthError(
      "digest-mismatch",
      `ingest ${expected.digest ?? actual.digest}: expected ${expected.size} bytes, got ${actual.size}`,
      { digest: expected.digest ?? actual.digest, expectedSize: expected.size, actualSize: actual.size },
    );
  }
  if (expected?.digest !== undefined && expected.digest !== actual.digest) {
    throw new BerthError("digest-mismatch", `ingest ${expected.digest}: content hashes to ${actual.digest}`, {
      digest: expected.digest,
      actualDigest: actual.digest,
    });
  }
}

/** Validates an ingest expectation before any bytes are written. */
export function checkExpectation(expected: IngestExpectation | undefined): IngestExpectation | undefined {
  if (expected === undefined) return undefined;
  if (expected.digest !== undefined) parseDigest(expected.digest);
  if (expected.size !== undefined && !(Number.isSafeInteger(expected.size) && expected.size >= 0)) {
    throw new BerthError("invalid-argument", `ingest: size ${expected.size} is not a non-negative integer`);
  }
  return { digest: expected.digest, size: expected.size };
}

/** Validates a ref name and target; returns a plain copy of the descriptor. */
export function checkRef(name: string, target: Descriptor): Descriptor {
  if (typeof name !== "string" || name === "") throw new BerthError("invalid-argument", "ref name must be a non-empty string");
  return parseDescriptor(target, `ref ${name}`);
}

export function checkMetaKey(key: string): void {
  if (typeof key !== "string" || key === "") throw new BerthError("invalid-argument", "metadata key must be a non-empty string");
}

/** A deep copy of plain JSON data; rejects anything JSON would lose or change. */
export function copyJson(value: JsonValue): JsonValue {
  return JSON.parse(jsonText(value)) as JsonValue;
}

/** JSON text for a metadata value, refusing non-JSON data rather than silently changing it. */
export function jsonText(value: JsonValue): string {
  check(value, "value");
  return JSON.stringify(value);
  function check(v: unknown, path: string): void {
    if (v === null || typeof v === "string" || typeof v === "boolean") return;
    if (typeof v === "number") {
      if (!Number.isFinite(v)) throw new BerthError("invalid-argument", `metadata ${path}: ${v} is not JSON`);
      return;
    }
    if (Array.isArray(v)) {
      v.forEach((item, i) => check(item, `${path}[${i}]`));
      return;
    }
    if (typeof v === "object") {
      const proto = Object.getPrototypeOf(v);
      if (proto !== Object.prototype && proto !== null) {
        throw new BerthError("invalid-argument", `metadata ${path}: a ${v.constructor?.name} is not plain JSON data`);
      }
      for (const [k, item] of Object.entries(v)) check(item, `${path}.${k}`);
      return;
    }
    throw new BerthError("invalid-argument", `metadata ${path}: a ${typeof v} is not JSON`);
  }
}

/** Validates a digest argument, so that every store rejects malformed ones the same way. */
export function checkDigest(digest: Digest): Digest {
  return parseDigest(digest);
}

/** What an ingest needs from a hash function (createSha256(): native in Node, else the pure-TS Sha256). */
export interface IncrementalHash {
  update(chunk: Uint8Array): unknown;
  digestHex(): string;
}

/**
 * The bookkeeping every BlobWriter does: open/committed/aborted state, byte
 * count, early size check, incremental hash and the final comparison with
 * the expectation. Stores wrap it with their own storage of the bytes.
 * A store that holds every byte until commit anyway passes `null` as the
 * hash and gives `finish` the digest of the whole blob (one native
 * WebCrypto pass instead of the pure-TS incremental hash in browsers).
 */
export class IngestTracker {
  private state: "open" | "committed" | "aborted" = "open";
  private count = 0;
  readonly expected: IngestExpectation | undefined;

  constructor(
    expected: IngestExpectation | undefined,
    private readonly hash: IncrementalHash | null = createSha256(),
  ) {
    this.expected = checkExpectation(expected);
  }

  get written(): number {
    return this.count;
  }

  get open(): boolean {
    return this.state === "open";
  }

  /** Throws conflict unless the writer is still open. */
  assertOpen(): void {
    if (this.state !== "open") throw writerClosed(this.state);
  }

  /** Hashes and counts a chunk; throws digest-mismatch if it overruns the expected size. */
  update(chunk: Uint8Array): void {
    this.assertOpen();
    if (!(chunk instanceof Uint8Array)) throw new BerthError("invalid-argument", "BlobWriter.write() takes a Uint8Array");
    const size = this.expected?.size;
    if (size !== undefined && this.count + chunk.length > size) {
      const digest = this.expected?.digest;
      throw new BerthError(
        "digest-mismatch",
        `ingest${digest ? ` ${digest}` : ""}: more than the expected ${size} bytes written`,
        { digest, expectedSize: size, actualSize: this.count + chunk.length },
      );
    }
    this.hash?.update(chunk);
    this.count += chunk.length;
  }

  /**
   * Ends the ingest; returns what was written or throws digest-mismatch.
   * `digest` is the store's own hash of all the bytes, for a tracker made without a hash.
   */
  finish(digest?: Digest): BlobInfo {
    this.assertOpen();
    if ((digest === undefined) === (this.hash === null)) {
      throw new BerthError("internal", "IngestTracker.finish(): a digest is given exactly when the tracker has no hash");
    }
    const info: BlobInfo = { digest: digest ?? digestFromHex(this.hash!.digestHex()), size: this.count };
    try {
      checkIngest(this.expected, info);
    } catch (err) {
      this.state = "aborted";
      throw err;
    }
    return info;
  }

  markCommitted(): void {
    this.state = "committed";
  }

  /** Returns false if the ingest was already committed (nothing to discard). */
  markAborted(): boolean {
    if (this.state === "committed") return false;
    this.state = "aborted";
    return true;
  }
}

export function blobNotFound(digest: Digest): BerthError {
  return new BerthError("not-found", `blob ${digest} not found`, { digest });
}

export function refNotFound(name: string): BerthError {
  return new BerthError("not-found", `ref ${JSON.stringify(name)} not found`, { ref: name });
}

export function metaNotFound(key: string): BerthError {
  return new BerthError("not-found", `metadata ${JSON.stringify(key)} not found`, { key });
}

/** The error for setting a ref to a blob the store does not have. */
export function refTargetMissing(name: string, digest: Digest): BerthError {
  return new BerthError(
    "not-found",
    `cannot point ref ${JSON.stringify(name)} at ${digest}: blob not in the content store (write blobs before refs)`,
    { ref: name, digest },
  );
}

export function refTargetSizeMismatch(name: string, target: Descriptor, storedSize: number): BerthError {
  return new BerthError(
    "digest-mismatch",
    `cannot point ref ${JSON.stringify(name)} at ${target.digest}: descriptor says ${target.size} bytes, stored blob has ${storedSize}`,
    { ref: name, digest: target.digest, expectedSize: target.size, actualSize: storedSize },
  );
}

/** Checks `ifMatch` against the current target; throws conflict on a mismatch. */
export function checkIfMatch(name: string, current: Descriptor | undefined, options: SetRefOptions | undefined): void {
  if (options?.ifMatch === undefined) return;
  const have = current?.digest ?? null;
  if (have !== options.ifMatch) {
    throw new BerthError(
      "conflict",
      `ref ${JSON.stringify(name)} points at ${have ?? "nothing"}, expected ${options.ifMatch ?? "nothing"}`,
      { ref: name },
    );
  }
}

export function writerClosed(state: "committed" | "aborted"): BerthError {
  return new BerthError("conflict", `blob writer already ${state}`);
}

export function sortByDigest<T extends { digest: Digest }>(items: T[]): T[] {
  return items.sort((a, b) => (a.digest < b.digest ? -1 : a.digest > b.digest ? 1 : 0));
}

export function sortByKey<T>(items: T[], key: (item: T) => string): T[] {
  return items.sort((a, b) => {
    const x = key(a);
    const y = key(b);
    return x < y ? -1 : x > y ? 1 : 0;
  });
}
