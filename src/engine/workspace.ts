// The workspace: the build context that the page edits. Files (path → bytes,
// mode, mtime) live in IndexedDB inside the engine worker, so they survive a
// reload; the page reaches them only through `createWorkspaceApi()` over
// comlink, never through IndexedDB itself.
//
// One database (default "berth-workspace") with two object stores, both keyed
// by path:
//   entries  path → {path, size, mode, mtime}   (what list() reads)
//   data     path → Uint8Array                  (the bytes)
// Both are written in one transaction, so an entry exists iff its bytes do.
// A third store, meta, holds the workspace's SOURCE_DATE_EPOCH: the page's
// builds pass it, so the same files build the same image, here or wherever a
// share link (which carries it) is opened. Replacing the workspace renews it.
//
// Folders are not stored: they are the prefixes of file paths. A path cannot
// be both a file and a folder ("a" and "a/b"), as in a real build context.
//
// Mutations are serialized through one queue: each reads what it needs in one
// transaction, checks it, then writes in a second transaction that issues all
// of its requests at once (nothing awaited while it is open).

import { BerthError } from "../core/errors.ts";

export interface WorkspaceEntry {
  /** Relative, "/"-separated, no "." or ".." segments (see `workspacePathProblem`). */
  path: string;
  size: number;
  /** Permission bits, e.g. 0o644 or 0o755 (COPY keeps them). */
  mode: number;
  /** Milliseconds since the epoch. */
  mtime: number;
}

export interface WorkspaceFile extends WorkspaceEntry {
  data: Uint8Array;
}

/** A file to write: text is stored as UTF-8. */
export interface WorkspaceInput {
  path: string;
  data: Uint8Array | string;
  /** Default: the file's current mode, or 0o644 for a new file. */
  mode?: number;
  /** Default: now. */
  mtime?: number;
}

export const WORKSPACE_LIMITS = {
  /** Longest path, in UTF-16 units. */
  pathLength: 1024,
  /** Longest single name in a path (Linux NAME_MAX is 255 bytes). */
  nameLength: 255,
  /** Largest single file. */
  fileBytes: 32 * 1024 * 1024,
  /** Most files in the workspace. */
  files: 10_000,
} as const;

export const DEFAULT_FILE_MODE = 0o644;

// C0 and C1 controls, DEL, and the bidirectional overrides and isolates that
// can make a name read as something it is not.
const FORBIDDEN_CHARS = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

/** Why `path` is not a valid workspace path, or null when it is. */
export function workspacePathProblem(path: unknown): string | null {
  if (typeof path !== "string") return "a path must be a string";
  if (path === "") return "a path cannot be empty";
  if (path.length > WORKSPACE_LIMITS.pathLength) return `a path can be at most ${WORKSPACE_LIMITS.pathLength} characters long`;
  if (FORBIDDEN_CHARS.test(path)) return "a path cannot contain control characters";
  if (path.includes("\\")) return "a path cannot contain a backslash (use /)";
  if (path.startsWith("/") || /^[A-Za-z]:/.test(path)) return "a path must be relative to the workspace";
  for (const name of path.split("/")) {
    if (name === "") return "a path cannot have empty names (// or a / at either end)";
    if (name === "." || name === "..") return `a path cannot contain "${name}"`;
    if (name.length > WORKSPACE_LIMITS.nameLength) return `a name can be at most ${WORKSPACE_LIMITS.nameLength} characters long`;
  }
  return null;
}

/** Returns `path` if it is a valid workspace path; throws invalid-argument otherwise. */
export function checkWorkspacePath(path: unknown): string {
  const problem = workspacePathProblem(path);
  if (problem) throw new BerthError("invalid-argument", `invalid path ${JSON.stringify(path)}: ${problem}`, { path });
  return path as string;
}

export function checkFileMode(mode: unknown): number {
  if (typeof mode !== "number" || !Number.isInteger(mode) || mode < 0 || mode > 0o7777) {
    throw new BerthError("invalid-argument", `invalid file mode ${String(mode)}: it must be between 0 and 0o7777`);
  }
  return mode;
}

/** The folders that contain `path`: "a/b/c" → ["a", "a/b"]. */
export function parentFolders(path: string): string[] {
  const names = path.split("/");
  const out: string[] = [];
  for (let i = 1; i < names.length; i++) out.push(names.slice(0, i).join("/"));
  return out;
}

