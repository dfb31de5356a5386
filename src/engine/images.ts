// The image store: images as manifests, configs and layers in a ContentStore,
// and names in a RefStore, with Docker's rules for naming and removing them.
//
// Refs (see src/core/content.ts):
// - "docker.io/library/busybox:latest" (normalised full names, tag or
//   "@sha256:" digest) point at an image's manifest descriptor;
// - "@image/sha256:<config hex>" (ID_REF_PREFIX + image ID) points at the
//   manifest of every image the store holds, tagged or not, so that an image
//   whose tag moved to a newer build stays (as "<none>", like Docker's
//   dangling images) until it is removed. "@" cannot start an image name.
// A name may also point at an image index (a multi-platform pull); the
// linux/386 manifest in it is the image.
//
// Blobs are always written before the refs that point at them. Removing an
// image only removes refs: unreferenced blobs are the garbage collector's.
// Error messages follow dockerd's wording; the CLI prefixes them with
// "Error response from daemon: " as docker does.

import { putBlob, type ContentStore, type RefStore } from "../core/content.ts";
import { canonicalBlob, canonicalJsonBytes, Shapes } from "../core/canonical-json.ts";
import { isDigest, parseDigest, shortDigest, type Digest } from "../core/digest.ts";
import type { ImageInspect, ImageLayerInfo, ImageRemoveResult, ImageSummary } from "../core/engine-api.ts";
import { BerthError } from "../core/errors.ts";
import { MediaType, isIndexMediaType, isManifestMediaType } from "../core/media-types.ts";
import {
  ociManifest,
  parseImageConfig,
  parseImageIndex,
  parseImageManifest,
  parseJson,
  selectManifest,
  type Descriptor,
  type HistoryEntry,
  type ImageConfig,
  type ImageManifest,
  type Platform,
} from "../core/oci.ts";
import { sha256 } from "../core/sha256.ts";
import {
  familiarString,
  formatReference,
  parseReference,
  repositoryName,
  withDefaultTag,
  type ImageReference,
} from "../registry/reference.ts";

/** Ref name prefix of the per-image records (followed by the image ID, "sha256:<hex>"). */
export const ID_REF_PREFIX = "@image/";
/** Metadata key prefix for uncompressed layer sizes (followed by the diff ID). */
export const LAYER_SIZE_META_PREFIX = "layer-size/";
/** The only platform this engine runs. */
export const ENGINE_PLATFORM: Platform = { os: "linux", architecture: "386" };

export interface ResolvedImage {
  /** Config digest: Docker's IMAGE ID. */
  readonly id: Digest;
  readonly manifestDigest: Digest;
  readonly manifestDescriptor: Descriptor;
  readonly manifest: ImageManifest;
  readonly config: ImageConfig;
  /** Familiar tags, as docker shows them ("busybox:latest"), sorted. */
  readonly tags: string[];
  /** Familiar digest references ("busybox@sha256:..."), sorted. */
  readonly repoDigests: string[];
  /** The full ref names pointing at this image ("docker.io/library/busybox:latest"), sorted. */
  readonly refs: string[];
}

export interface ImageListEntry extends ImageSummary {
  readonly id: Digest;
  /** Familiar tags (the same as repoTags). */
  readonly tags: string[];
  readonly manifestDigest: Digest;
  /** Sum of the uncompressed layer sizes, when they are known for every layer. */
  readonly unpackedSize?: number;
}

export interface LayerInput {
  /** The compressed blob, already in the content store. */
  readonly descriptor: Descriptor;
  /** sha256 of the uncompressed tar. */
  readonly diffId: Digest;
  /** Length of the uncompressed tar, if known (recorded for `unpackedSize`). */
  readonly uncompressedSize?: number;
}

export interface ImageLayer extends ImageLayerInfo {
  /** The layer blob; absent for a history step that made no layer. */
  readonly descriptor?: Descriptor;
  readonly digest?: Digest;
  readonly diffId?: Digest;
}

