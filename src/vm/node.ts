// Node-only helpers for the guest: assets from a directory, and where v86.wasm is.
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { AssetSource } from "./assets.ts";
import { GuestVM, compileOnce, type StartOptions } from "./guest.ts";

const require = createRequire(import.meta.url);

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const defaultGuestDir = path.join(repoRoot, "public/guest");

export function v86WasmPath(): string {
  return require.resolve("v86/build/v86.wasm");
}

export const nodeWasm = compileOnce(async () => WebAssembly.compile(await readFile(v86WasmPath())));

export class DirAssetSource implements AssetSource {
  constructor(readonly dir: string = defaultGuestDir) {}

  describe(name: string): string {
    return path.join(this.dir, name);
  }

  async load(name: string): Promise<Uint8Array | null> {
    try {
      return new Uint8Array(await readFile(this.describe(name)));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw err;
    }
  }
}

/** Starts the guest in Node from public/guest (or another directory). */
export function startNodeGuest(opts: Partial<StartOptions> & { dir?: string } = {}): Promise<GuestVM> {
  const { dir, ...rest } = opts;
  return GuestVM.start({ source: new DirAssetSource(dir), wasm: nodeWasm, ...rest });
}
