// Images in and out of the engine: registries (pull, push, login, logout)
// and archives (save, load, import, export), over the ImageStore.
//
// - pull: src/registry/pull.ts into the content store, then the tag (or
//   the repo digest, for a pull by digest) through ImageStore.addImage;
//   dockerd's messages, and its error wording ("manifest for x not found:
//   ...", "pull access denied for x, ...").
// - push: src/registry/push.ts; a blob this registry has in another
//   repository (known from earlier pulls and pushes) is mounted from there.
// - login/logout: credentials per registry in the RefStore's metadata
//   (CREDENTIALS_META_PREFIX + "docker.io"), given only to the registry
//   client; nothing prints or exports them.
// - save: "docker" format is what docker 25+ writes, a docker-archive
//   (manifest.json, repositories) that is also an OCI layout (index.json,
//   oci-layout, blobs/sha256/), with uncompressed layers; "oci" is an OCI
//   layout of the stored blobs as they are (same manifest digest).
// - load: docker-archive (manifest.json) or OCI layout, gzip or not; config
//   bytes are kept, so the image ID is the archive's.
// - import: a filesystem tar as a one-layer image; export: a container's
//   filesystem as a tar.

import { canonicalBlob, Shapes } from "../core/canonical-json.ts";
import { maybeGunzip } from "../core/compress.ts";
import { putBlob, type ContentStore, type RefStore } from "../core/content.ts";
import { digestHex, type Digest } from "../core/digest.ts";
import type { LoadedImage, ProgressMessage, PullResult, PushResult } from "../core/engine-api.ts";
import { BerthError } from "../core/errors.ts";
import { buildLayer, compressLayer } from "../core/layers.ts";
import { MediaType } from "../core/media-types.ts";
import {
  ociIndex,
  ociManifest,
  parseImageConfig,
  parseJson,
  parsePlatformString,
  platformMatches,
  type ContainerConfig,
  type Descriptor,
  type ImageConfig,
} from "../core/oci.ts";
import { sha256 } from "../core/sha256.ts";
import { readTar, writeTar, type TarEntry, type TarEntryInput } from "../core/tar.ts";
import { RegistryClient, type RegistryCredentials, type RegistryProxy } from "../registry/client.ts";
import { displayServerName, normalizeRegistryName } from "../registry/hosts.ts";
import { pullImage } from "../registry/pull.ts";
import { pushImage } from "../registry/push.ts";
import {
  DEFAULT_TAG,
  familiarName,
  familiarString,
  formatReference,
  parseReference,
  repositoryName,
  withDefaultTag,
  type ImageReference,
} from "../registry/reference.ts";
import { ENGINE_PLATFORM, LAYER_SIZE_META_PREFIX, type ImageStore, type ResolvedImage } from "./images.ts";

/** Metadata key prefix of stored registry credentials (followed by the registry, e.g. "docker.io"). */
export const CREDENTIALS_META_PREFIX = "registry-auth/";
/** Metadata key prefix of where a blob is known to be ("<registry>/<path>" list; followed by the digest). */
export const BLOB_SOURCE_META_PREFIX = "blob-source/";

const MAX_SOURCES = 8;

export interface DistributionOptions {
  readonly images: ImageStore;
  readonly fetch?: typeof fetch;
  /** In a page: the dev server's /registry-proxy/ for registries without CORS headers. */
  readonly proxy?: RegistryProxy;
  readonly insecureRegistries?: readonly string[];
  /** PATCH chunk size for uploads (default 8 MiB). */
  readonly chunkSize?: number;
  /** A tar of a container's whole filesystem (engine.containerArchiveGet(id, "/")), for export. */
  readonly containerArchive?: (id: string) => Promise<Uint8Array>;
  /** Image events ("pull", "push", "load", "import", "save"), for docker events. */
  readonly publish?: (action: string, id: string, attributes: Record<string, string>) => void;
  readonly now?: () => Date;
}

