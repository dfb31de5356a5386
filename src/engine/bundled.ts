// Images that ship with Berth (public/images/), imported into the image store
// at engine start so that `docker run busybox` works offline and at once.
//
// A bundled image is an OCI image layout in public/images/<dir>/, written by
// wasm/make-busybox-image.ts. The engine reads it through a LayoutReader:
// `fetchReader(base)` in the browser (relative to where public/ is served),
// `directoryReader(dir)` from ./bundled.node.ts in Node.

import type { Digest } from "../core/digest.ts";
import { BerthError } from "../core/errors.ts";
import type { ImageStore, LayoutReader } from "./images.ts";

export interface BundledImage {
  /** Full image name it is imported as. */
  readonly name: string;
  /** Directory of its OCI layout under public/images/. */
  readonly dir: string;
}

export const BUNDLED_IMAGES: readonly BundledImage[] = [{ name: "docker.io/library/busybox:latest", dir: "busybox" }];

export interface BundledImport {
  readonly name: string;
  readonly id: Digest;
  /** False if the name already pointed at an image (nothing was done). */
  readonly imported: boolean;
}

/**
 * Imports each bundled image whose name is not in the store yet (so running
 * it again, or after the user retagged busybox, changes nothing). `read` gets
 * paths relative to public/images/ ("busybox/index.json").
 */
export async function importBundledImages(
  images: ImageStore,
  read: LayoutReader,
  bundled: readonly BundledImage[] = BUNDLED_IMAGES,
): Promise<BundledImport[]> {
  const results: BundledImport[] = [];
  for (const image of bundled) {
    const present = await images.find(image.name);
    if (present !== undefined) {
      results.push({ name: image.name, id: present.id, imported: false });
      continue;
    }
    const [imported] = await images.importOciLayout((path) => read(`${image.dir}/${path}`), { tag: image.name });
    if (imported === undefined) throw new BerthError("asset", `bundled image ${image.dir}: the layout holds no image`);
    results.push({ name: image.name, id: imported.id, imported: true });
  }
  return results;
}

/**
 * Reads files over HTTP relative to `base` (e.g. new URL("images/", location.href)
 * in the page, or the same URL passed to the worker). 404 is "absent"; other
 * failures are asset errors naming the URL.
 */
export function fetchReader(base: string | URL, fetchFn: typeof fetch = (...args) => fetch(...args)): LayoutReader {
  const root = new URL(String(base).endsWith("/") ? String(base) : `${String(base)}/`);
  return async (path) => {
    const url = new URL(path, root);
    let response: Response;
    try {
      response = await fetchFn(url);
    } catch (err) {
      throw new BerthError("asset", `cannot fetch ${url.href}: ${(err as Error).message}`, { file: url.href }, { cause: err });
    }
    if (response.status === 404) return null;
    if (!response.ok) throw new BerthError("asset", `cannot fetch ${url.href}: HTTP ${response.status}`, { file: url.href });
    return new Uint8Array(await response.arrayBuffer());
  };
}
