// OCI layer semantics (image-spec "Image Layer Filesystem Changeset").
//
// A layer is a tar of changes on top of the layers below it:
// - an entry adds or replaces a path (a directory entry over an existing
//   directory only updates its metadata; its contents stay);
// - "<dir>/.wh.<name>" (a whiteout) deletes <dir>/<name> from the layers below;
// - "<dir>/.wh..wh..opq" (an opaque marker) hides everything the layers below
//   had in <dir>;
// - whiteouts and opaque markers apply only to lower layers, never to entries
//   of their own layer, whatever order the tar has them in;
// - other names starting with ".wh..wh." are reserved and ignored.
//
// Paths are applied as overlayfs merges the layer directories the guest mounts:
// exactly, never through a symlink of a lower layer (a layer's "lib/x" over a
// lower "lib -> usr/lib" makes "lib" a directory), and the parents an entry
// needs exist from then on. Hard links point at a path as it is at that point
// of the layer (in this layer or below) and share the file.
//
// Paths here are normalised tar paths: no leading "/", "" is the root.

import { gzip } from "./compress.ts";
import type { Digest } from "./digest.ts";
import { BerthError } from "./errors.ts";
import { MediaType } from "./media-types.ts";
import type { Descriptor } from "./oci.ts";
import { sha256 } from "./sha256.ts";
import {
  compareTarPaths,
  iterateTarSpans,
  normalizeTarPath,
  readTar,
  tarEntry,
  tarWithout,
  writeTar,
  type TarEntry,
  type TarEntryInput,
  type TarEntryType,
} from "./tar.ts";

export const WHITEOUT_PREFIX = ".wh.";
export const OPAQUE_MARKER = ".wh..wh..opq";
const RESERVED_PREFIX = ".wh..wh.";

/** What a path holds in a view (hard links are resolved: a linked file is a "file"). */
export type ViewEntryType = Exclude<TarEntryType, "hardlink">;

export interface ViewEntry {
  /** Normalised path in the view; "" for the root. Symlinks on the way are resolved. */
  readonly path: string;
  /** Last component; "" for the root. */
  readonly name: string;
  readonly type: ViewEntryType;
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly uname: string;
  readonly gname: string;
  readonly size: number;
  readonly mtime: number;
  /** Symlink target; "" otherwise. */
  readonly linkname: string;
  readonly devmajor: number;
  readonly devminor: number;
  readonly xattrs: Readonly<Record<string, string>>;
  /** Index of the layer that last wrote this path; -1 for the root and directories no layer had an entry for. */
  readonly layer: number;
  /** Identifies the file: hard links to one file share it. */
  readonly ino: number;
}

interface Node {
  type: ViewEntryType;
  mode: number;
  uid: number;
  gid: number;
  uname: string;
  gname: string;
  mtime: number;
  linkname: string;
  devmajor: number;
  devminor: number;
  xattrs: Readonly<Record<string, string>>;
  data: Uint8Array;
  layer: number;
  ino: number;
  /** Directories only. */
  children?: Map<string, Node>;
}

const EMPTY = new Uint8Array(0);
const MAX_SYMLINKS = 40;
const decoder = new TextDecoder();

function splitPath(path: string): { parent: string; name: string } {
  const slash = path.lastIndexOf("/");
  return slash < 0 ? { parent: "", name: path } : { parent: path.slice(0, slash), name: path.slice(slash + 1) };
}

function joinPath(dir: string, name: string): string {
  return dir === "" ? name : `${dir}/${name}`;
}

function compareNames(a: string, b: string): number {
  return compareTarPaths(a, b);
}

/** What a layer entry is: a whiteout of a path, an opaque marker for a dir, a reserved name, or a plain entry. */
export function classifyLayerPath(path: string):
  | { kind: "whiteout"; target: string }
  | { kind: "opaque"; dir: string }
  | { kind: "reserved" }
  | { kind: "entry" } {
  const { parent, name } = splitPath(path);
  if (name === OPAQUE_MARKER) return { kind: "opaque", dir: parent };
  if (name.startsWith(RESERVED_PREFIX)) return { kind: "reserved" };
  if (name.startsWith(WHITEOUT_PREFIX) && name.length > WHITEOUT_PREFIX.length) {
    return { kind: "whiteout", target: joinPath(parent, name.slice(WHITEOUT_PREFIX.length)) };
  }
  return { kind: "entry" };
}

