// Guest assets (public/guest/): loading them and checking them against the
// manifest that the guest build writes. A missing or altered file is an
// "asset" error naming the file and the checksum, never a hang.

import { BerthError } from "../core/errors.ts";

export const GUEST_FILES = ["bios.bin", "vgabios.bin", "bzImage", "initrd.cpio", "state.bin.gz"] as const;
export type GuestFile = (typeof GUEST_FILES)[number];

/** How the guest is booted; a saved state only restores into the same setup. */
export interface BootConfig {
  memoryMB: number;
  cmdline: string;
  v86: string;
}

export const BOOT: BootConfig = {
  memoryMB: 256,
  cmdline: "console=ttyS0 quiet mitigations=off tsc=reliable nowatchdog rdinit=/init",
  v86: "0.5.462",
};

export interface GuestManifest {
  boot: BootConfig;
  /**
   * Each file's checksum. For compressed files, `decoded` is the checksum of
   * the decompressed bytes: a static server may send a .gz file with
   * Content-Encoding: gzip, and then fetch hands us the decompressed bytes.
   */
  files: Record<string, { sha256: string; size: number; decoded?: { sha256: string; size: number } }>;
  packages: Record<string, string>;
  built: string;
}

/** Where guest files come from: a directory in Node, a URL in the page. */
export interface AssetSource {
  /** Human-readable location of a file, for error messages. */
  describe(name: string): string;
  /** The file's bytes, or null when it does not exist. */
  load(name: string, onProgress?: (loaded: number, total: number) => void): Promise<Uint8Array | null>;
}