function isUnder(path: string, folder: string): boolean {
  return path.startsWith(folder + "/");
}

const encoder = new TextEncoder();

function toBytes(data: Uint8Array | string): Uint8Array {
  if (typeof data === "string") return encoder.encode(data);
  if (data instanceof Uint8Array) return data;
  throw new BerthError("invalid-argument", "file data must be text or bytes");
}

function notFound(path: string): BerthError {
  return new BerthError("not-found", `no such file or folder in the workspace: ${path}`, { path });
}

/**
 * Checks that `paths` (files that will exist together) have no path that is
 * both a file and a folder, and no duplicates.
 */
function checkLayout(paths: Iterable<string>): void {
  const files = new Set<string>();
  for (const p of paths) {
    if (files.has(p)) throw new BerthError("invalid-argument", `the path ${p} is given twice`, { path: p });
    files.add(p);
  }
  const folders = new Set<string>();
  for (const p of files) for (const f of parentFolders(p)) folders.add(f);
  for (const p of files) {
    if (folders.has(p)) {
      const child = [...files].find((q) => isUnder(q, p))!;
      throw new BerthError("conflict", `${p} cannot be both a file and a folder (${child} is in it)`, { path: p });
    }
  }
}

// ---------------------------------------------------------------------------
// IndexedDB plumbing

const DB_VERSION = 2;
const ENTRIES = "entries";
const DATA = "data";
/** Facts about the workspace as a whole (version 2): its SOURCE_DATE_EPOCH. */
const META = "meta";
const EPOCH_KEY = "sourceDateEpoch";

/** Seconds since 1970, as SOURCE_DATE_EPOCH counts. */
const epochOf = (ms: number) => Math.floor(ms / 1000);

function checkEpoch(epoch: unknown): number {
  if (typeof epoch !== "number" || !Number.isSafeInteger(epoch) || epoch < 0) {
    throw new BerthError("invalid-argument", `invalid SOURCE_DATE_EPOCH: ${String(epoch)} (whole seconds since 1970 expected)`);
  }
  return epoch;
}

export interface WorkspaceOptions {
  /** Database name; default "berth-workspace". */
  readonly name?: string;
  /** The IDBFactory to use; default globalThis.indexedDB (tests pass fake-indexeddb's). */
  readonly indexedDB?: IDBFactory;
}

function idbError(what: string, err: unknown): BerthError {
  if (err instanceof BerthError) return err;
  const name = (err as DOMException | null)?.name;
  const kind = name === "QuotaExceededError" ? "unavailable" : "internal";
  const detail = err instanceof Error || err instanceof DOMException ? err.message : String(err ?? "");
  return new BerthError(kind, `workspace storage, ${what}: ${name ?? "error"}${detail ? `: ${detail}` : ""}`, {}, { cause: err });
}

function openDb(factory: IDBFactory, name: string): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    let req: IDBOpenDBRequest;
    try {
      req = factory.open(name, DB_VERSION);
    } catch (err) {
      reject(idbError("open", err));
      return;
    }
    req.onupgradeneeded = () => {
      const db = req.result;
      if (!db.objectStoreNames.contains(ENTRIES)) db.createObjectStore(ENTRIES, { keyPath: "path" });
      if (!db.objectStoreNames.contains(DATA)) db.createObjectStore(DATA);
      if (!db.objectStoreNames.contains(META)) db.createObjectStore(META);
    };
    req.onsuccess = () => {
      const db = req.result;
      // Another tab upgrading the database: step aside rather than block it.
      db.onversionchange = () => db.close();
      resolve(db);
    };
    req.onerror = () => reject(idbError("open", req.error));
    req.onblocked = () => reject(new BerthError("unavailable", "workspace storage is blocked by another tab with an older version open"));
  });
}

/**
 * One transaction: `body` issues its requests synchronously (or from their
 * callbacks) and returns a function that gives the result after commit.
 */