function notFound(path: string, what = "no such file or directory"): BerthError {
  return new BerthError("not-found", `${what}: /${path}`, { path: `/${path}` });
}

/** The merged filesystem of a stack of layers. */
export class LayeredView {
  private root: Node;
  private nextIno = 1;
  private count = 0;

  constructor() {
    this.root = this.dirNode(-1);
  }

  /** A view of layer tars (uncompressed), base layer first. */
  static fromTars(layers: Iterable<Uint8Array | readonly TarEntry[]>): LayeredView {
    const view = new LayeredView();
    for (const layer of layers) view.applyLayer(layer);
    return view;
  }

  /** Number of layers applied so far. */
  get layerCount(): number {
    return this.count;
  }

  /** An independent copy (later layers applied to one do not show in the other). */
  clone(): LayeredView {
    const copy = new LayeredView();
    const copyDir = (node: Node): Node => {
      const out: Node = { ...node, children: new Map() };
      for (const [name, child] of node.children!) out.children!.set(name, child.type === "dir" ? copyDir(child) : child);
      return out;
    };
    copy.root = copyDir(this.root);
    copy.nextIno = this.nextIno;
    copy.count = this.count;
    return copy;
  }

  /** Applies one layer (an uncompressed tar or its entries) on top. */
  applyLayer(layer: Uint8Array | readonly TarEntry[]): void {
    const entries = layer instanceof Uint8Array ? readTar(layer) : layer;
    const index = this.count;
    // Whiteouts and opaque markers first: they only ever hide lower layers' files.
    for (const entry of entries) {
      const what = classifyLayerPath(entry.path);
      if (what.kind === "whiteout") {
        const { parent, name } = splitPath(what.target);
        this.ensureDir(parent, index).children!.delete(name);
      } else if (what.kind === "opaque") {
        this.ensureDir(what.dir, index).children!.clear();
      }
    }
    for (const entry of entries) {
      if (classifyLayerPath(entry.path).kind !== "entry") continue;
      if (entry.path === "") {
        if (entry.type === "dir") this.setMeta(this.root, entry, index);
        continue;
      }
      const { parent, name } = splitPath(entry.path);
      const dir = this.ensureDir(parent, index);
      const existing = dir.children!.get(name);
      if (entry.type === "dir") {
        if (existing?.type === "dir") this.setMeta(existing, entry, index);
        else dir.children!.set(name, this.setMeta(this.dirNode(index), entry, index));
      } else if (entry.type === "hardlink") {
        const target = this.exact(entry.linkname);
        if (target === undefined || target.type === "dir") {
          throw new BerthError(
            "invalid-argument",
            `layer ${index}: hard link /${entry.path} points at /${entry.linkname}, which ${target === undefined ? "does not exist" : "is a directory"}`,
            { path: `/${entry.path}`, layer: index },
          );
        }
        dir.children!.set(name, target);
      } else {
        const node: Node = {
          type: entry.type,
          mode: 0,
          uid: 0,
          gid: 0,
          uname: "",
          gname: "",
          mtime: 0,
          linkname: entry.type === "symlink" ? entry.linkname : "",
          devmajor: entry.devmajor,
          devminor: entry.devminor,
          xattrs: {},
          data: entry.type === "file" ? entry.data : EMPTY,
          layer: index,
          ino: this.nextIno++,
        };
        dir.children!.set(name, this.setMeta(node, entry, index));
      }
    }
    this.count++;
  }

  private dirNode(layer: number): Node {
    return {
      type: "dir",
      mode: 0o755,
      uid: 0,
      gid: 0,
      uname: "",
      gname: "",
      mtime: 0,
      linkname: "",
      devmajor: 0,
      devminor: 0,
      xattrs: {},
      data: EMPTY,
      layer,
      ino: this.nextIno++,
      children: new Map(),
    };
  }

  private setMeta(node: Node, entry: TarEntry, layer: number): Node {
    node.mode = entry.mode;
    node.uid = entry.uid;
    node.gid = entry.gid;
    node.uname = entry.uname;
    node.gname = entry.gname;
    node.mtime = entry.mtime;
    node.xattrs = entry.xattrs;
    node.layer = layer;
    return node;
  }