type Say = (message: ProgressMessage) => void;

/** An error raised after progress messages went out: docker prints it without "Error response from daemon". */
function inStream(err: unknown): unknown {
  if (err instanceof BerthError) err.details.stream = true;
  return err;
}

export class Distribution {
  readonly client: RegistryClient;
  private readonly images: ImageStore;
  private readonly content: ContentStore;
  private readonly refs: RefStore;

  constructor(private readonly options: DistributionOptions) {
    this.images = options.images;
    this.content = options.images.content;
    this.refs = options.images.refs;
    this.client = new RegistryClient({
      ...(options.fetch ? { fetch: options.fetch } : {}),
      ...(options.proxy ? { proxy: options.proxy } : {}),
      ...(options.insecureRegistries ? { insecureRegistries: options.insecureRegistries } : {}),
      ...(options.chunkSize ? { chunkSize: options.chunkSize } : {}),
      credentials: (registry) => this.credentials(registry),
    });
  }

  // -------------------------------------------------------------------------
  // Credentials

  private async credentials(registry: string): Promise<RegistryCredentials | undefined> {
    const value = await this.refs.getMeta(CREDENTIALS_META_PREFIX + registry);
    if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
    const { username, password } = value as { username?: unknown; password?: unknown };
    return typeof username === "string" && typeof password === "string" ? { username, password } : undefined;
  }

  /** docker login: checks the credentials with the registry, then stores them. */
  async login(opts: { server?: string; username: string; password: string }): Promise<{ status: string; server: string }> {
    const registry = normalizeRegistryName(opts.server);
    if (opts.username === "") throw new BerthError("invalid-argument", "Username is required", { registry });
    if (opts.password === "") throw new BerthError("invalid-argument", "Password is required", { registry });
    await this.client.login(registry, { username: opts.username, password: opts.password });
    await this.refs.setMeta(CREDENTIALS_META_PREFIX + registry, { username: opts.username, password: opts.password });
    return { status: "Login Succeeded", server: displayServerName(registry) };
  }

  /** docker logout: forgets a registry's credentials. */
  async logout(server?: string): Promise<{ server: string; removed: boolean }> {
    const registry = normalizeRegistryName(server);
    const key = CREDENTIALS_META_PREFIX + registry;
    const removed = (await this.refs.getMeta(key)) !== undefined;
    if (removed) await this.refs.deleteMeta(key);
    this.client.forget(registry);
    return { server: displayServerName(registry), removed };
  }

  /** The registries the user is logged in to (names only). */
  async loggedIn(): Promise<string[]> {
    return (await this.refs.listMeta(CREDENTIALS_META_PREFIX)).map((r) => r.key.slice(CREDENTIALS_META_PREFIX.length));
  }

  // -------------------------------------------------------------------------
  // Pull

  /**
   * docker pull. `ref` without tag or digest means :latest (the CLI prints
   * "Using default tag: latest"). With allTags, every tag of the repository.
   */
  async pull(input: string, opts: { platform?: string; allTags?: boolean } = {}, onProgress: Say = () => {}): Promise<PullResult> {
    if (opts.platform !== undefined && opts.platform !== "") {
      const wanted = parsePlatformString(opts.platform);
      if (!platformMatches(wanted, ENGINE_PLATFORM)) {
        throw new BerthError("invalid-argument", `image platform ${opts.platform} is not supported: this engine runs linux/386 only`, {
          flag: "--platform",
        });
      }
    }
    const parsed = parseReference(input);
    let started = false;
    const say: Say = (m) => {
      started = true;
      onProgress(m);
    };
    if (opts.allTags) {
      if (parsed.tag !== undefined || parsed.digest !== undefined) {
        throw new BerthError("invalid-argument", "tag can't be used with --all-tags/-a", { flag: "--all-tags" });
      }
      const tags = await this.withPullErrors(parsed, () => this.client.repository(parsed).listTags());
      try {
        for (const tag of tags) await this.pullOne({ ...parsed, tag }, say);
      } catch (err) {
        throw started ? inStream(err) : err;
      }
      return { name: repositoryName(parsed), digest: "", id: "", upToDate: false };
    }
    try {
      return await this.pullOne(withDefaultTag(parsed), say);
    } catch (err) {
      throw started ? inStream(err) : err;
    }
  }