function transact<T>(
  db: IDBDatabase,
  stores: string[],
  mode: IDBTransactionMode,
  what: string,
  body: (tx: IDBTransaction) => () => T,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let tx: IDBTransaction;
    let result: () => T;
    try {
      tx = db.transaction(stores, mode);
      result = body(tx);
    } catch (err) {
      reject(idbError(what, err));
      return;
    }
    tx.oncomplete = () => {
      try {
        resolve(result());
      } catch (err) {
        reject(idbError(what, err));
      }
    };
    tx.onabort = () => reject(idbError(what, tx.error));
    tx.onerror = (event) => event.preventDefault();
  });
}

function requestResult<V>(req: IDBRequest<V>): () => V {
  return () => req.result;
}

// ---------------------------------------------------------------------------

export class WorkspaceStore {
  #db: IDBDatabase;
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(db: IDBDatabase) {
    this.#db = db;
  }

  static async open(options: WorkspaceOptions = {}): Promise<WorkspaceStore> {
    const factory = options.indexedDB ?? globalThis.indexedDB;
    if (!factory) throw new BerthError("unavailable", "IndexedDB is not available here, so the workspace cannot be stored");
    return new WorkspaceStore(await openDb(factory, options.name ?? "berth-workspace"));
  }

  close(): void {
    this.#db.close();
  }

  /** Runs mutations one after another (a read-check-write must not interleave). */
  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /** Every file, sorted by path. */
  async list(): Promise<WorkspaceEntry[]> {
    const entries = await transact(this.#db, [ENTRIES], "readonly", "list", (tx) =>
      requestResult(tx.objectStore(ENTRIES).getAll() as IDBRequest<WorkspaceEntry[]>),
    );
    return entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  async read(path: string): Promise<WorkspaceFile> {
    checkWorkspacePath(path);
    const [entry, data] = await transact(this.#db, [ENTRIES, DATA], "readonly", "read", (tx) => {
      const e = tx.objectStore(ENTRIES).get(path) as IDBRequest<WorkspaceEntry | undefined>;
      const d = tx.objectStore(DATA).get(path) as IDBRequest<Uint8Array | undefined>;
      return () => [e.result, d.result] as const;
    });
    if (!entry || !data) throw notFound(path);
    return { ...entry, data };
  }

  /** Every file with its bytes, sorted by path (the build context, a share link). */
  async snapshot(): Promise<WorkspaceFile[]> {
    const [entries, data, keys] = await transact(this.#db, [ENTRIES, DATA], "readonly", "snapshot", (tx) => {
      const e = tx.objectStore(ENTRIES).getAll() as IDBRequest<WorkspaceEntry[]>;
      const d = tx.objectStore(DATA).getAll() as IDBRequest<Uint8Array[]>;
      const k = tx.objectStore(DATA).getAllKeys() as IDBRequest<string[]>;
      return () => [e.result, d.result, k.result] as const;
    });
    const bytes = new Map<string, Uint8Array>();
    keys.forEach((k, i) => bytes.set(k, data[i]));
    return entries
      .filter((e) => bytes.has(e.path))
      .map((e) => ({ ...e, data: bytes.get(e.path)! }))
      .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  /** Creates or replaces one file. */
  write(input: WorkspaceInput): Promise<WorkspaceEntry> {
    return this.#serial(async () => (await this.#put([input], false))[0]);
  }

  /** Adds or replaces several files in one transaction (an upload); other files stay. */
  writeMany(inputs: WorkspaceInput[]): Promise<WorkspaceEntry[]> {
    return this.#serial(() => this.#put(inputs, false));
  }

  /**
   * Makes the workspace exactly `inputs` (a starter example, a shared link):
   * a new workspace, so it also gets a new SOURCE_DATE_EPOCH, `epoch` or now.
   */
  async replace(inputs: WorkspaceInput[], options: { epoch?: number } = {}): Promise<WorkspaceEntry[]> {
    if (options.epoch !== undefined) checkEpoch(options.epoch);
    return this.#serial(() => this.#put(inputs, true, options.epoch));
  }