  /** The directory at an exact path, creating it (and replacing non-directories) as extraction would. */
  private ensureDir(path: string, layer: number): Node {
    let node = this.root;
    if (path === "") return node;
    for (const name of path.split("/")) {
      let child = node.children!.get(name);
      if (child?.type !== "dir") {
        child = this.dirNode(layer);
        node.children!.set(name, child);
      }
      node = child;
    }
    return node;
  }

  /** The node at an exact path, following no symlinks. */
  private exact(path: string): Node | undefined {
    let node: Node | undefined = this.root;
    const normalized = normalizeTarPath(path);
    if (normalized === "") return node;
    for (const name of normalized.split("/")) {
      node = node.children?.get(name);
      if (node === undefined) return undefined;
    }
    return node;
  }

  /**
   * Resolves a path inside the view: symlinks on the way are followed (the
   * last one only if `follow`), absolute targets and ".." stay inside the
   * view's root. Undefined if a component is missing or not a directory.
   */
  private resolve(path: string, follow: boolean): { node: Node; path: string } | undefined {
    const stack: { name: string; node: Node }[] = [];
    const current = () => (stack.length > 0 ? stack[stack.length - 1]!.node : this.root);
    let pending = path.split("/").reverse();
    let hops = 0;
    while (pending.length > 0) {
      const name = pending.pop()!;
      if (name === "" || name === ".") continue;
      if (name === "..") {
        stack.pop();
        continue;
      }
      const dir = current();
      if (dir.type !== "dir") return undefined;
      const child = dir.children!.get(name);
      if (child === undefined) return undefined;
      if (child.type === "symlink" && (follow || pending.some((p) => p !== "" && p !== "."))) {
        if (++hops > MAX_SYMLINKS) {
          throw new BerthError("invalid-argument", `too many levels of symbolic links: /${normalizeTarPath(path)}`, {
            path: `/${normalizeTarPath(path)}`,
          });
        }
        if (child.linkname.startsWith("/")) stack.length = 0;
        pending = pending.concat(child.linkname.split("/").reverse());
        continue;
      }
      stack.push({ name, node: child });
    }
    return { node: current(), path: stack.map((s) => s.name).join("/") };
  }

  private toEntry(node: Node, path: string): ViewEntry {
    return {
      path,
      name: splitPath(path).name,
      type: node.type,
      mode: node.mode,
      uid: node.uid,
      gid: node.gid,
      uname: node.uname,
      gname: node.gname,
      size: node.data.length,
      mtime: node.mtime,
      linkname: node.linkname,
      devmajor: node.devmajor,
      devminor: node.devminor,
      xattrs: node.xattrs,
      layer: node.layer,
      ino: node.ino,
    };
  }

  /** What is at `path` (stat, or lstat with follow: false); undefined if nothing. */
  lookup(path: string, options: { follow?: boolean } = {}): ViewEntry | undefined {
    const found = this.resolve(path, options.follow ?? true);
    return found === undefined ? undefined : this.toEntry(found.node, found.path);
  }

  /** True if something is at `path` (symlinks followed unless follow: false). */
  exists(path: string, options: { follow?: boolean } = {}): boolean {
    return this.resolve(path, options.follow ?? true) !== undefined;
  }

  /** The entries of a directory, sorted by name; not-found or invalid-argument (not a directory). */
  list(dir: string): ViewEntry[] {
    const found = this.resolve(dir, true);
    if (found === undefined) throw notFound(normalizeTarPath(dir));
    if (found.node.type !== "dir") {
      throw new BerthError("invalid-argument", `not a directory: /${normalizeTarPath(dir)}`, { path: `/${normalizeTarPath(dir)}` });
    }
    return [...found.node.children!]
      .sort(([a], [b]) => compareNames(a, b))
      .map(([name, node]) => this.toEntry(node, joinPath(found.path, name)));
  }