export interface ContainerUse {
  readonly id: string;
  readonly running: boolean;
}

export interface ImageStoreOptions {
  /** Containers created from an image (for removal conflicts and the `containers` count). */
  readonly containersUsing?: (imageId: Digest) => Promise<readonly ContainerUse[]>;
  /** Called after tags are added or removed and images deleted (for `docker events`). */
  readonly onEvent?: (event: { action: "tag" | "untag" | "delete"; id: Digest; name?: string }) => void;
}

/** Reads a file of an OCI image layout by its path inside the layout ("index.json", "blobs/sha256/<hex>"); null if absent. */
export type LayoutReader = (path: string) => Promise<Uint8Array | null>;

interface Loaded {
  readonly manifestDescriptor: Descriptor;
  readonly manifest: ImageManifest;
  readonly configDescriptor: Descriptor;
  readonly config: ImageConfig;
}

interface ImageGroup {
  id: Digest;
  /** The manifest the ID ref (or else the first name) points at. */
  loaded: Loaded;
  hasIdRef: boolean;
  /** Full names, sorted. */
  names: string[];
}

function noSuchImage(what: string): BerthError {
  return new BerthError("not-found", `No such image: ${what}`, { image: what });
}

function familiar(name: string): string {
  return familiarString(parseReference(name));
}