  private async pullOne(ref: ImageReference, say: Say): Promise<PullResult> {
    const name = formatReference(ref);
    const repo = this.client.repository(ref);
    const reference = ref.digest ?? ref.tag ?? DEFAULT_TAG;
    const before = await this.images.find(name);
    const pulled = await this.withPullErrors(ref, () => pullImage(repo, reference, this.content, { platform: ENGINE_PLATFORM, onProgress: say }));
    const repoDigest = `${repositoryName(ref)}@${pulled.digest}`;
    const image = await this.images.addImage(pulled.manifestDescriptor, {
      tags: ref.digest === undefined ? [name] : [],
      repoDigests: [repoDigest],
    });
    const source = repositoryName(ref);
    for (const digest of [pulled.manifest.config.digest, ...pulled.manifest.layers.map((l) => l.digest)]) await this.addSource(digest, source);
    const upToDate = before !== undefined && before.manifestDigest === image.manifestDigest;
    const shown = familiarString(ref);
    say({ status: upToDate ? `Status: Image is up to date for ${shown}` : `Status: Downloaded newer image for ${shown}` });
    this.options.publish?.("pull", shown, { name: shown });
    return { name, digest: pulled.digest, id: image.id, upToDate };
  }

  /** dockerd's wording for what goes wrong finding an image in a registry. */
  private async withPullErrors<T>(ref: ImageReference, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (!(err instanceof BerthError) || err.details.stream === true) throw err;
      const status = err.details.status;
      const codes = (err.details.codes as string[] | undefined) ?? [];
      if (err.details.method === undefined) throw err; // not a registry answer (network, digest, platform)
      const shown = familiarString(ref);
      if (status === 404 && (codes.includes("MANIFEST_UNKNOWN") || codes.length === 0) && err.details.reference !== undefined) {
        throw new BerthError("not-found", `manifest for ${shown} not found: ${err.message}`, { ...err.details });
      }
      if (status === 401 || status === 403 || codes.includes("NAME_UNKNOWN") || codes.includes("DENIED") || codes.includes("UNAUTHORIZED")) {
        throw new BerthError(
          status === 404 ? "not-found" : "unauthorized",
          `pull access denied for ${familiarName(ref)}, repository does not exist or may require 'docker login': ${err.message}`,
          { ...err.details },
        );
      }
      throw err;
    }
  }

  private async addSource(digest: Digest, source: string): Promise<void> {
    const key = BLOB_SOURCE_META_PREFIX + digest;
    const value = await this.refs.getMeta(key);
    const list = Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
    if (list.includes(source)) return;
    await this.refs.setMeta(key, [source, ...list].slice(0, MAX_SOURCES));
  }

  private async sources(digest: Digest): Promise<string[]> {
    const value = await this.refs.getMeta(BLOB_SOURCE_META_PREFIX + digest);
    return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
  }

  /**
   * The image `ref` names, pulled first if the store lacks it (for `FROM` and
   * `docker run`). Names that are IDs or ID prefixes are never pulled.
   */
  async ensureImage(ref: string, onProgress?: Say): Promise<ResolvedImage> {
    const found = await this.images.find(ref);
    if (found !== undefined) return found;
    let parsed: ImageReference;
    try {
      parsed = parseReference(ref);
    } catch {
      return this.images.resolve(ref); // not a name: the store's own error
    }
    await this.pull(formatReference(withDefaultTag(parsed)), {}, onProgress);
    return this.images.resolve(formatReference(withDefaultTag(parsed)));
  }

  // -------------------------------------------------------------------------
  // Push

  /** docker push: the tag (default :latest), or every tag of the repository. */
  async push(input: string, opts: { allTags?: boolean } = {}, onProgress: Say = () => {}): Promise<PushResult[]> {
    const parsed = parseReference(input);
    if (parsed.digest !== undefined) {
      throw new BerthError("invalid-argument", `cannot push a digest reference (${input}): push a tag`, { reference: input });
    }
    let tags: string[];
    if (opts.allTags) {
      if (parsed.tag !== undefined) throw new BerthError("invalid-argument", "tag can't be used with --all-tags/-a", { flag: "--all-tags" });
      const prefix = `${repositoryName(parsed)}:`;
      tags = (await this.refs.listRefs(prefix))
        .map((r) => r.name.slice(prefix.length))
        .filter((t) => !t.includes("/") && !t.includes("@"));
      if (tags.length === 0) {
        throw new BerthError("not-found", `An image does not exist locally with the tag: ${familiarName(parsed)}`, { reference: input });
      }
    } else {
      tags = [parsed.tag ?? DEFAULT_TAG];
    }
    const images: { tag: string; image: ResolvedImage }[] = [];
    for (const tag of tags) {
      const image = await this.images.find(formatReference({ ...parsed, tag }));
      if (image === undefined) {
        throw new BerthError("not-found", `An image does not exist locally with the tag: ${familiarName(parsed)}`, { reference: input });
      }
      images.push({ tag, image });
    }
    onProgress({ status: `The push refers to repository [${repositoryName(parsed)}]` });
    const repo = this.client.repository(parsed, ["pull", "push"]);
    const here = repositoryName(parsed);
    const results: PushResult[] = [];
    try {
      for (const { tag, image } of images) {
        const pushed = await pushImage(repo, tag, this.content, image.manifestDescriptor, {
          onProgress,
          mountSources: async (digest) =>
            (await this.sources(digest))
              .filter((s) => s.startsWith(`${parsed.domain}/`) && s !== here)
              .map((s) => s.slice(parsed.domain.length + 1)),
        });
        for (const digest of pushed.blobs.keys()) await this.addSource(digest, here);
        await this.images.addImage(image.manifestDescriptor, { repoDigests: [`${here}@${pushed.digest}`] });
        results.push({ tag, digest: pushed.digest, size: pushed.size });
        this.options.publish?.("push", familiarString({ ...parsed, tag }), { name: familiarString({ ...parsed, tag }) });
      }
    } catch (err) {
      throw inStream(err);
    }
    return results;
  }

  // -------------------------------------------------------------------------
  // Save and load

  /** docker save: one tar of the named images (see the file comment for the formats). */
  async save(refs: readonly string[], opts: { format?: "docker" | "oci" } = {}): Promise<Uint8Array> {
    const format = opts.format ?? "docker";
    if (format !== "docker" && format !== "oci") {
      throw new BerthError("invalid-argument", `unknown archive format ${JSON.stringify(format)}: "docker" or "oci"`, { flag: "--format" });
    }
    if (refs.length === 0) throw new BerthError("invalid-argument", "no images to save");
    // Images in the order named, each with the tags it was named by.
    const chosen = new Map<Digest, { image: ResolvedImage; names: string[] }>();
    for (const ref of refs) {
      const image = await this.images.resolve(ref);
      const entry = chosen.get(image.id) ?? { image, names: [] };
      chosen.set(image.id, entry);
      const name = nameIn(ref, image);
      if (name !== undefined && !entry.names.includes(name)) entry.names.push(name);
    }
    const files = new Map<string, Uint8Array>();
    const blob = (digest: Digest) => `blobs/sha256/${digestHex(digest)}`;
    const indexEntries: Descriptor[] = [];
    const dockerManifest: { Config: string; RepoTags: string[] | null; Layers: string[] }[] = [];
    const repositories: Record<string, Record<string, string>> = {};
    for (const { image, names } of chosen.values()) {
      let manifestDescriptor: Descriptor;
      if (format === "oci") {
        files.set(blob(image.manifestDigest), await this.content.get(image.manifestDigest));
        files.set(blob(image.id), await this.content.get(image.id));
        for (const layer of image.manifest.layers) {
          if (!files.has(blob(layer.digest))) files.set(blob(layer.digest), await this.content.get(layer.digest));
        }
        manifestDescriptor = { mediaType: image.manifestDescriptor.mediaType, digest: image.manifestDigest, size: image.manifestDescriptor.size };
      } else {
        const configBytes = await this.content.get(image.id);
        files.set(blob(image.id), configBytes);
        const layerDescriptors: Descriptor[] = [];
        const layerPaths: string[] = [];
        const diffIds = image.config.rootfs.diff_ids;
        for (let i = 0; i < image.manifest.layers.length; i++) {
          const diffId = diffIds[i]!;
          const path = blob(diffId);
          if (!files.has(path)) {
            const tar = await maybeGunzip(await this.content.get(image.manifest.layers[i]!.digest), `layer ${image.manifest.layers[i]!.digest}`);
            if ((await sha256(tar)) !== diffId) {
              throw new BerthError("digest-mismatch", `layer ${i} of ${image.id}: its tar does not hash to the diff ID ${diffId}`, { digest: diffId });
            }
            files.set(path, tar);
          }
          layerPaths.push(path);
          layerDescriptors.push({ mediaType: MediaType.OciLayer, digest: diffId, size: files.get(path)!.length });
        }
        const { bytes, descriptor } = await canonicalBlob(
          ociManifest({ mediaType: MediaType.OciConfig, digest: image.id, size: configBytes.length }, layerDescriptors),
          Shapes.manifest,
          MediaType.OciManifest,
        );
        files.set(blob(descriptor.digest), bytes);
        manifestDescriptor = descriptor;
        dockerManifest.push({ Config: blob(image.id), RepoTags: names.length > 0 ? names.map(shortName) : null, Layers: layerPaths });
        for (const name of names) {
          const ref = parseReference(name);
          (repositories[familiarName(ref)] ??= {})[ref.tag ?? DEFAULT_TAG] = diffIds.length > 0 ? digestHex(diffIds[diffIds.length - 1]!) : digestHex(image.id);
        }
      }
      if (names.length === 0) indexEntries.push(manifestDescriptor);
      for (const name of names) {
        const tag = parseReference(name).tag ?? DEFAULT_TAG;
        indexEntries.push({
          ...manifestDescriptor,
          annotations: { "io.containerd.image.name": name, "org.opencontainers.image.ref.name": tag },
        });
      }
    }
    const entries: TarEntryInput[] = [];
    const text = (path: string, value: unknown) => entries.push({ path, type: "file", data: JSON.stringify(value) });
    entries.push({ path: "blobs", type: "dir" }, { path: "blobs/sha256", type: "dir" });
    for (const [path, data] of [...files.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) entries.push({ path, type: "file", data });
    const index = ociIndex(indexEntries);
    text("index.json", index);
    if (format === "docker") {
      text("manifest.json", dockerManifest);
      text("repositories", repositories);
    }
    text("oci-layout", { imageLayoutVersion: "1.0.0" });
    this.options.publish?.("save", [...chosen.keys()].join(","), {});
    return writeTar(entries);
  }

  /** docker load: a docker-archive (manifest.json) or an OCI layout; gzip or not. */
  async load(archive: Uint8Array): Promise<LoadedImage[]> {
    const tar = await maybeGunzip(archive, "the archive");
    const files = new Map<string, Uint8Array>();
    for (const entry of readTar(tar)) {
      if (entry.type === "file") files.set(entry.path, entry.data);
      else if (entry.type === "hardlink" && files.has(entry.linkname)) files.set(entry.path, files.get(entry.linkname)!);
    }
    let loaded: LoadedImage[];
    if (files.has("manifest.json")) loaded = await this.loadDockerArchive(files);
    else if (files.has("oci-layout")) {
      const images = await this.images.importOciLayout(async (path) => files.get(path) ?? null);
      loaded = images.map((i) => ({ id: i.id, tags: i.tags }));
    } else {
      throw new BerthError("invalid-argument", "invalid archive: it has neither manifest.json (docker save) nor oci-layout (an OCI image layout)");
    }
    for (const image of loaded) this.options.publish?.("load", image.id, image.tags[0] ? { name: image.tags[0] } : {});
    return loaded;
  }

  private async loadDockerArchive(files: Map<string, Uint8Array>): Promise<LoadedImage[]> {
    const entries = parseJson(files.get("manifest.json")!, "manifest.json");
    if (!Array.isArray(entries)) throw new BerthError("invalid-argument", "manifest.json: expected an array of images");
    const read = (path: unknown, what: string): Uint8Array => {
      if (typeof path !== "string") throw new BerthError("invalid-argument", `manifest.json: ${what} is not a path`);
      const clean = path.replace(/^(\.\/)+/, "").replace(/^\/+/, "");
      const data = files.get(clean);
      if (data === undefined) throw new BerthError("invalid-argument", `invalid archive: ${what} ${path} is not in it`);
      return data;
    };
    const out: LoadedImage[] = [];
    for (const [i, entry] of entries.entries()) {
      const e = (entry ?? {}) as { Config?: unknown; RepoTags?: unknown; Layers?: unknown };
      const configBytes = read(e.Config, `manifest.json[${i}].Config`);
      const config = parseImageConfig(configBytes);
      const layerPaths = Array.isArray(e.Layers) ? e.Layers : [];
      if (layerPaths.length !== config.rootfs.diff_ids.length) {
        throw new BerthError(
          "invalid-argument",
          `invalid archive: image ${i} lists ${layerPaths.length} layers but its config has ${config.rootfs.diff_ids.length} diff IDs`,
        );
      }
      const layers: Descriptor[] = [];
      for (const [n, path] of layerPaths.entries()) {
        const data = read(path, `layer ${n}`);
        const tar = await maybeGunzip(data, `layer ${path}`);
        const diffId = await sha256(tar);
        const expected = config.rootfs.diff_ids[n]!;
        if (diffId !== expected) {
          throw new BerthError("digest-mismatch", `invalid diffID for layer ${n}: calculated ${diffId}, expected ${expected}`, { digest: expected });
        }
        const built = data === tar ? await compressLayer(tar) : { gz: data, digest: await sha256(data), size: data.length };
        const descriptor: Descriptor = { mediaType: MediaType.OciLayerGzip, digest: built.digest, size: built.size };
        if (!(await this.content.has(descriptor.digest))) await putBlob(this.content, built.gz, { digest: descriptor.digest, size: descriptor.size });
        await this.refs.setMeta(LAYER_SIZE_META_PREFIX + diffId, tar.length);
        layers.push(descriptor);
      }
      const configDigest = await sha256(configBytes);
      if (!(await this.content.has(configDigest))) await putBlob(this.content, configBytes, { digest: configDigest, size: configBytes.length });
      const { bytes, descriptor } = await canonicalBlob(
        ociManifest({ mediaType: MediaType.OciConfig, digest: configDigest, size: configBytes.length }, layers),
        Shapes.manifest,
        MediaType.OciManifest,
      );
      if (!(await this.content.has(descriptor.digest))) await putBlob(this.content, bytes, { digest: descriptor.digest, size: descriptor.size });
      const tags = Array.isArray(e.RepoTags) ? e.RepoTags.filter((t): t is string => typeof t === "string") : [];
      const image = await this.images.addImage(descriptor, { tags });
      out.push({ id: image.id, tags: tags.map((t) => familiarString(withDefaultTag(parseReference(t)))) });
    }
    return out;
  }

  // -------------------------------------------------------------------------
  // Import and export

  /** docker import: a filesystem tar (gzip allowed) as a one-layer image; returns the image ID. */
  async import(
    archive: Uint8Array,
    opts: { ref?: string; changes?: readonly string[]; message?: string; platform?: string } = {},
  ): Promise<{ id: string }> {
    if (opts.platform !== undefined && opts.platform !== "" && !platformMatches(parsePlatformString(opts.platform), ENGINE_PLATFORM)) {
      throw new BerthError("invalid-argument", `image platform ${opts.platform} is not supported: this engine runs linux/386 only`, {
        flag: "--platform",
      });
    }
    let tag: string | undefined;
    if (opts.ref !== undefined && opts.ref !== "") {
      const ref = parseReference(opts.ref);
      if (ref.digest !== undefined) throw new BerthError("invalid-argument", `refusing to create a tag with a digest reference`);
      tag = formatReference(withDefaultTag(ref));
    }
    const containerConfig = applyChanges({}, opts.changes ?? []);
    const tar = await maybeGunzip(archive, "the archive");
    const byPath = new Map<string, TarEntry>();
    for (const entry of readTar(tar)) if (entry.path !== "") byPath.set(entry.path, entry);
    const layer = await buildLayer(byPath.values());
    await putBlob(this.content, layer.gz, { digest: layer.digest, size: layer.size }).catch(async (err) => {
      if (!(await this.content.has(layer.digest))) throw err;
    });
    const created = (this.options.now?.() ?? new Date()).toISOString();
    const config: ImageConfig = {
      created,
      architecture: ENGINE_PLATFORM.architecture,
      os: ENGINE_PLATFORM.os,
      ...(Object.keys(containerConfig).length > 0 ? { config: containerConfig } : {}),
      rootfs: { type: "layers", diff_ids: [layer.diffId] },
      history: [{ created, comment: opts.message !== undefined && opts.message !== "" ? opts.message : "Imported from -" }],
    };
    const image = await this.images.writeImage({
      config,
      layers: [{ descriptor: layer.descriptor, diffId: layer.diffId, uncompressedSize: layer.tar.length }],
      tags: tag !== undefined ? [tag] : [],
    });
    this.options.publish?.("import", image.id, tag ? { name: familiarString(parseReference(tag)) } : {});
    return { id: image.id };
  }

  /** docker export: the container's filesystem as a tar (paths without "./", no root entry). */
  async export(container: string): Promise<Uint8Array> {
    if (this.options.containerArchive === undefined) {
      throw new BerthError("unavailable", "exporting containers is not wired into this engine");
    }
    const raw = await this.options.containerArchive(container);
    return writeTar(readTar(raw).filter((e) => e.path !== ""));
  }
}