  /** Every path under `dir` (default: the whole view), parents before children, sorted; symlinks are not followed. */
  *walk(dir = ""): Generator<ViewEntry> {
    const found = this.resolve(dir, true);
    if (found === undefined) throw notFound(normalizeTarPath(dir));
    if (found.node.type !== "dir") return;
    const visit = function* (this: LayeredView, node: Node, path: string): Generator<ViewEntry> {
      for (const [name, child] of [...node.children!].sort(([a], [b]) => compareNames(a, b))) {
        const childPath = joinPath(path, name);
        yield this.toEntry(child, childPath);
        if (child.type === "dir") yield* visit.call(this, child, childPath);
      }
    };
    yield* visit.call(this, found.node, found.path);
  }

  /** A file's contents (symlinks followed). Read-only: a view into the layer's bytes. */
  readFile(path: string): Uint8Array {
    const found = this.resolve(path, true);
    if (found === undefined) throw notFound(normalizeTarPath(path));
    if (found.node.type !== "file") {
      throw new BerthError(
        "invalid-argument",
        `${found.node.type === "dir" ? "is a directory" : `not a regular file (${found.node.type})`}: /${normalizeTarPath(path)}`,
        { path: `/${normalizeTarPath(path)}` },
      );
    }
    return found.node.data;
  }

  /** A file's contents as UTF-8 text. */
  readText(path: string): string {
    return decoder.decode(this.readFile(path));
  }

  /** A tar of the whole merged tree (a flattened image, like `docker export`), hard links kept. */
  exportTar(): Uint8Array {
    const seen = new Map<number, string>();
    const entries: TarEntryInput[] = [];
    for (const e of this.walk()) {
      const first = seen.get(e.ino);
      if (e.type !== "dir" && first !== undefined) {
        entries.push({ path: e.path, type: "hardlink", linkname: first, mode: e.mode, uid: e.uid, gid: e.gid, mtime: e.mtime });
        continue;
      }
      seen.set(e.ino, e.path);
      const data = e.type === "file" ? this.resolve(e.path, false)!.node.data : undefined;
      entries.push({ ...e, data });
    }
    return writeTar(entries);
  }
}

// ---------------------------------------------------------------------------
// Changes

export type ChangeKind = "A" | "C" | "D";

export interface LayerChange {
  /** Normalised path (no leading "/"). */
  readonly path: string;
  /** A: added, C: changed (existed below), D: deleted; as `docker diff` shows them. */
  readonly kind: ChangeKind;
}

/**
 * What a layer does to the view below it: every path it adds (A), replaces or
 * updates (C), or deletes (D, by whiteout, or for each lower child of an
 * opaque directory the layer does not bring back). Whiteouts of paths that did
 * not exist are no change. Sorted by path.
 */
export function layerChanges(below: LayeredView, layer: Uint8Array | readonly TarEntry[]): LayerChange[] {
  const entries = layer instanceof Uint8Array ? readTar(layer) : layer;
  const changes = new Map<string, ChangeKind>();
  const existedBelow = (path: string) => below.lookup(path, { follow: false }) !== undefined && noSymlinkOnTheWay(below, path);
  for (const entry of entries) {
    const what = classifyLayerPath(entry.path);
    if (what.kind === "whiteout") {
      if (existedBelow(what.target)) changes.set(what.target, "D");
    } else if (what.kind === "opaque") {
      const dir = existedBelow(what.dir) ? below.lookup(what.dir, { follow: false }) : undefined;
      if (dir?.type === "dir") for (const child of below.list(what.dir)) changes.set(child.path, "D");
    }
  }
  for (const entry of entries) {
    if (classifyLayerPath(entry.path).kind !== "entry" || entry.path === "") continue;
    changes.set(entry.path, existedBelow(entry.path) ? "C" : "A");
  }
  return [...changes]
    .map(([path, kind]) => ({ path, kind }))
    .sort((a, b) => compareTarPaths(a.path, b.path));
}

/** True if no component of `path` before the last is a symlink (layers apply paths exactly). */
function noSymlinkOnTheWay(view: LayeredView, path: string): boolean {
  const parts = path.split("/");
  for (let i = 1; i < parts.length; i++) {
    if (view.lookup(parts.slice(0, i).join("/"), { follow: false })?.type !== "dir") return false;
  }
  return true;
}

// ---------------------------------------------------------------------------
// Building layers