function idRef(id: Digest): string {
  return ID_REF_PREFIX + id;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

const SHORT_ID = /^(?:sha256:)?([0-9a-f]{1,64})$/;

export class ImageStore {
  /** Parsed manifests and configs by manifest digest (blobs never change). */
  private readonly cache = new Map<Digest, Promise<Loaded>>();

  constructor(
    readonly content: ContentStore,
    readonly refs: RefStore,
    private readonly options: ImageStoreOptions = {},
  ) {}

  // -------------------------------------------------------------------------
  // Writing

  /**
   * Stores an image built from layers already in the content store: writes
   * the config blob, then the OCI manifest blob, then the refs (the image's
   * ID ref and its tags).
   */
  async writeImage(image: {
    config: ImageConfig;
    layers: readonly LayerInput[];
    tags?: readonly string[];
  }): Promise<ResolvedImage> {
    const { config, layers } = image;
    const diffIds = config.rootfs?.diff_ids ?? [];
    if (diffIds.length !== layers.length || diffIds.some((d, i) => d !== layers[i]!.diffId)) {
      throw new BerthError(
        "invalid-argument",
        `image config rootfs.diff_ids (${diffIds.length}) do not match the layers given (${layers.length})`,
      );
    }
    for (const layer of layers) {
      await this.requireBlob(layer.descriptor, "layer");
      if (layer.uncompressedSize !== undefined) {
        await this.refs.setMeta(LAYER_SIZE_META_PREFIX + layer.diffId, layer.uncompressedSize);
      }
    }
    const configBytes = canonicalJsonBytes(config, Shapes.imageConfig);
    parseImageConfig(configBytes); // the same checks a reader will make
    const configDescriptor: Descriptor = { mediaType: MediaType.OciConfig, digest: await sha256(configBytes), size: configBytes.length };
    await this.putIfMissing(configDescriptor, configBytes);
    const manifest = ociManifest(configDescriptor, layers.map((l) => l.descriptor));
    const { bytes, descriptor } = await canonicalBlob(manifest, Shapes.manifest, MediaType.OciManifest);
    await this.putIfMissing(descriptor, bytes);
    return this.addImage(descriptor, { tags: image.tags });
  }

  /**
   * Registers an image whose manifest, config and layers are already stored
   * (e.g. by a pull): sets its ID ref, then its tags and repo digests (full
   * or familiar names; "busybox" means busybox:latest).
   */
  async addImage(
    manifestDescriptor: Descriptor,
    names: { tags?: readonly string[]; repoDigests?: readonly string[] } = {},
  ): Promise<ResolvedImage> {
    const loaded = await this.load(manifestDescriptor);
    for (const layer of loaded.manifest.layers) await this.requireBlob(layer, "layer");
    const id = loaded.configDescriptor.digest;
    await this.refs.setRef(idRef(id), loaded.manifestDescriptor);
    for (const tag of names.tags ?? []) await this.setName(this.tagName(tag), loaded.manifestDescriptor, id);
    for (const ref of names.repoDigests ?? []) {
      const parsed = parseReference(ref);
      const name = `${repositoryName(parsed)}@${parsed.digest ?? loaded.manifestDescriptor.digest}`;
      await this.setName(name, loaded.manifestDescriptor, id);
    }
    return this.resolve(id);
  }

  /** docker tag: points `target` (a tag, default :latest) at the image `source` resolves to. */
  async tag(source: string, target: string): Promise<void> {
    const image = await this.resolve(source);
    await this.setName(this.tagName(target), image.manifestDescriptor, image.id);
  }

  private tagName(input: string): string {
    const ref = parseReference(input);
    if (ref.digest !== undefined) {
      throw new BerthError("invalid-argument", "refusing to create a tag with a digest reference", { reference: input });
    }
    return formatReference(withDefaultTag(ref));
  }

  /** Points a name at a manifest; an image the name pointed at before keeps its ID ref (it becomes dangling). */
  private async setName(name: string, target: Descriptor, id: Digest): Promise<void> {
    const previous = await this.refs.getRef(name);
    if (previous !== undefined && previous.digest !== target.digest) {
      const old = await this.load(previous).catch(() => undefined);
      if (old !== undefined && old.configDescriptor.digest !== id && (await this.refs.getRef(idRef(old.configDescriptor.digest))) === undefined) {
        await this.refs.setRef(idRef(old.configDescriptor.digest), old.manifestDescriptor);
      }
    }
    await this.refs.setRef(name, target);
    this.options.onEvent?.({ action: "tag", id, name: familiar(name) });
  }

  private async putIfMissing(descriptor: Descriptor, bytes: Uint8Array): Promise<void> {
    if (await this.content.has(descriptor.digest)) return;
    await putBlob(this.content, bytes, { digest: descriptor.digest, size: descriptor.size });
  }

  private async requireBlob(descriptor: Descriptor, what: string): Promise<void> {
    if (!(await this.content.has(descriptor.digest))) {
      throw new BerthError("not-found", `${what} blob ${descriptor.digest} is not in the content store (write blobs before the image)`, {
        digest: descriptor.digest,
      });
    }
    const info = await this.content.info(descriptor.digest);
    if (info.size !== descriptor.size) {
      throw new BerthError("digest-mismatch", `${what} blob ${descriptor.digest}: descriptor says ${descriptor.size} bytes, stored blob has ${info.size}`, {
        digest: descriptor.digest,
      });
    }
  }

  // -------------------------------------------------------------------------
  // Reading

  /** The manifest and config a ref target leads to (an index is narrowed to linux/386). */
  private load(target: Descriptor): Promise<Loaded> {
    let loaded = this.cache.get(target.digest);
    if (loaded === undefined) {
      loaded = this.loadUncached(target);
      this.cache.set(target.digest, loaded);
      loaded.catch(() => this.cache.delete(target.digest));
    }
    return loaded;
  }

  private async loadUncached(target: Descriptor): Promise<Loaded> {
    let descriptor = target;
    let bytes = await this.content.get(descriptor.digest);
    if (isIndexMediaType(descriptor.mediaType)) {
      const index = parseImageIndex(bytes, descriptor.mediaType);
      const chosen = selectManifest(index, ENGINE_PLATFORM);
      if (chosen === undefined) {
        throw new BerthError("not-found", "no matching manifest for linux/386 in the manifest list entries", { digest: target.digest });
      }
      descriptor = chosen;
      bytes = await this.content.get(descriptor.digest);
    } else if (!isManifestMediaType(descriptor.mediaType)) {
      throw new BerthError("invalid-argument", `ref target ${descriptor.digest} is a ${descriptor.mediaType}, not an image manifest`);
    }
    const manifest = parseImageManifest(bytes, descriptor.mediaType);
    const config = parseImageConfig(await this.content.get(manifest.config.digest));
    const manifestDescriptor: Descriptor = { mediaType: manifest.mediaType ?? descriptor.mediaType, digest: descriptor.digest, size: descriptor.size };
    return { manifestDescriptor, manifest, configDescriptor: manifest.config, config };
  }

  /** Every image, grouped by ID, with the names pointing at it. */
  private async groups(): Promise<Map<Digest, ImageGroup>> {
    const groups = new Map<Digest, ImageGroup>();
    const records = await this.refs.listRefs();
    // ID refs first, so that an image's own manifest is the one shown.
    records.sort((a, b) => Number(!a.name.startsWith(ID_REF_PREFIX)) - Number(!b.name.startsWith(ID_REF_PREFIX)));
    for (const record of records) {
      const isId = record.name.startsWith(ID_REF_PREFIX);
      if (!isId && !isImageName(record.name)) continue; // some other component's ref
      let loaded: Loaded;
      try {
        loaded = await this.load(record.target);
      } catch {
        continue; // a ref at something that is not an image of this platform
      }
      const id = loaded.configDescriptor.digest;
      let group = groups.get(id);
      if (group === undefined) {
        group = { id, loaded, hasIdRef: false, names: [] };
        groups.set(id, group);
      }
      if (isId) group.hasIdRef = true;
      else group.names.push(record.name);
    }
    for (const group of groups.values()) group.names.sort(compare);
    return groups;
  }

  private toResolved(group: ImageGroup, loaded: Loaded = group.loaded): ResolvedImage {
    const tags: string[] = [];
    const repoDigests: string[] = [];
    for (const name of group.names) (name.includes("@") ? repoDigests : tags).push(familiar(name));
    return {
      id: group.id,
      manifestDigest: loaded.manifestDescriptor.digest,
      manifestDescriptor: loaded.manifestDescriptor,
      manifest: loaded.manifest,
      config: loaded.config,
      tags: tags.sort(compare),
      repoDigests: repoDigests.sort(compare),
      refs: [...group.names],
    };
  }

  /**
   * Finds an image by name ("busybox", "busybox:1.36", "busybox@sha256:..."),
   * by ID ("sha256:<hex>") or by an unambiguous ID prefix ("6d5f"), as
   * Docker does: a name first, then an ID prefix. Throws not-found
   * ("No such image: foo:latest").
   */
  async resolve(input: string): Promise<ResolvedImage> {
    return (await this.lookup(input)).image;
  }

  /** Like resolve, but undefined when there is no such image. */
  async find(input: string): Promise<ResolvedImage | undefined> {
    try {
      return await this.resolve(input);
    } catch (err) {
      if (err instanceof BerthError && err.kind === "not-found") return undefined;
      throw err;
    }
  }

  /** How `input` names an image: by a ref name (which) or by ID. */
  private async lookup(input: string): Promise<{ image: ResolvedImage; byName?: string }> {
    const groups = await this.groups();
    if (isDigest(input)) {
      const group = groups.get(input);
      if (group === undefined) throw noSuchImage(input);
      return { image: this.toResolved(group) };
    }
    let ref: ImageReference | undefined;
    let parseError: unknown;
    try {
      ref = parseReference(input);
    } catch (err) {
      parseError = err;
    }
    if (ref !== undefined) {
      const name = formatReference(withDefaultTag(ref));
      for (const group of groups.values()) {
        if (group.names.includes(name)) {
          const target = await this.refs.getRef(name);
          return { image: this.toResolved(group, target ? await this.load(target) : undefined), byName: name };
        }
      }
      const target = await this.refs.getRef(name);
      if (target !== undefined) await this.load(target); // throws why the name leads to no image
      if (ref.digest !== undefined) {
        // A pulled image is found by its manifest digest even without a digest ref.
        for (const group of groups.values()) {
          if (group.loaded.manifestDescriptor.digest === ref.digest) return { image: this.toResolved(group) };
        }
      }
    }
    const short = SHORT_ID.exec(input);
    if (short !== null) {
      const matches = [...groups.values()].filter((g) => g.id.startsWith(`sha256:${short[1]}`));
      if (matches.length === 1) return { image: this.toResolved(matches[0]!) };
      if (matches.length > 1) {
        throw new BerthError("invalid-argument", `ambiguous image ID prefix ${JSON.stringify(input)}: it matches ${matches.length} images`, {
          image: input,
        });
      }
    }
    if (ref === undefined) throw parseError;
    throw noSuchImage(familiarString(withDefaultTag(ref)));
  }

  /** docker images: every image (dangling ones with no tags), newest first. */
  async list(): Promise<ImageListEntry[]> {
    const out: ImageListEntry[] = [];
    for (const group of (await this.groups()).values()) {
      const image = this.toResolved(group);
      const size = group.loaded.configDescriptor.size + group.loaded.manifest.layers.reduce((sum, l) => sum + l.size, 0);
      let unpacked: number | undefined = 0;
      for (const diffId of image.config.rootfs.diff_ids) {
        const value = await this.refs.getMeta(LAYER_SIZE_META_PREFIX + diffId);
        if (typeof value !== "number") {
          unpacked = undefined;
          break;
        }
        unpacked += value;
      }
      const containers = this.options.containersUsing ? (await this.options.containersUsing(image.id)).length : -1;
      out.push({
        id: image.id,
        repoTags: image.tags,
        tags: image.tags,
        repoDigests: image.repoDigests,
        created: image.config.created ?? "",
        size,
        containers,
        manifestDigest: image.manifestDigest,
        ...(unpacked === undefined ? {} : { unpackedSize: unpacked }),
      });
    }
    return out.sort((a, b) => compare(b.created, a.created) || compare(a.id, b.id));
  }

  /**
   * The image's history with its layers: one item per history entry, in
   * order (base first); entries marked empty_layer have no layer. Layers
   * beyond the history (images with short or missing history) come last
   * with an empty history entry.
   */
  async layers(image: string | ResolvedImage): Promise<ImageLayer[]> {
    const resolved = typeof image === "string" ? await this.resolve(image) : image;
    const sharing = new Map<Digest, number>();
    for (const group of (await this.groups()).values()) {
      for (const diffId of new Set(group.loaded.config.rootfs.diff_ids)) sharing.set(diffId, (sharing.get(diffId) ?? 0) + 1);
    }
    const layers = resolved.manifest.layers;
    const diffIds = resolved.config.rootfs.diff_ids;
    const out: ImageLayer[] = [];
    let next = 0;
    const layerItem = (history: HistoryEntry): ImageLayer => {
      const descriptor = layers[next]!;
      const diffId = diffIds[next];
      next++;
      return { history, descriptor, digest: descriptor.digest, diffId, size: descriptor.size, sharedBy: diffId ? (sharing.get(diffId) ?? 1) : 1 };
    };
    for (const history of resolved.config.history ?? []) {
      if (history.empty_layer === true || next >= layers.length) out.push({ history, size: 0, sharedBy: 0 });
      else out.push(layerItem(history));
    }
    while (next < layers.length) out.push(layerItem({}));
    return out;
  }

  /** docker image inspect. */
  async inspect(input: string): Promise<ImageInspect & { id: Digest; manifestDigest: Digest }> {
    const image = await this.resolve(input);
    const layers = await this.layers(image);
    const size = image.manifest.config.size + image.manifest.layers.reduce((sum, l) => sum + l.size, 0);
    const containers = this.options.containersUsing ? (await this.options.containersUsing(image.id)).length : -1;
    return {
      id: image.id,
      repoTags: image.tags,
      repoDigests: image.repoDigests,
      created: image.config.created ?? "",
      size,
      containers,
      manifestDigest: image.manifestDigest,
      architecture: image.config.architecture,
      os: image.config.os,
      config: image.config.config,
      rootfs: { type: image.config.rootfs.type, diff_ids: [...image.config.rootfs.diff_ids] },
      history: [...(image.config.history ?? [])],
      layers,
    };
  }

  // -------------------------------------------------------------------------
  // Removing

  /**
   * docker rmi, with dockerd's rules:
   * - by name: the name is untagged; the image is deleted only when that
   *   was its last name and no container uses it (with force, a container's
   *   image is untagged but kept);
   * - by ID: all its names are untagged and it is deleted, but names in
   *   several repositories need force, and a container using it refuses
   *   (a stopped one unless forced, a running one always).
   * Returns what happened, in order: {untagged: "busybox:latest"}, {deleted: "sha256:..."}.
   */
  async remove(input: string, options: { force?: boolean } = {}): Promise<ImageRemoveResult[]> {
    const force = options.force === true;
    const { image, byName } = await this.lookup(input);
    const short = shortDigest(image.id);
    const using = this.options.containersUsing ? await this.options.containersUsing(image.id) : [];
    const results: ImageRemoveResult[] = [];
    const untag = async (name: string) => {
      await this.refs.deleteRef(name);
      results.push({ untagged: familiar(name) });
      this.options.onEvent?.({ action: "untag", id: image.id, name: familiar(name) });
    };
    const deleteImage = async () => {
      if ((await this.refs.getRef(idRef(image.id))) !== undefined) await this.refs.deleteRef(idRef(image.id));
      results.push({ deleted: image.id });
      this.options.onEvent?.({ action: "delete", id: image.id });
    };

    if (byName !== undefined) {
      if (image.refs.length > 1) {
        await untag(byName);
        return results;
      }
      if (using.length > 0 && !force) {
        const repo = familiarName(byName);
        throw new BerthError(
          "conflict",
          `conflict: unable to remove repository reference "${input}" (must force) - container ${using[0]!.id.slice(0, 12)} is using its referenced image ${short}`,
          { image: image.id, repository: repo },
        );
      }
      await untag(byName);
      if (using.length === 0) await deleteImage();
      return results;
    }

    const running = using.find((c) => c.running);
    if (running !== undefined) {
      throw new BerthError(
        "conflict",
        `conflict: unable to delete ${short} (cannot be forced) - image is being used by running container ${running.id.slice(0, 12)}`,
        { image: image.id },
      );
    }
    const repositories = new Set(image.refs.map((name) => repositoryName(parseReference(name))));
    if (repositories.size > 1 && !force) {
      throw new BerthError(
        "conflict",
        `conflict: unable to delete ${short} (must be forced) - image is referenced in multiple repositories`,
        { image: image.id },
      );
    }
    if (using.length > 0 && !force) {
      throw new BerthError(
        "conflict",
        `conflict: unable to delete ${short} (must be forced) - image is being used by stopped container ${using[0]!.id.slice(0, 12)}`,
        { image: image.id },
      );
    }
    for (const name of image.refs) await untag(name);
    await deleteImage();
    return results;
  }

  // -------------------------------------------------------------------------
  // Importing

  /**
   * Imports the images of an OCI image layout (oci-layout, index.json,
   * blobs/sha256/...). Each top-level manifest (an index is narrowed to
   * linux/386) is imported with the name in its "io.containerd.image.name"
   * annotation, or an "org.opencontainers.image.ref.name" that is a full
   * reference, or `options.tag` (which needs a layout with one image).
   * Every blob is checked against its digest as it is stored; blobs before refs.
   */
  async importOciLayout(read: LayoutReader, options: { tag?: string } = {}): Promise<ResolvedImage[]> {
    const layoutBytes = await read("oci-layout");
    if (layoutBytes === null) throw new BerthError("invalid-argument", "not an OCI image layout: no oci-layout file");
    const layout = parseJson(layoutBytes, "oci-layout") as { imageLayoutVersion?: unknown };
    if (typeof layout?.imageLayoutVersion !== "string" || !layout.imageLayoutVersion.startsWith("1.")) {
      throw new BerthError("invalid-argument", `unsupported OCI image layout version ${JSON.stringify(layout?.imageLayoutVersion)}`);
    }
    const indexBytes = await read("index.json");
    if (indexBytes === null) throw new BerthError("invalid-argument", "not an OCI image layout: no index.json");
    const index = parseImageIndex(indexBytes, MediaType.OciIndex);
    if (options.tag !== undefined && index.manifests.length !== 1) {
      throw new BerthError("invalid-argument", `cannot tag ${index.manifests.length} images of a layout as ${options.tag}`);
    }
    const readBlob = async (descriptor: Descriptor): Promise<Uint8Array> => {
      const path = `blobs/sha256/${parseDigest(descriptor.digest).slice("sha256:".length)}`;
      const bytes = await read(path);
      if (bytes === null) throw new BerthError("not-found", `OCI layout: ${path} is missing`, { digest: descriptor.digest });
      return bytes;
    };
    const store = async (descriptor: Descriptor, bytes?: Uint8Array): Promise<void> => {
      if (await this.content.has(descriptor.digest)) return;
      await putBlob(this.content, bytes ?? (await readBlob(descriptor)), { digest: descriptor.digest, size: descriptor.size });
    };
    const imported: ResolvedImage[] = [];
    for (const top of index.manifests) {
      let descriptor = top;
      if (isIndexMediaType(top.mediaType)) {
        const nested = parseImageIndex(await readBlob(top), top.mediaType);
        const chosen = selectManifest(nested, ENGINE_PLATFORM);
        if (chosen === undefined) {
          throw new BerthError("not-found", "no matching manifest for linux/386 in the manifest list entries", { digest: top.digest });
        }
        descriptor = chosen;
      } else if (!isManifestMediaType(top.mediaType)) {
        continue; // an artifact, not an image
      }
      // The manifest is stored after everything it points at.
      const manifestBytes = await readBlob(descriptor);
      const manifest = parseImageManifest(manifestBytes, descriptor.mediaType);
      for (const layer of manifest.layers) await store(layer);
      await store(manifest.config);
      await store(descriptor, manifestBytes);
      const name = options.tag ?? layoutName(top);
      imported.push(
        await this.addImage({ mediaType: descriptor.mediaType, digest: descriptor.digest, size: descriptor.size }, { tags: name ? [name] : [] }),
      );
    }
    return imported;
  }
}

/** The image name a layout's index gives a manifest, if it is a full reference. */
function layoutName(descriptor: Descriptor): string | undefined {
  const annotations = descriptor.annotations ?? {};
  const containerd = annotations["io.containerd.image.name"];
  if (containerd !== undefined) return containerd;
  const refName = annotations["org.opencontainers.image.ref.name"];
  // A bare tag ("latest") names no repository.
  if (refName !== undefined && (refName.includes("/") || refName.includes(":"))) {
    try {
      parseReference(refName);
      return refName;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** True for a normalised image name with a tag or digest, as this store writes them. */
function isImageName(name: string): boolean {
  try {
    const ref = parseReference(name);
    return (ref.tag !== undefined || ref.digest !== undefined) && formatReference(ref) === name;
  } catch {
    return false;
  }
}

function familiarName(name: string): string {
  const ref = parseReference(name);
  return familiarString({ domain: ref.domain, path: ref.path });
}

/** Docker's CLI lines for a removal: "Untagged: busybox:latest", "Deleted: sha256:...". */
export function formatRemoveResults(results: readonly ImageRemoveResult[]): string[] {
  const lines: string[] = [];
  for (const r of results) {
    if (r.untagged !== undefined) lines.push(`Untagged: ${r.untagged}`);
    if (r.deleted !== undefined) lines.push(`Deleted: ${r.deleted}`);
  }
  return lines;
}
