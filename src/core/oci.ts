// OCI image types (image-spec v1.1) and their Docker schema 2 equivalents.
//
// An image is a manifest (config descriptor + ordered layer descriptors) or an
// index of manifests for several platforms. Blobs are named by digest; the
// bytes a digest was computed over are authoritative, so a parsed object is a
// read-only *view* of a blob: re-encoding a manifest or config written by
// another tool does not in general reproduce its digest (keep the bytes).
//
// The parse functions check structure and types and say where the problem is
// ("manifest: layers[2].digest: ..."); they return new objects holding only
// the fields below, with JSON nulls (Go's nil slices and maps) dropped.

import { parseDigest, type Digest } from "./digest.ts";
import { BerthError } from "./errors.ts";
import {
  MediaType,
  isIndexMediaType,
  isManifestMediaType,
  isSchema1MediaType,
} from "./media-types.ts";

export interface Platform {
  readonly architecture: string;
  readonly os: string;
  readonly "os.version"?: string;
  readonly "os.features"?: readonly string[];
  readonly variant?: string;
  readonly features?: readonly string[];
}

export type Annotations = Readonly<Record<string, string>>;

/** Points at a blob: what it is, its digest and its size in bytes. */
export interface Descriptor {
  readonly mediaType: string;
  readonly digest: Digest;
  readonly size: number;
  readonly urls?: readonly string[];
  readonly annotations?: Annotations;
  /** Embedded content, base64. */
  readonly data?: string;
  readonly platform?: Platform;
  readonly artifactType?: string;
}

export interface ImageManifest {
  readonly schemaVersion: 2;
  readonly mediaType?: string;
  readonly artifactType?: string;
  readonly config: Descriptor;
  /** Base layer first. */
  readonly layers: readonly Descriptor[];
  readonly subject?: Descriptor;
  readonly annotations?: Annotations;
}

/** OCI image index or Docker manifest list. */
export interface ImageIndex {
  readonly schemaVersion: 2;
  readonly mediaType?: string;
  readonly artifactType?: string;
  readonly manifests: readonly Descriptor[];
  readonly subject?: Descriptor;
  readonly annotations?: Annotations;
}

/** Durations are in nanoseconds, as in Docker. */
export interface HealthConfig {
  /** ["NONE"], ["CMD", ...args], ["CMD-SHELL", command]; empty means inherit. */
  readonly Test?: readonly string[];
  readonly Interval?: number;
  readonly Timeout?: number;
  readonly StartPeriod?: number;
  readonly StartInterval?: number;
  readonly Retries?: number;
}

/** Set-valued fields (ExposedPorts, Volumes) map each key to an empty object. */
export type EmptyObject = Readonly<Record<string, never>>;

/** The runtime defaults an image gives its containers (Docker's container.Config subset). */
export interface ContainerConfig {
  readonly User?: string;
  /** "80/tcp" → {} */
  readonly ExposedPorts?: Readonly<Record<string, EmptyObject>>;
  /** "KEY=value" */
  readonly Env?: readonly string[];
  readonly Entrypoint?: readonly string[];
  readonly Cmd?: readonly string[];
  readonly Volumes?: Readonly<Record<string, EmptyObject>>;
  readonly WorkingDir?: string;
  readonly Labels?: Readonly<Record<string, string>>;
  readonly StopSignal?: string;
  readonly ArgsEscaped?: boolean;
  readonly Healthcheck?: HealthConfig;
  readonly OnBuild?: readonly string[];
  readonly Shell?: readonly string[];
}

export interface HistoryEntry {
  /** RFC 3339 */
  readonly created?: string;
  readonly created_by?: string;
  readonly author?: string;
  readonly comment?: string;
  /** True when this step made no layer (ENV, CMD, ...). */
  readonly empty_layer?: boolean;
}

export interface RootFS {
  readonly type: "layers";
  /** Digests of the uncompressed layer tars, base layer first. */
  readonly diff_ids: readonly Digest[];
}

