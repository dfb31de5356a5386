// Media types of OCI images and of their Docker (schema 2) equivalents.
//
// Registries serve both families; we read both and write OCI.

export const MediaType = {
  // OCI image-spec v1.1
  OciManifest: "application/vnd.oci.image.manifest.v1+json",
  OciIndex: "application/vnd.oci.image.index.v1+json",
  OciConfig: "application/vnd.oci.image.config.v1+json",
  OciLayer: "application/vnd.oci.image.layer.v1.tar",
  OciLayerGzip: "application/vnd.oci.image.layer.v1.tar+gzip",
  OciLayerZstd: "application/vnd.oci.image.layer.v1.tar+zstd",
  OciLayerNondistributable: "application/vnd.oci.image.layer.nondistributable.v1.tar",
  OciLayerNondistributableGzip: "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
  OciLayerNondistributableZstd: "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
  OciEmpty: "application/vnd.oci.empty.v1+json",

  // Docker image manifest v2, schema 2
  DockerManifest: "application/vnd.docker.distribution.manifest.v2+json",
  DockerManifestList: "application/vnd.docker.distribution.manifest.list.v2+json",
  DockerConfig: "application/vnd.docker.container.image.v1+json",
  DockerLayerGzip: "application/vnd.docker.image.rootfs.diff.tar.gzip",
  DockerLayerForeignGzip: "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
  DockerLayer: "application/vnd.docker.image.rootfs.diff.tar",

  // Docker schema 1: recognised only to refuse it with a clear message.
  DockerManifestSchema1: "application/vnd.docker.distribution.manifest.v1+json",
  DockerManifestSchema1Signed: "application/vnd.docker.distribution.manifest.v1+prettyjws",
} as const;

export type KnownMediaType = (typeof MediaType)[keyof typeof MediaType];

const MANIFEST_TYPES: ReadonlySet<string> = new Set([MediaType.OciManifest, MediaType.DockerManifest]);
const INDEX_TYPES: ReadonlySet<string> = new Set([MediaType.OciIndex, MediaType.DockerManifestList]);
const CONFIG_TYPES: ReadonlySet<string> = new Set([MediaType.OciConfig, MediaType.DockerConfig]);
const SCHEMA1_TYPES: ReadonlySet<string> = new Set([MediaType.DockerManifestSchema1, MediaType.DockerManifestSchema1Signed]);

export type LayerCompression = "none" | "gzip" | "zstd";

const LAYER_TYPES: ReadonlyMap<string, LayerCompression> = new Map([
  [MediaType.OciLayer, "none"],
  [MediaType.OciLayerGzip, "gzip"],
  [MediaType.OciLayerZstd, "zstd"],
  [MediaType.OciLayerNondistributable, "none"],
  [MediaType.OciLayerNondistributableGzip, "gzip"],
  [MediaType.OciLayerNondistributableZstd, "zstd"],
  [MediaType.DockerLayer, "none"],
  [MediaType.DockerLayerGzip, "gzip"],
  [MediaType.DockerLayerForeignGzip, "gzip"],
]);

/** An image manifest (OCI or Docker schema 2). */
export function isManifestMediaType(mediaType: string | undefined): boolean {
  return mediaType !== undefined && MANIFEST_TYPES.has(mediaType);
}

/** An image index or Docker manifest list. */
export function isIndexMediaType(mediaType: string | undefined): boolean {
  return mediaType !== undefined && INDEX_TYPES.has(mediaType);
}

export function isConfigMediaType(mediaType: string | undefined): boolean {
  return mediaType !== undefined && CONFIG_TYPES.has(mediaType);
}

export function isSchema1MediaType(mediaType: string | undefined): boolean {
  return mediaType !== undefined && SCHEMA1_TYPES.has(mediaType);
}

export function isLayerMediaType(mediaType: string | undefined): boolean {
  return mediaType !== undefined && LAYER_TYPES.has(mediaType);
}

/** How a layer blob of this media type is compressed; undefined if it is not a known layer type. */
export function layerCompression(mediaType: string): LayerCompression | undefined {
  return LAYER_TYPES.get(mediaType);
}

/** The Accept header value for fetching manifests and indexes of both families. */
export const MANIFEST_ACCEPT = [
  MediaType.OciIndex,
  MediaType.OciManifest,
  MediaType.DockerManifestList,
  MediaType.DockerManifest,
].join(", ");