  /**
   * The workspace's SOURCE_DATE_EPOCH (seconds): the time it was made, kept
   * while its files change, so that builds of the same files give the same
   * image however often they run (a share link carries it). Set on first use.
   */
  epoch(): Promise<number> {
    return this.#serial(async () => {
      const stored = await transact(this.#db, [META], "readonly", "read the epoch", (tx) =>
        requestResult(tx.objectStore(META).get(EPOCH_KEY) as IDBRequest<number | undefined>),
      );
      if (stored !== undefined) return stored;
      return this.#writeEpoch(epochOf(Date.now()));
    });
  }

  /** Sets the workspace's SOURCE_DATE_EPOCH (seconds). */
  async setEpoch(epoch: number): Promise<number> {
    checkEpoch(epoch);
    return this.#serial(() => this.#writeEpoch(epoch));
  }

  async #writeEpoch(epoch: number): Promise<number> {
    await transact(this.#db, [META], "readwrite", "set the epoch", (tx) => {
      tx.objectStore(META).put(epoch, EPOCH_KEY);
      return () => undefined;
    });
    return epoch;
  }

  async #put(inputs: WorkspaceInput[], replaceAll: boolean, epoch?: number): Promise<WorkspaceEntry[]> {
    const now = Date.now();
    const prepared = inputs.map((input) => {
      const path = checkWorkspacePath(input?.path);
      const data = toBytes(input.data);
      if (data.byteLength > WORKSPACE_LIMITS.fileBytes) {
        throw new BerthError("invalid-argument", `${path} is ${data.byteLength} bytes; a workspace file can be at most ${WORKSPACE_LIMITS.fileBytes} bytes`, { path });
      }
      if (input.mode !== undefined) checkFileMode(input.mode);
      if (input.mtime !== undefined && !(Number.isFinite(input.mtime) && input.mtime >= 0)) {
        throw new BerthError("invalid-argument", `invalid mtime for ${path}`, { path });
      }
      return { path, data, mode: input.mode, mtime: input.mtime ?? now };
    });
    const existing = replaceAll ? [] : await this.list();
    const byPath = new Map(existing.map((e) => [e.path, e]));
    checkLayout(prepared.map((p) => p.path));
    const after = new Set([...byPath.keys(), ...prepared.map((p) => p.path)]);
    if (after.size > WORKSPACE_LIMITS.files) {
      throw new BerthError("invalid-argument", `a workspace can hold at most ${WORKSPACE_LIMITS.files} files`);
    }
    checkLayout(after);
    const entries: WorkspaceEntry[] = prepared.map((p) => ({
      path: p.path,
      size: p.data.byteLength,
      mode: p.mode ?? byPath.get(p.path)?.mode ?? DEFAULT_FILE_MODE,
      mtime: p.mtime,
    }));
    await transact(this.#db, replaceAll ? [ENTRIES, DATA, META] : [ENTRIES, DATA], "readwrite", replaceAll ? "replace" : "write", (tx) => {
      const es = tx.objectStore(ENTRIES);
      const ds = tx.objectStore(DATA);
      if (replaceAll) {
        es.clear();
        ds.clear();
        // Files written now are not older than the new epoch (their times clamp to it).
        tx.objectStore(META).put(epoch ?? epochOf(now), EPOCH_KEY);
      }
      prepared.forEach((p, i) => {
        es.put(entries[i]);
        ds.put(p.data, p.path);
      });
      return () => undefined;
    });
    return entries;
  }

  /** Changes a file's permission bits. */
  setMode(path: string, mode: number): Promise<WorkspaceEntry> {
    return this.#serial(async () => {
      checkWorkspacePath(path);
      checkFileMode(mode);
      const entry = (await this.list()).find((e) => e.path === path);
      if (!entry) throw notFound(path);
      const updated = { ...entry, mode };
      await transact(this.#db, [ENTRIES], "readwrite", "chmod", (tx) => {
        tx.objectStore(ENTRIES).put(updated);
        return () => undefined;
      });
      return updated;
    });
  }

  /**
   * Renames a file, or a folder with everything in it. The target must not
   * exist; its folders are created as needed.
   */
  rename(from: string, to: string): Promise<string[]> {
    return this.#serial(async () => {
      checkWorkspacePath(from);
      checkWorkspacePath(to);
      const entries = await this.list();
      const moving = entries.filter((e) => e.path === from || isUnder(e.path, from));
      if (moving.length === 0) throw notFound(from);
      if (from === to) return moving.map((e) => e.path);
      if (isUnder(to, from)) throw new BerthError("invalid-argument", `cannot move ${from} into itself (${to})`, { path: to });
      const target = (p: string) => to + p.slice(from.length);
      const staying = entries.filter((e) => !moving.includes(e));
      const clash = staying.find((e) => e.path === to || isUnder(e.path, to));
      if (clash) throw new BerthError("already-exists", `${to} already exists in the workspace`, { path: to });
      const renamed = moving.map((e) => ({ ...e, path: target(e.path) }));
      for (const e of renamed) checkWorkspacePath(e.path);
      checkLayout([...staying.map((e) => e.path), ...renamed.map((e) => e.path)]);
      await transact(this.#db, [ENTRIES, DATA], "readwrite", "rename", (tx) => {
        const es = tx.objectStore(ENTRIES);
        const ds = tx.objectStore(DATA);
        moving.forEach((e, i) => {
          const req = ds.get(e.path) as IDBRequest<Uint8Array | undefined>;
          req.onsuccess = () => {
            if (req.result === undefined) {
              tx.abort();
              return;
            }
            ds.delete(e.path);
            es.delete(e.path);
            es.put(renamed[i]);
            ds.put(req.result, renamed[i].path);
          };
        });
        return () => undefined;
      });
      return renamed.map((e) => e.path);
    });
  }

  /** Deletes a file, or a folder with everything in it. Returns the deleted paths. */
  delete(path: string): Promise<string[]> {
    return this.#serial(async () => {
      checkWorkspacePath(path);
      const gone = (await this.list()).filter((e) => e.path === path || isUnder(e.path, path)).map((e) => e.path);
      if (gone.length === 0) throw notFound(path);
      await transact(this.#db, [ENTRIES, DATA], "readwrite", "delete", (tx) => {
        for (const p of gone) {
          tx.objectStore(ENTRIES).delete(p);
          tx.objectStore(DATA).delete(p);
        }
        return () => undefined;
      });
      return gone;
    });
  }

  /** Removes every file (a new, empty workspace with a new epoch). */
  clear(): Promise<void> {
    return this.#serial(() => this.#put([], true).then(() => undefined));
  }
}