/** The image config blob (OCI image config / Docker container image v1). */
export interface ImageConfig {
  readonly created?: string;
  readonly author?: string;
  readonly architecture: string;
  readonly os: string;
  readonly "os.version"?: string;
  readonly "os.features"?: readonly string[];
  readonly variant?: string;
  readonly config?: ContainerConfig;
  readonly rootfs: RootFS;
  readonly history?: readonly HistoryEntry[];
}

export type ManifestOrIndex =
  | { readonly kind: "manifest"; readonly manifest: ImageManifest }
  | { readonly kind: "index"; readonly index: ImageIndex };

// ---------------------------------------------------------------------------
// Parsing

const decoder = new TextDecoder("utf-8", { fatal: true });

/** Parses JSON from bytes or a string; errors are invalid-argument and name `what`. */
export function parseJson(data: Uint8Array | string, what: string): unknown {
  let text: string;
  try {
    text = typeof data === "string" ? data : decoder.decode(data);
  } catch (err) {
    throw new BerthError("invalid-argument", `${what}: not valid UTF-8`, {}, { cause: err });
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new BerthError("invalid-argument", `${what}: not valid JSON: ${(err as Error).message}`, {}, { cause: err });
  }
}

function fail(path: string, problem: string): never {
  throw new BerthError("invalid-argument", `${path}: ${problem}`, { path });
}

type Json = Record<string, unknown>;

function object(value: unknown, path: string): Json {
  if (typeof value !== "object" || value === null || Array.isArray(value)) fail(path, "expected an object");
  return value as Json;
}

function present(value: unknown): boolean {
  return value !== undefined && value !== null;
}

function string(value: unknown, path: string): string {
  if (typeof value !== "string") fail(path, "expected a string");
  return value;
}

function optString(value: unknown, path: string): string | undefined {
  return present(value) ? string(value, path) : undefined;
}

function optBoolean(value: unknown, path: string): boolean | undefined {
  if (!present(value)) return undefined;
  if (typeof value !== "boolean") fail(path, "expected true or false");
  return value;
}

function optInteger(value: unknown, path: string): number | undefined {
  if (!present(value)) return undefined;
  if (typeof value !== "number" || !Number.isSafeInteger(value)) fail(path, "expected an integer");
  return value;
}

function optStrings(value: unknown, path: string): string[] | undefined {
  if (!present(value)) return undefined;
  if (!Array.isArray(value)) fail(path, "expected an array of strings");
  return value.map((v, i) => string(v, `${path}[${i}]`));
}

function optStringMap(value: unknown, path: string): Record<string, string> | undefined {
  if (!present(value)) return undefined;
  const o = object(value, path);
  const out: Record<string, string> = {};
  for (const key of Object.keys(o)) out[key] = string(o[key], `${path}[${JSON.stringify(key)}]`);
  return out;
}

function optSet(value: unknown, path: string): Record<string, EmptyObject> | undefined {
  if (!present(value)) return undefined;
  const o = object(value, path);
  const out: Record<string, EmptyObject> = {};
  for (const key of Object.keys(o)) {
    // Docker writes {} for each member; tolerate null from older tools.
    if (present(o[key])) object(o[key], `${path}[${JSON.stringify(key)}]`);
    out[key] = {};
  }
  return out;
}

function digestAt(value: unknown, path: string): Digest {
  const s = string(value, path);
  try {
    return parseDigest(s);
  } catch (err) {
    fail(path, (err as Error).message);
  }
}

/** Drops keys whose value is undefined, so objects compare and encode cleanly. */
function compact<T extends object>(o: T): T {
  for (const key of Object.keys(o) as (keyof T)[]) if (o[key] === undefined) delete o[key];
  return o;
}

export function parsePlatform(value: unknown, path = "platform"): Platform {
  const o = object(value, path);
  return compact({
    architecture: string(o.architecture, `${path}.architecture`),
    os: string(o.os, `${path}.os`),
    "os.version": optString(o["os.version"], `${path}.os.version`),
    "os.features": optStrings(o["os.features"], `${path}.os.features`),
    variant: optString(o.variant, `${path}.variant`),
    features: optStrings(o.features, `${path}.features`),
  });
}