export interface BuiltLayer {
  /** The uncompressed layer tar. */
  readonly tar: Uint8Array;
  /** sha256 of `tar` (what rootfs.diff_ids lists). */
  readonly diffId: Digest;
  /** The gzip-compressed tar (the blob). */
  readonly gz: Uint8Array;
  /** sha256 of `gz`. */
  readonly digest: Digest;
  /** Length of `gz`. */
  readonly size: number;
  /** OCI gzip layer descriptor of the blob. */
  readonly descriptor: Descriptor;
}

export interface BuildLayerOptions {
  /**
   * Add entries for parent directories the entries need but do not list
   * (mode 0755, root-owned, with this mtime; default 0). Off by default.
   */
  readonly parents?: boolean | { readonly mode?: number; readonly mtime?: number };
}

/** Hashes and compresses a layer tar. */
export async function compressLayer(tar: Uint8Array): Promise<BuiltLayer> {
  const gz = await gzip(tar);
  const [diffId, digest] = await Promise.all([sha256(tar), sha256(gz)]);
  return {
    tar,
    diffId,
    gz,
    digest,
    size: gz.length,
    descriptor: { mediaType: MediaType.OciLayerGzip, digest, size: gz.length },
  };
}

/**
 * Puts entries into the order layers are written in: sorted by path
 * component-wise (a directory, then its subtree), and hard links arranged so
 * that the one that sorts first carries the data and the others link to it
 * (a link must follow its target for extraction to work). Duplicate paths are
 * an invalid-argument error.
 */
export function sortLayerEntries(input: Iterable<TarEntryInput | TarEntry>): TarEntry[] {
  const byPath = new Map<string, TarEntry>();
  for (const item of input) {
    const entry = tarEntry(item);
    if (byPath.has(entry.path)) {
      throw new BerthError("invalid-argument", `layer: /${entry.path} is listed twice`, { path: `/${entry.path}` });
    }
    byPath.set(entry.path, entry);
  }
  // Group hard links by the file they finally point at, when it is in this layer.
  const groups = new Map<string, string[]>();
  for (const entry of byPath.values()) {
    if (entry.type !== "hardlink") continue;
    let target = entry.linkname;
    const seen = new Set([entry.path]);
    while (byPath.get(target)?.type === "hardlink" && !seen.has(target)) {
      seen.add(target);
      target = byPath.get(target)!.linkname;
    }
    const file = byPath.get(target);
    if (file === undefined || file.type === "hardlink" || file.type === "dir") continue;
    const group = groups.get(target) ?? [target];
    group.push(entry.path);
    groups.set(target, group);
  }
  for (const [target, members] of groups) {
    members.sort(compareTarPaths);
    const first = members[0]!;
    const file = byPath.get(target)!;
    for (const path of members) {
      const own = byPath.get(path)!;
      if (path === first) byPath.set(path, { ...file, path });
      else byPath.set(path, { ...own, ...(path === target ? { mode: file.mode, uid: file.uid, gid: file.gid, mtime: file.mtime } : {}), path, type: "hardlink", linkname: first, data: EMPTY, size: 0, devmajor: 0, devminor: 0, xattrs: path === target ? file.xattrs : own.xattrs });
    }
  }
  return [...byPath.values()].sort((a, b) => compareTarPaths(a.path, b.path));
}

/**
 * Builds a layer from entries: sorted deterministically (see
 * sortLayerEntries), tarred, hashed, gzipped. A Uint8Array is taken as a
 * finished layer tar and only hashed and gzipped (options do not apply).
 */
export async function buildLayer(
  entries: Iterable<TarEntryInput | TarEntry> | Uint8Array,
  options: BuildLayerOptions = {},
): Promise<BuiltLayer> {
  if (entries instanceof Uint8Array) return compressLayer(entries);
  let list = [...entries].map(tarEntry);
  if (options.parents) {
    const settings = typeof options.parents === "object" ? options.parents : {};
    const have = new Set(list.map((e) => e.path));
    const extra: TarEntry[] = [];
    for (const entry of list) {
      let { parent } = splitPath(entry.path);
      while (parent !== "" && !have.has(parent)) {
        have.add(parent);
        extra.push(tarEntry({ path: parent, type: "dir", mode: settings.mode ?? 0o755, mtime: settings.mtime ?? 0 }));
        parent = splitPath(parent).parent;
      }
    }
    list = list.concat(extra);
  }
  return compressLayer(writeTar(sortLayerEntries(list)));
}

