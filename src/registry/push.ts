// Pushing one image from a content store, with dockerd's progress messages.
//
// Layers top first ("Preparing" each), then each one: "Layer already exists"
// when the repository has it (HEAD), "Mounted from <repo>" when a
// cross-repository mount from another repository of the same registry
// worked, else "Pushing" (with progressDetail) and "Pushed". Then the config
// blob, then the manifest under the tag, then "<tag>: digest: sha256:...
// size: N". Layer IDs in push messages are the diff IDs' short form, as
// dockerd shows them.

import type { ContentStore } from "../core/content.ts";
import { shortDigest, type Digest } from "../core/digest.ts";
import type { ProgressMessage } from "../core/engine-api.ts";
import { parseImageConfig, parseImageManifest, type Descriptor } from "../core/oci.ts";
import type { Repository, UploadOutcome } from "./client.ts";

export interface PushImageOptions {
  readonly onProgress?: (message: ProgressMessage) => void;
  /** Other repositories (paths) of the same registry a blob is known to be in. */
  readonly mountSources?: (digest: Digest) => Promise<readonly string[]>;
  /** Layer uploads at once (default 3). */
  readonly concurrency?: number;
}

export interface PushedImage {
  readonly digest: Digest;
  readonly size: number;
  /** What happened to each blob (layers and config). */
  readonly blobs: ReadonlyMap<Digest, UploadOutcome>;
}

export async function pushImage(
  repo: Repository,
  tag: string,
  content: ContentStore,
  manifestDescriptor: Descriptor,
  options: PushImageOptions = {},
): Promise<PushedImage> {
  const say = options.onProgress ?? (() => {});
  const manifestBytes = await content.get(manifestDescriptor.digest);
  const manifest = parseImageManifest(manifestBytes, manifestDescriptor.mediaType);
  const config = parseImageConfig(await content.get(manifest.config.digest));
  const diffIds = config.rootfs.diff_ids;
  const blobs = new Map<Digest, UploadOutcome>();

  const layers = manifest.layers.map((descriptor, i) => ({ descriptor, id: shortDigest(diffIds[i] ?? descriptor.digest) })).reverse();
  const unique = layers.filter((l, i) => layers.findIndex((o) => o.descriptor.digest === l.descriptor.digest) === i);
  for (const l of unique) say({ id: l.id, status: "Preparing" });

  const upload = async (descriptor: Descriptor, id?: string): Promise<UploadOutcome> => {
    if (await repo.blobExists(descriptor.digest)) {
      if (id) say({ id, status: "Layer already exists" });
      return "exists";
    }
    // A blob this registry has in another repository is mounted rather than sent again;
    // if the registry declines, the upload it started instead is used.
    const from = ((await options.mountSources?.(descriptor.digest)) ?? []).find((p) => p !== repo.name.path);
    let last = -1;
    const outcome = await repo.uploadBlob(descriptor, () => content.get(descriptor.digest), {
      skipExistsCheck: true,
      ...(from !== undefined ? { mountFrom: from } : {}),
      onProgress: (current, total) => {
        if (!id || current === last) return;
        last = current;
        say({ id, status: "Pushing", progressDetail: { current, total } });
      },
    });
    if (id) say({ id, status: outcome === "mounted" ? `Mounted from ${from}` : "Pushed" });
    return outcome;
  };

  const limit = Math.max(1, options.concurrency ?? 3);
  let next = 0;
  let failed: unknown;
  const worker = async () => {
    while (next < unique.length && failed === undefined) {
      const layer = unique[next++]!;
      try {
        blobs.set(layer.descriptor.digest, await upload(layer.descriptor, layer.id));
      } catch (err) {
        failed ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, unique.length) }, () => worker()));
  if (failed !== undefined) throw failed;

  blobs.set(manifest.config.digest, await upload(manifest.config));
  const digest = await repo.putManifest(tag, manifestBytes, manifest.mediaType ?? manifestDescriptor.mediaType);
  say({ status: `${tag}: digest: ${digest} size: ${manifestBytes.length}` });
  return { digest, size: manifestBytes.length, blobs };
}