export function parseDescriptor(value: unknown, path = "descriptor"): Descriptor {
  const o = object(value, path);
  const size = o.size;
  if (typeof size !== "number" || !Number.isSafeInteger(size) || size < 0) {
    fail(`${path}.size`, "expected a non-negative integer");
  }
  return compact({
    mediaType: string(o.mediaType, `${path}.mediaType`),
    digest: digestAt(o.digest, `${path}.digest`),
    size,
    urls: optStrings(o.urls, `${path}.urls`),
    annotations: optStringMap(o.annotations, `${path}.annotations`),
    data: optString(o.data, `${path}.data`),
    platform: present(o.platform) ? parsePlatform(o.platform, `${path}.platform`) : undefined,
    artifactType: optString(o.artifactType, `${path}.artifactType`),
  });
}

function descriptors(value: unknown, path: string): Descriptor[] {
  if (!Array.isArray(value)) fail(path, "expected an array of descriptors");
  return value.map((v, i) => parseDescriptor(v, `${path}[${i}]`));
}

function schemaVersion(o: Json, what: string): 2 {
  if (o.schemaVersion === 1) {
    fail(`${what}.schemaVersion`, "Docker image manifest schema 1 is not supported (deprecated since 2017; re-push the image)");
  }
  if (o.schemaVersion !== 2) fail(`${what}.schemaVersion`, "expected 2");
  return 2;
}

/** The media type a document declares, falling back to the one the server sent. */
function declaredType(o: Json, hint: string | undefined, what: string): string | undefined {
  const declared = optString(o.mediaType, `${what}.mediaType`);
  const mediaType = declared ?? hint;
  if (isSchema1MediaType(mediaType) || o.schemaVersion === 1) {
    fail(what, "Docker image manifest schema 1 is not supported (deprecated since 2017; re-push the image)");
  }
  return mediaType;
}

function manifestFrom(o: Json, mediaType: string | undefined, what: string): ImageManifest {
  schemaVersion(o, what);
  if (mediaType !== undefined && !isManifestMediaType(mediaType)) {
    fail(`${what}.mediaType`, `${JSON.stringify(mediaType)} is not an image manifest type`);
  }
  return compact({
    schemaVersion: 2 as const,
    mediaType: optString(o.mediaType, `${what}.mediaType`),
    artifactType: optString(o.artifactType, `${what}.artifactType`),
    config: parseDescriptor(o.config, `${what}.config`),
    layers: present(o.layers) ? descriptors(o.layers, `${what}.layers`) : [],
    subject: present(o.subject) ? parseDescriptor(o.subject, `${what}.subject`) : undefined,
    annotations: optStringMap(o.annotations, `${what}.annotations`),
  });
}

function indexFrom(o: Json, mediaType: string | undefined, what: string): ImageIndex {
  schemaVersion(o, what);
  if (mediaType !== undefined && !isIndexMediaType(mediaType)) {
    fail(`${what}.mediaType`, `${JSON.stringify(mediaType)} is not an image index type`);
  }
  return compact({
    schemaVersion: 2 as const,
    mediaType: optString(o.mediaType, `${what}.mediaType`),
    artifactType: optString(o.artifactType, `${what}.artifactType`),
    manifests: descriptors(o.manifests, `${what}.manifests`),
    subject: present(o.subject) ? parseDescriptor(o.subject, `${what}.subject`) : undefined,
    annotations: optStringMap(o.annotations, `${what}.annotations`),
  });
}

/**
 * Parses an image manifest (OCI or Docker schema 2). `mediaTypeHint` is the
 * type the registry or descriptor gave, used when the document omits its own.
 */
export function parseImageManifest(data: Uint8Array | string, mediaTypeHint?: string): ImageManifest {
  const o = object(parseJson(data, "manifest"), "manifest");
  return manifestFrom(o, declaredType(o, mediaTypeHint, "manifest"), "manifest");
}

/** Parses an OCI image index or Docker manifest list. */
export function parseImageIndex(data: Uint8Array | string, mediaTypeHint?: string): ImageIndex {
  const o = object(parseJson(data, "index"), "index");
  return indexFrom(o, declaredType(o, mediaTypeHint, "index"), "index");
}

