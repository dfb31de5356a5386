// Pulling one image into a content store, with dockerd's progress messages.
//
// GET the manifest (or index: the linux/386 entry is chosen, and a clear
// error lists the platforms there are when none fits); then the config; then
// the layers the store does not have ("Already exists" for the others), at
// most three at a time, each streamed into a verified ingest. The manifest
// blob is stored last, after everything it points at, so an interrupted pull
// leaves no manifest with missing blobs. Naming the image is the caller's
// (ImageStore.addImage).

import type { ContentStore } from "../core/content.ts";
import { putBlob } from "../core/content.ts";
import { shortDigest, type Digest } from "../core/digest.ts";
import type { ProgressMessage } from "../core/engine-api.ts";
import { BerthError } from "../core/errors.ts";
import { isManifestMediaType } from "../core/media-types.ts";
import {
  formatPlatform,
  parseImageConfig,
  parseManifestOrIndex,
  selectManifest,
  type Descriptor,
  type ImageConfig,
  type ImageManifest,
  type Platform,
} from "../core/oci.ts";
import type { Repository } from "./client.ts";

export interface PullImageOptions {
  /** The platform to choose from an index (linux/386). */
  readonly platform: Platform;
  readonly onProgress?: (message: ProgressMessage) => void;
  /** Layer downloads at once (dockerd: 3). */
  readonly concurrency?: number;
}

export interface PulledImage {
  /** The digest the reference resolved to (the index's, for a multi-platform image). */
  readonly digest: Digest;
  /** The platform manifest, stored in the content store. */
  readonly manifestDescriptor: Descriptor;
  readonly manifest: ImageManifest;
  readonly config: ImageConfig;
  /** Blobs this pull downloaded (config and layers). */
  readonly downloaded: Digest[];
}

/**
 * Pulls `reference` (a tag or a digest) of `repo` into `content`. Messages:
 * "<tag>: Pulling from <path>", per layer "Pulling fs layer" | "Already
 * exists", "Downloading" (with progressDetail), "Verifying Checksum",
 * "Download complete", "Pull complete", and "Digest: sha256:...".
 */
export async function pullImage(repo: Repository, reference: string, content: ContentStore, options: PullImageOptions): Promise<PulledImage> {
  const say = options.onProgress ?? (() => {});
  const fetched = await repo.getManifest(reference);
  say({ id: reference, status: `Pulling from ${repo.name.path}` });
  let manifestDescriptor: Descriptor = { mediaType: fetched.mediaType, digest: fetched.digest, size: fetched.size };
  let manifestBytes = fetched.bytes;
  let parsed = parseManifestOrIndex(fetched.bytes, fetched.mediaType);
  if (parsed.kind === "index") {
    const index = parsed.index;
    const chosen = selectManifest(index, options.platform);
    if (chosen === undefined) {
      const present = index.manifests
        .filter((d) => d.platform !== undefined && d.platform.os !== "unknown" && isManifestMediaType(d.mediaType))
        .map((d) => formatPlatform(d.platform!));
      const list = present.length > 0 ? [...new Set(present)].join(", ") : "none with a platform";
      throw new BerthError(
        "not-found",
        `no matching manifest for ${formatPlatform(options.platform)} in the manifest list entries (the image is for: ${list})`,
        { registry: repo.registry, platforms: present },
      );
    }
    const platformManifest = await repo.getManifest(chosen.digest);
    manifestDescriptor = { mediaType: chosen.mediaType, digest: chosen.digest, size: chosen.size };
    manifestBytes = platformManifest.bytes;
    parsed = parseManifestOrIndex(manifestBytes, chosen.mediaType);
    if (parsed.kind !== "manifest") {
      throw new BerthError("invalid-argument", `${chosen.digest}: an index inside an index is not an image manifest`, { registry: repo.registry });
    }
  }
  const manifest = parsed.manifest;
  if (manifest.mediaType !== undefined) manifestDescriptor = { ...manifestDescriptor, mediaType: manifest.mediaType };

  const downloaded: Digest[] = [];

  // The config first (small): it is what says the platform and the layers' diff IDs.
  if (!(await content.has(manifest.config.digest))) {
    await repo.downloadBlob(manifest.config, content, { what: "image config" });
    downloaded.push(manifest.config.digest);
  }
  const config = parseImageConfig(await content.get(manifest.config.digest));
  if (config.rootfs.diff_ids.length !== manifest.layers.length) {
    throw new BerthError(
      "invalid-argument",
      `image config lists ${config.rootfs.diff_ids.length} layers (rootfs.diff_ids) but the manifest has ${manifest.layers.length}`,
      { registry: repo.registry, digest: manifestDescriptor.digest },
    );
  }

  // Layers: announce each, then download those missing, a few at a time.
  const layers = manifest.layers;
  const missing: boolean[] = [];
  const seen = new Set<Digest>();
  for (const layer of layers) {
    const id = shortDigest(layer.digest);
    const have = seen.has(layer.digest) || (await content.has(layer.digest));
    missing.push(!have);
    seen.add(layer.digest);
    say({ id, status: have ? "Already exists" : "Pulling fs layer" });
  }
  const queue = layers.filter((_, i) => missing[i]);
  const limit = Math.max(1, options.concurrency ?? 3);
  let next = 0;
  let failed: unknown;
  const worker = async () => {
    while (next < queue.length && failed === undefined) {
      const layer = queue[next++]!;
      const id = shortDigest(layer.digest);
      try {
        let last = -1;
        await repo.downloadBlob(layer, content, {
          what: "filesystem layer",
          onProgress: (current, total) => {
            if (current === last) return;
            last = current;
            say({ id, status: "Downloading", progressDetail: { current, total } });
          },
        });
        say({ id, status: "Verifying Checksum" });
        say({ id, status: "Download complete" });
        downloaded.push(layer.digest);
      } catch (err) {
        failed ??= err;
        throw err;
      }
    }
  };
  const workers = Array.from({ length: Math.min(limit, queue.length) }, () => worker());
  const settled = await Promise.allSettled(workers);
  if (failed !== undefined) throw failed;
  for (const s of settled) if (s.status === "rejected") throw s.reason;
  for (let i = 0; i < layers.length; i++) if (missing[i]) say({ id: shortDigest(layers[i]!.digest), status: "Pull complete" });

  // Only now the manifest: everything it points at is stored.
  if (!(await content.has(manifestDescriptor.digest))) {
    await putBlob(content, manifestBytes, { digest: manifestDescriptor.digest, size: manifestDescriptor.size });
  }
  say({ status: `Digest: ${fetched.digest}` });
  return { digest: fetched.digest, manifestDescriptor, manifest, config, downloaded };
}
