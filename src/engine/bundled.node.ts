// Node side of ./bundled.ts: read bundled images from the public/images/ directory.
import { readFile } from "node:fs/promises";
import { join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import type { LayoutReader } from "./images.ts";

/** public/images/ of this checkout. */
export const BUNDLED_IMAGES_DIR = fileURLToPath(new URL("../../public/images/", import.meta.url));

/** Reads files below `dir`; a missing file is null. Paths cannot leave `dir`. */
export function directoryReader(dir: string = BUNDLED_IMAGES_DIR): LayoutReader {
  return async (path) => {
    const clean = normalize(path).replace(/^(\.\.(\/|$))+/, "");
    try {
      return new Uint8Array(await readFile(join(dir, clean)));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw err;
    }
  };
}