export async function sha256Hex(data: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", data as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

export async function loadManifest(source: AssetSource): Promise<GuestManifest> {
  const raw = await source.load("manifest.json");
  if (!raw) {
    throw new BerthError("asset", `guest asset missing: ${source.describe("manifest.json")} (run npm run guest:build)`, {
      file: source.describe("manifest.json"),
    });
  }
  let manifest: GuestManifest;
  try {
    manifest = JSON.parse(new TextDecoder().decode(raw)) as GuestManifest;
  } catch (err) {
    throw new BerthError("asset", `guest asset broken: ${source.describe("manifest.json")} is not valid JSON`, {
      file: source.describe("manifest.json"),
    }, { cause: err });
  }
  if (!manifest.files || !manifest.boot) {
    throw new BerthError("asset", `guest asset broken: ${source.describe("manifest.json")} has no files or boot section`, {
      file: source.describe("manifest.json"),
    });
  }
  return manifest;
}

/** Loads one guest file and checks its size and sha256 against the manifest. */
export async function loadVerified(
  source: AssetSource,
  manifest: GuestManifest,
  name: GuestFile,
  onProgress?: (loaded: number, total: number) => void,
): Promise<Uint8Array> {
  return checkAsset(source, manifest, name, await source.load(name, onProgress));
}

/**
 * Checks a loaded guest file (null: it was missing) against the manifest, so
 * that a file can be fetched before the manifest is in.
 */
export async function checkAsset(source: AssetSource, manifest: GuestManifest, name: GuestFile, data: Uint8Array | null): Promise<Uint8Array> {
  const where = source.describe(name);
  const expected = manifest.files[name];
  if (!expected) throw new BerthError("asset", `guest manifest lists no ${name}`, { file: where });
  if (!data) throw new BerthError("asset", `guest asset missing: ${where} (run npm run guest:build)`, { file: where });
  const actual = await sha256Hex(data);
  const decoded = expected.decoded;
  if (decoded && data.length === decoded.size && actual === decoded.sha256) return data;
  if (data.length !== expected.size || actual !== expected.sha256) {
    throw new BerthError(
      "asset",
      `guest asset broken: ${where} has sha256 ${actual} (${data.length} bytes), the manifest expects ${expected.sha256} (${expected.size} bytes)`,
      { file: where, expected: expected.sha256, actual },
    );
  }
  return data;
}

/** True when the bytes start with the gzip magic number. */
export function isGzip(data: Uint8Array): boolean {
  return data.length > 2 && data[0] === 0x1f && data[1] === 0x8b;
}

export async function gunzip(data: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([data as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** What a restore (or a cold boot) reads, besides the manifest. */
export function filesFor(mode: "restore" | "cold"): GuestFile[] {
  return mode === "restore" ? ["bios.bin", "vgabios.bin", "state.bin.gz"] : ["bios.bin", "vgabios.bin", "bzImage", "initrd.cpio"];
}

type Progress = (loaded: number, total: number) => void;

/**
 * Fetches guest files over HTTP (the page and its worker). `prefetch` starts
 * fetches early (the worker does so before the emulator's code is loaded);
 * the next `load` of that name takes the fetch over, with its progress.
 */
export class UrlAssetSource implements AssetSource {
  private early = new Map<string, { data: Promise<Uint8Array | null>; listeners: Set<Progress>; last?: [number, number] }>();

  constructor(private readonly base: string) {}

  describe(name: string): string {
    return new URL(name, this.base).href;
  }

  /** Starts fetching these files now; a later `load` of each gets its bytes. */
  prefetch(names: readonly string[]): void {
    for (const name of names) {
      if (this.early.has(name)) continue;
      const entry = { listeners: new Set<Progress>(), last: undefined as [number, number] | undefined, data: null as unknown as Promise<Uint8Array | null> };
      entry.data = this.fetch(name, (loaded, total) => {
        entry.last = [loaded, total];
        for (const fn of entry.listeners) fn(loaded, total);
      });
      // A failure is reported by the load that takes the fetch over.
      entry.data.catch(() => {});
      this.early.set(name, entry);
    }
  }

  async load(name: string, onProgress?: Progress): Promise<Uint8Array | null> {
    const early = this.early.get(name);
    if (!early) return this.fetch(name, onProgress);
    this.early.delete(name);
    if (onProgress) {
      early.listeners.add(onProgress);
      if (early.last) onProgress(...early.last);
    }
    return early.data;
  }

  private async fetch(name: string, onProgress?: Progress): Promise<Uint8Array | null> {
    let res: Response;
    try {
      res = await fetch(this.describe(name), { cache: "no-cache" });
    } catch (err) {
      throw new BerthError("asset", `guest asset unreachable: ${this.describe(name)}: ${String(err)}`, {
        file: this.describe(name),
      });
    }
    if (res.status === 404) return null;
    if (!res.ok) {
      throw new BerthError("asset", `guest asset ${this.describe(name)}: HTTP ${res.status}`, { file: this.describe(name) });
    }
    // A dev server may answer a missing file with the SPA's index.html.
    if (res.headers.get("content-type")?.includes("text/html") && !name.endsWith(".html")) return null;
    // With Content-Encoding the length is the encoded one: the total is then unknown.
    const total = res.headers.get("content-encoding") ? 0 : Number(res.headers.get("content-length") ?? 0);
    if (!res.body || !onProgress) return new Uint8Array(await res.arrayBuffer());
    const reader = res.body.getReader();
    const chunks: Uint8Array[] = [];
    let loaded = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      loaded += value.length;
      onProgress(loaded, total);
    }
    const out = new Uint8Array(loaded);
    let off = 0;
    for (const c of chunks) {
      out.set(c, off);
      off += c.length;
    }
    return out;
  }
}

/** Memoises a module compile: v86.wasm is compiled once per process or worker. */
export function compileOnce(compile: () => Promise<WebAssembly.Module>): () => Promise<WebAssembly.Module> {
  let module: Promise<WebAssembly.Module> | null = null;
  return () => {
    module ??= compile().catch((err) => {
      module = null;
      throw new BerthError("asset", `could not load the emulator (v86.wasm): ${String(err)}`);
    });
    return module;
  };
}
