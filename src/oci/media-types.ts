/** Media types of the OCI image spec and Docker's image manifest v2, as the spec spells them. */
export const MediaType = {
  ociManifest: "application/vnd.oci.image.manifest.v1+json",
  ociIndex: "application/vnd.oci.image.index.v1+json",
  ociConfig: "application/vnd.oci.image.config.v1+json",
  ociLayer: "application/vnd.oci.image.layer.v1.tar",
  ociLayerGzip: "application/vnd.oci.image.layer.v1.tar+gzip",
  ociLayerZstd: "application/vnd.oci.image.layer.v1.tar+zstd",
  ociLayerNondistributable: "application/vnd.oci.image.layer.nondistributable.v1.tar",
  ociLayerNondistributableGzip: "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
  dockerManifest: "application/vnd.docker.distribution.manifest.v2+json",
  dockerManifestList: "application/vnd.docker.distribution.manifest.list.v2+json",
  dockerConfig: "application/vnd.docker.container.image.v1+json",
  dockerLayerGzip: "application/vnd.docker.image.rootfs.diff.tar.gzip",
  dockerForeignLayerGzip: "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
  dockerSchema1: "application/vnd.docker.distribution.manifest.v1+json",
  dockerSchema1Signed: "application/vnd.docker.distribution.manifest.v1+prettyjws",
} as const;

/**
 * Layer types a registry is not meant to hold (image-spec "non-distributable", Docker's
 * "foreign"): their manifests carry `urls` to fetch them from.
 */
export function isNondistributableLayer(mediaType: string | undefined): boolean {
  return (
    mediaType === MediaType.dockerForeignLayerGzip ||
    (mediaType?.startsWith("application/vnd.oci.image.layer.nondistributable.") ?? false)
  );
}

/** How a layer blob is compressed, read from its media type or its first bytes. */
export type Compression = "none" | "gzip" | "zstd";

/** The compression a layer media type declares, or undefined for a type that is not a layer. */
export function layerCompression(mediaType: string): Compression | undefined {
  switch (mediaType) {
    case MediaType.ociLayer:
    case MediaType.ociLayerNondistributable:
      return "none";
    case MediaType.ociLayerGzip:
    case MediaType.ociLayerNondistributableGzip:
    case MediaType.dockerLayerGzip:
    case MediaType.dockerForeignLayerGzip:
      return "gzip";
    case MediaType.ociLayerZstd:
      return "zstd";
    default:
      return undefined;
  }
}

/** The OCI layer media type for a compression, used when we write a manifest ourselves. */
export function ociLayerMediaType(c: Compression): string {
  if (c === "gzip") return MediaType.ociLayerGzip;
  if (c === "zstd") return MediaType.ociLayerZstd;
  return MediaType.ociLayer;
}