/** The full name `ref` named the image by, if it is a name (not an ID). */
function nameIn(ref: string, image: ResolvedImage): string | undefined {
  let parsed: ImageReference;
  try {
    parsed = parseReference(ref);
  } catch {
    return undefined;
  }
  if (parsed.digest !== undefined) return undefined;
  const name = formatReference(withDefaultTag(parsed));
  return image.refs.includes(name) ? name : undefined;
}

/** "docker.io/library/busybox:latest" → "busybox:latest" (manifest.json's RepoTags are familiar). */
function shortName(name: string): string {
  return familiarString(parseReference(name));
}

// ---------------------------------------------------------------------------
// docker import --change

const CHANGE_INSTRUCTIONS = ["CMD", "ENTRYPOINT", "ENV", "EXPOSE", "LABEL", "ONBUILD", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR"];

function jsonOrShell(rest: string, shell: boolean): string[] {
  const trimmed = rest.trim();
  if (trimmed.startsWith("[")) {
    try {
      const value = JSON.parse(trimmed) as unknown;
      if (Array.isArray(value) && value.every((v) => typeof v === "string")) return value as string[];
    } catch {
      // shell form after all
    }
  }
  return shell ? ["/bin/sh", "-c", trimmed] : trimmed.split(/\s+/).filter(Boolean);
}

/** key=value pairs ("A=1 B='two words'") or the old "KEY value" form. */
function keyValues(rest: string): [string, string][] {
  const trimmed = rest.trim();
  const words: string[] = [];
  let word = "";
  let quote: string | null = null;
  for (let i = 0; i < trimmed.length; i++) {
    const c = trimmed[i]!;
    if (quote !== null) {
      if (c === quote) quote = null;
      else if (c === "\\" && quote === '"' && i + 1 < trimmed.length) word += trimmed[++i];
      else word += c;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === "\\" && i + 1 < trimmed.length) word += trimmed[++i];
    else if (/\s/.test(c)) {
      if (word !== "") words.push(word);
      word = "";
    } else word += c;
  }
  if (word !== "") words.push(word);
  if (words.length > 0 && !words[0]!.includes("=")) {
    const space = trimmed.search(/\s/);
    return [[words[0]!, space < 0 ? "" : trimmed.slice(space).trim()]];
  }
  return words.map((w) => {
    const eq = w.indexOf("=");
    return [w.slice(0, eq), w.slice(eq + 1)];
  });
}

/** Applies `docker import --change` instructions (Dockerfile syntax) to a container config. */
export function applyChanges(base: ContainerConfig, changes: readonly string[]): ContainerConfig {
  const c: { -readonly [K in keyof ContainerConfig]: ContainerConfig[K] } = { ...base };
  for (const change of changes) {
    const match = /^\s*(\S+)\s*([\s\S]*)$/.exec(change);
    if (match === null) continue;
    const instruction = match[1]!.toUpperCase();
    const rest = match[2]!;
    if (!CHANGE_INSTRUCTIONS.includes(instruction)) {
      throw new BerthError("invalid-argument", `${match[1]!.toLowerCase()} is not a valid change command`, { flag: "--change" });
    }
    switch (instruction) {
      case "CMD":
        c.Cmd = jsonOrShell(rest, true);
        break;
      case "ENTRYPOINT":
        c.Entrypoint = jsonOrShell(rest, true);
        break;
      case "ENV": {
        const env = [...(c.Env ?? [])];
        for (const [key, value] of keyValues(rest)) {
          const at = env.findIndex((e) => e.split("=")[0] === key);
          if (at >= 0) env[at] = `${key}=${value}`;
          else env.push(`${key}=${value}`);
        }
        c.Env = env;
        break;
      }
      case "LABEL":
        c.Labels = { ...(c.Labels ?? {}), ...Object.fromEntries(keyValues(rest)) };
        break;
      case "EXPOSE": {
        const ports: Record<string, Record<string, never>> = { ...(c.ExposedPorts ?? {}) };
        for (const p of rest.trim().split(/\s+/).filter(Boolean)) ports[p.includes("/") ? p : `${p}/tcp`] = {};
        c.ExposedPorts = ports;
        break;
      }
      case "VOLUME": {
        const volumes: Record<string, Record<string, never>> = { ...(c.Volumes ?? {}) };
        for (const v of jsonOrShell(rest, false)) volumes[v] = {};
        c.Volumes = volumes;
        break;
      }
      case "ONBUILD":
        c.OnBuild = [...(c.OnBuild ?? []), rest.trim()];
        break;
      case "STOPSIGNAL":
        c.StopSignal = rest.trim();
        break;
      case "USER":
        c.User = rest.trim();
        break;
      case "WORKDIR":
        c.WorkingDir = rest.trim();
        break;
    }
  }
  return c;
}
