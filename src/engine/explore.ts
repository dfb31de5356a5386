// What the playground's panels need beyond the docker API: the merged
// filesystem of an image up to a layer (the layer explorer), a volume's files,
// the guest's memory, and "reset everything". The worker offers these as
// `explore` (createExploreApi); the page reaches them only through it.
import { maybeGunzip } from "../core/compress.ts";
import type { Digest } from "../core/digest.ts";
import { BerthError } from "../core/errors.ts";
import { LayeredView } from "../core/layers.ts";
import { readTar } from "../core/tar.ts";
import type { Engine } from "./engine.ts";

/** One path of a filesystem listing (an image up to a layer, or a volume). */
export interface ExploreEntry {
  /** Absolute, e.g. "/bin/sh". */
  path: string;
  type: "file" | "dir" | "symlink" | "hardlink" | "char" | "block" | "fifo";
  size: number;
  mode: number;
  /** Symlink or hard link target; "" otherwise. */
  linkname: string;
  /** Index (into the image's layers) of the layer that last wrote it; -1 when none did (implicit directories), absent for volumes. */
  layer?: number;
}

export interface GuestStats {
  state: "starting" | "running" | "stopped";
  /** Bytes, from the guest's /proc/meminfo (absent until it runs). */
  memTotal?: number;
  memAvailable?: number;
}

/** At most this many entries are listed (a large image stays responsive); `truncated` says so. */
export const MAX_ENTRIES = 20_000;

async function layerTar(engine: Engine, digest: string): Promise<Uint8Array> {
  return maybeGunzip(await engine.images.content.get(digest as Digest), `layer ${digest}`);
}

/**
 * The merged filesystem of image `ref` with its layers 0..layerIndex applied
 * (dive's "aggregated" view): every path, parents before children.
 */
export async function imageFilesystem(engine: Engine, ref: string, layerIndex: number): Promise<{ entries: ExploreEntry[]; truncated: boolean }> {
  await engine.whenReady();
  const image = await engine.images.resolve(ref);
  const layers = image.manifest.layers;
  if (!Number.isInteger(layerIndex) || layerIndex < 0 || layerIndex >= layers.length) {
    throw new BerthError("invalid-argument", `image ${ref} has ${layers.length} layers, there is no layer ${layerIndex}`);
  }
  const view = new LayeredView();
  for (let i = 0; i <= layerIndex; i++) view.applyLayer(await layerTar(engine, layers[i]!.digest));
  const entries: ExploreEntry[] = [];
  for (const e of view.walk()) {
    if (entries.length >= MAX_ENTRIES) return { entries, truncated: true };
    entries.push({ path: "/" + e.path, type: e.type, size: e.size, mode: e.mode, linkname: e.linkname, layer: e.layer });
  }
  return { entries, truncated: false };
}

/**
 * The files of a volume, as last synced (a volume in use is synced first, as
 * `docker volume inspect` does). An empty list for a volume never written.
 */
export async function volumeFiles(engine: Engine, name: string): Promise<{ entries: ExploreEntry[]; truncated: boolean }> {
  await engine.volumes.inspect(name);
  const rec = (await engine.images.refs.getMeta(`volume/${name}`)) as { data?: { digest: string } } | undefined;
  if (!rec?.data) return { entries: [], truncated: false };
  const tar = await engine.images.content.get(rec.data.digest as Digest);
  const entries: ExploreEntry[] = [];
  for (const e of readTar(tar)) {
    const path = e.path.replace(/^\.?\/*/, "").replace(/\/+$/, "");
    if (path === "" || path === ".") continue;
    if (entries.length >= MAX_ENTRIES) return { entries, truncated: true };
    entries.push({ path: "/" + path, type: e.type, size: e.size, mode: e.mode, linkname: e.linkname });
  }
  return { entries, truncated: false };
}

function meminfoBytes(text: string, key: string): number | undefined {
  const m = new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(text);
  return m ? Number(m[1]) * 1024 : undefined;
}

/** The guest's state and memory; never starts the guest. */
export async function guestStats(engine: Engine): Promise<GuestStats> {
  const v = await engine.version();
  if (v.guest.state !== "running") return { state: v.guest.state };
  const { vm } = await engine.guest();
  const r = await vm.exec(["cat", "/proc/meminfo"]);
  return { state: "running", memTotal: meminfoBytes(r.stdout, "MemTotal"), memAvailable: meminfoBytes(r.stdout, "MemAvailable") };
}

/**
 * Deletes everything Berth keeps in this browser: stops the guest, then
 * deletes every IndexedDB database of the origin (images, containers,
 * volumes, build cache, workspace). Open connections close themselves on
 * the version change. The page reloads afterwards.
 */
export async function resetAll(engine: Engine | null, factory: IDBFactory | undefined = globalThis.indexedDB): Promise<string[]> {
  await engine?.shutdown().catch(() => {});
  if (!factory) return [];
  const names = typeof factory.databases === "function" ? (await factory.databases()).map((d) => d.name).filter((n): n is string => !!n) : ["berth", "berth-workspace"];
  await Promise.all(
    names.map(
      (name) =>
        new Promise<void>((resolve, reject) => {
          const req = factory.deleteDatabase(name);
          req.onsuccess = () => resolve();
          req.onerror = () => reject(new BerthError("unavailable", `could not delete the database ${name}: ${req.error?.message ?? "error"}`));
          // Blocked: another tab holds it open; it closes on versionchange, then this succeeds.
        }),
    ),
  );
  return names;
}

/** The worker's `explore` object: each call waits for the engine. */
export function createExploreApi(engine: () => Promise<Engine>) {
  return {
    async imageFilesystem(ref: string, layerIndex: number) {
      return imageFilesystem(await engine(), ref, layerIndex);
    },
    async volumeFiles(name: string) {
      return volumeFiles(await engine(), name);
    },
    async guestStats() {
      return guestStats(await engine());
    },
    /** Resolves once the databases are gone (the engine does not wait for a guest that never started). */
    async resetAll() {
      const e = await Promise.race([engine(), new Promise<null>((r) => setTimeout(() => r(null), 2000))]);
      return resetAll(e);
    },
  };
}

export type ExploreApi = ReturnType<typeof createExploreApi>;