/**
 * Parses what a registry returns for a tag: a manifest or an index. Decided by
 * the declared media type, else the hint, else the shape ("manifests" vs "config").
 */
export function parseManifestOrIndex(data: Uint8Array | string, mediaTypeHint?: string): ManifestOrIndex {
  const o = object(parseJson(data, "manifest"), "manifest");
  const mediaType = declaredType(o, mediaTypeHint, "manifest");
  if (isIndexMediaType(mediaType)) return { kind: "index", index: indexFrom(o, mediaType, "index") };
  if (isManifestMediaType(mediaType)) return { kind: "manifest", manifest: manifestFrom(o, mediaType, "manifest") };
  if (mediaType === undefined) {
    if (Array.isArray(o.manifests)) return { kind: "index", index: indexFrom(o, undefined, "index") };
    if (present(o.config)) return { kind: "manifest", manifest: manifestFrom(o, undefined, "manifest") };
    fail("manifest", "neither an image manifest nor an index (no mediaType, config or manifests)");
  }
  fail("manifest.mediaType", `unsupported media type ${JSON.stringify(mediaType)}`);
}

function healthConfig(value: unknown, path: string): HealthConfig | undefined {
  if (!present(value)) return undefined;
  const o = object(value, path);
  return compact({
    Test: optStrings(o.Test, `${path}.Test`),
    Interval: optInteger(o.Interval, `${path}.Interval`),
    Timeout: optInteger(o.Timeout, `${path}.Timeout`),
    StartPeriod: optInteger(o.StartPeriod, `${path}.StartPeriod`),
    StartInterval: optInteger(o.StartInterval, `${path}.StartInterval`),
    Retries: optInteger(o.Retries, `${path}.Retries`),
  });
}

function containerConfig(value: unknown, path: string): ContainerConfig | undefined {
  if (!present(value)) return undefined;
  const o = object(value, path);
  return compact({
    User: optString(o.User, `${path}.User`),
    ExposedPorts: optSet(o.ExposedPorts, `${path}.ExposedPorts`),
    Env: optStrings(o.Env, `${path}.Env`),
    Entrypoint: optStrings(o.Entrypoint, `${path}.Entrypoint`),
    Cmd: optStrings(o.Cmd, `${path}.Cmd`),
    Volumes: optSet(o.Volumes, `${path}.Volumes`),
    WorkingDir: optString(o.WorkingDir, `${path}.WorkingDir`),
    Labels: optStringMap(o.Labels, `${path}.Labels`),
    StopSignal: optString(o.StopSignal, `${path}.StopSignal`),
    ArgsEscaped: optBoolean(o.ArgsEscaped, `${path}.ArgsEscaped`),
    Healthcheck: healthConfig(o.Healthcheck, `${path}.Healthcheck`),
    OnBuild: optStrings(o.OnBuild, `${path}.OnBuild`),
    Shell: optStrings(o.Shell, `${path}.Shell`),
  });
}

function historyEntry(value: unknown, path: string): HistoryEntry {
  const o = object(value, path);
  return compact({
    created: optString(o.created, `${path}.created`),
    created_by: optString(o.created_by, `${path}.created_by`),
    author: optString(o.author, `${path}.author`),
    comment: optString(o.comment, `${path}.comment`),
    empty_layer: optBoolean(o.empty_layer, `${path}.empty_layer`),
  });
}