/**
 * The workspace methods the engine worker exposes to the page (comlink). The
 * database is opened on first use; a failed open is retried on the next call.
 */
export function createWorkspaceApi(options: WorkspaceOptions = {}) {
  let opening: Promise<WorkspaceStore> | null = null;
  const store = () => {
    opening ??= WorkspaceStore.open(options).catch((err: unknown) => {
      opening = null;
      throw err;
    });
    return opening;
  };
  return {
    /** Every file (no bytes), sorted by path. */
    async list(): Promise<WorkspaceEntry[]> {
      return (await store()).list();
    },
    async read(path: string): Promise<WorkspaceFile> {
      return (await store()).read(path);
    },
    /** Creates or replaces a file; text is stored as UTF-8; the mode stays unless given. */
    async write(path: string, data: Uint8Array | string, options: { mode?: number; mtime?: number } = {}): Promise<WorkspaceEntry> {
      return (await store()).write({ path, data, ...options });
    },
    /** Adds files (replacing those with the same paths) in one step. */
    async upload(files: WorkspaceInput[]): Promise<WorkspaceEntry[]> {
      return (await store()).writeMany(files);
    },
    /** Makes the workspace exactly these files, with a new SOURCE_DATE_EPOCH (`epoch`, or now). */
    async replace(files: WorkspaceInput[], options: { epoch?: number } = {}): Promise<WorkspaceEntry[]> {
      return (await store()).replace(files, options);
    },
    /** The workspace's SOURCE_DATE_EPOCH in seconds (set to now on first use). */
    async epoch(): Promise<number> {
      return (await store()).epoch();
    },
    async setEpoch(epoch: number): Promise<number> {
      return (await store()).setEpoch(epoch);
    },
    async rename(from: string, to: string): Promise<string[]> {
      return (await store()).rename(from, to);
    },
    async delete(path: string): Promise<string[]> {
      return (await store()).delete(path);
    },
    async setMode(path: string, mode: number): Promise<WorkspaceEntry> {
      return (await store()).setMode(path, mode);
    },
    /** Every file with its bytes. */
    async snapshot(): Promise<WorkspaceFile[]> {
      return (await store()).snapshot();
    },
    async clear(): Promise<void> {
      return (await store()).clear();
    },
  };
}

export type WorkspaceApi = ReturnType<typeof createWorkspaceApi>;