// ---------------------------------------------------------------------------
// Overlay upper directories <-> OCI layers

const OVERLAY_XATTR = /^(trusted|user)\.overlay\./;

/**
 * Turns a tar of an overlayfs upper directory (as `busybox tar -c -C upper .`
 * writes it) into an OCI layer tar: char devices 0/0 (overlay whiteouts)
 * become empty ".wh.<name>" files, each directory in `opaqueDirs` (those with
 * the trusted.overlay.opaque xattr; also detected from xattrs in the tar) gets
 * a ".wh..wh..opq" marker, overlay xattrs are dropped, the root entry is
 * dropped, paths are normalised and entries sorted as buildLayer sorts them.
 * With `clampMtime` (seconds; SOURCE_DATE_EPOCH), no entry is newer than it.
 */
export function overlayUpperToLayer(
  upperTar: Uint8Array,
  opaqueDirs: readonly string[] = [],
  options: { readonly clampMtime?: number } = {},
): Uint8Array {
  const limit = options.clampMtime;
  const clamp = (mtime: number) => (limit !== undefined && mtime > limit ? limit : mtime);
  const opaque = new Set(opaqueDirs.map(normalizeTarPath));
  const out = new Map<string, TarEntry>();
  const dirs = new Map<string, TarEntry>();
  for (const entry of readTar(upperTar)) {
    const xattrs: Record<string, string> = {};
    for (const [key, value] of Object.entries(entry.xattrs)) {
      if (!OVERLAY_XATTR.test(key)) xattrs[key] = value;
      else if (/\.overlay\.opaque$/.test(key) && value === "y" && entry.type === "dir") opaque.add(entry.path);
    }
    if (entry.type === "dir") dirs.set(entry.path, entry);
    if (entry.path === "") continue;
    if (entry.type === "char" && entry.devmajor === 0 && entry.devminor === 0) {
      const { parent, name } = splitPath(entry.path);
      const path = joinPath(parent, WHITEOUT_PREFIX + name);
      out.set(path, tarEntry({ path, type: "file", mode: entry.mode & 0o777, uid: entry.uid, gid: entry.gid, mtime: clamp(entry.mtime) }));
      continue;
    }
    out.set(entry.path, { ...entry, xattrs, mtime: clamp(entry.mtime) });
  }
  for (const dir of opaque) {
    const path = joinPath(dir, OPAQUE_MARKER);
    const owner = dirs.get(dir);
    out.set(
      path,
      tarEntry({ path, type: "file", mode: (owner?.mode ?? 0o755) & 0o777, uid: owner?.uid, gid: owner?.gid, mtime: clamp(owner?.mtime ?? 0) }),
    );
  }
  return writeTar(sortLayerEntries(out.values()));
}

export interface GuestLayer {
  /** The layer tar without whiteouts and opaque markers (every other entry byte for byte). */
  readonly tar: Uint8Array;
  /** Paths to create as overlay whiteouts (char device 0/0) after extracting. */
  readonly whiteouts: string[];
  /** Directories to mark opaque (xattr trusted.overlay.opaque=y; create them if missing). */
  readonly opaqueDirs: string[];
}

/** Splits an OCI layer into what `tar -x` can extract into an overlay lower directory and the overlay markers to add. */
export function splitForGuest(layerTar: Uint8Array): GuestLayer {
  const drop: { start: number; end: number }[] = [];
  const whiteouts = new Set<string>();
  const opaqueDirs = new Set<string>();
  for (const span of iterateTarSpans(layerTar)) {
    const what = classifyLayerPath(span.entry.path);
    if (what.kind === "entry") continue;
    drop.push(span);
    if (what.kind === "whiteout") whiteouts.add(what.target);
    else if (what.kind === "opaque") opaqueDirs.add(what.dir);
  }
  return {
    tar: drop.length === 0 ? layerTar : tarWithout(layerTar, drop),
    whiteouts: [...whiteouts].sort(compareTarPaths),
    opaqueDirs: [...opaqueDirs].sort(compareTarPaths),
  };
}