/** Parses an image config blob. */
export function parseImageConfig(data: Uint8Array | string): ImageConfig {
  const o = object(parseJson(data, "image config"), "image config");
  const rootfs = object(o.rootfs, "image config.rootfs");
  if (rootfs.type !== "layers") fail("image config.rootfs.type", 'expected "layers"');
  const diffIdsRaw = rootfs.diff_ids ?? [];
  if (!Array.isArray(diffIdsRaw)) fail("image config.rootfs.diff_ids", "expected an array of digests");
  const diffIds = diffIdsRaw.map((d, i) => digestAt(d, `image config.rootfs.diff_ids[${i}]`));
  let history: HistoryEntry[] | undefined;
  if (present(o.history)) {
    if (!Array.isArray(o.history)) fail("image config.history", "expected an array");
    // Not checked against diff_ids: images in the wild (crane append, some
    // builders) have history that does not line up, and Docker accepts them.
    history = o.history.map((h, i) => historyEntry(h, `image config.history[${i}]`));
  }
  return compact({
    created: optString(o.created, "image config.created"),
    author: optString(o.author, "image config.author"),
    architecture: string(o.architecture, "image config.architecture"),
    os: string(o.os, "image config.os"),
    "os.version": optString(o["os.version"], "image config.os.version"),
    "os.features": optStrings(o["os.features"], "image config.os.features"),
    variant: optString(o.variant, "image config.variant"),
    config: containerConfig(o.config, "image config.config"),
    rootfs: { type: "layers" as const, diff_ids: diffIds },
    history,
  });
}

// ---------------------------------------------------------------------------
// Platforms

const ARCH_ALIASES: Readonly<Record<string, string>> = {
  x86_64: "amd64",
  "x86-64": "amd64",
  aarch64: "arm64",
  i686: "386",
  i386: "386",
};

/** Normalises architecture and variant as containerd does (aarch64 → arm64, arm64 → v8, arm → v7). */
export function normalizePlatform(p: Platform): Platform {
  const architecture = ARCH_ALIASES[p.architecture] ?? p.architecture;
  let variant = p.variant;
  if (architecture === "arm64" && (variant === undefined || variant === "8")) variant = "v8";
  if (architecture === "arm" && variant === undefined) variant = "v7";
  if (architecture === "amd64" && variant === "v1") variant = undefined;
  return compact({ ...p, os: p.os.toLowerCase(), architecture, variant });
}

/** Parses "os/arch[/variant]" as given to --platform. */
export function parsePlatformString(value: string): Platform {
  const parts = value.split("/");
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => p === "")) {
    throw new BerthError("invalid-argument", `invalid platform ${JSON.stringify(value)}: expected os/arch[/variant]`, {
      flag: "--platform",
    });
  }
  return normalizePlatform(compact({ os: parts[0]!, architecture: parts[1]!, variant: parts[2] }));
}

/** "linux/arm64/v8" */
export function formatPlatform(p: Platform): string {
  return [p.os, p.architecture, p.variant].filter((x) => x !== undefined && x !== "").join("/");
}

export function platformMatches(want: Platform, have: Platform): boolean {
  const a = normalizePlatform(want);
  const b = normalizePlatform(have);
  return a.os === b.os && a.architecture === b.architecture && (a.variant === undefined || a.variant === b.variant);
}

/**
 * The descriptor in an index for `platform`, or undefined. Attestation
 * manifests (platform unknown/unknown) never match.
 */
export function selectManifest(index: ImageIndex, platform: Platform): Descriptor | undefined {
  return index.manifests.find(
    (d) =>
      d.platform !== undefined &&
      d.platform.os !== "unknown" &&
      d.annotations?.["vnd.docker.reference.type"] !== "attestation-manifest" &&
      isManifestMediaType(d.mediaType) &&
      platformMatches(platform, d.platform),
  );
}

// ---------------------------------------------------------------------------
// Constructors

/** A descriptor for bytes whose digest is known. */
export function descriptor(mediaType: string, digest: Digest, size: number, extra: Partial<Descriptor> = {}): Descriptor {
  return compact({ ...extra, mediaType, digest, size });
}

/** The OCI manifest we write for a config and layers. */
export function ociManifest(config: Descriptor, layers: readonly Descriptor[], annotations?: Annotations): ImageManifest {
  return compact({ schemaVersion: 2 as const, mediaType: MediaType.OciManifest, config, layers, annotations });
}

/** The OCI index we write for a set of manifests. */
export function ociIndex(manifests: readonly Descriptor[], annotations?: Annotations): ImageIndex {
  return compact({ schemaVersion: 2 as const, mediaType: MediaType.OciIndex, manifests, annotations });
}
