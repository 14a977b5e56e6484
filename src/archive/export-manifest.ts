import type { ImageStore } from "../image/image-store.ts";
import type { ImageRecord, LayerRecord } from "../image/types.ts";
import { MediaType } from "../oci/media-types.ts";
import type { ImageManifest } from "../oci/types.ts";
import { synthesiseManifest } from "./commit-images.ts";

/**
 * The manifest that `save` writes and `push` uploads for a stored image: the stored one, byte
 * for byte (so its digest round-trips), when it is a Docker schema2 or OCI image manifest naming
 * exactly the image's config and its stored layer blobs in order; else a schema2 manifest (OCI
 * when a layer is zstd) built over the stored blobs.
 *
 * The stored manifest names other blobs when the image came from a registry and a layer was
 * already stored from another source with other compression (a docker-archive's plain tar, say):
 * the pull reuses that layer without fetching the registry's blob, so the store never holds the
 * blob the manifest names. Only then does the exported manifest differ; the image ID (the
 * config) is the same either way.
 */
export function exportManifest(
  store: ImageStore,
  record: ImageRecord,
  layers: readonly LayerRecord[],
): { bytes: Buffer; mediaType: string } {
  const stored = store.readBlob(record.digest);
  if (storedManifestFits(stored, record, layers))
    return { bytes: stored, mediaType: record.manifestMediaType };
  return synthesiseManifest(store.readBlob(`sha256:${record.id}`), [...layers]);
}

function storedManifestFits(
  bytes: Buffer,
  record: ImageRecord,
  layers: readonly LayerRecord[],
): boolean {
  const type = record.manifestMediaType;
  if (type !== MediaType.dockerManifest && type !== MediaType.ociManifest) return false;
  let m: ImageManifest;
  try {
    m = JSON.parse(bytes.toString("utf8")) as ImageManifest;
  } catch {
    return false;
  }
  return (
    m.config?.digest === `sha256:${record.id}` &&
    Array.isArray(m.layers) &&
    m.layers.length === layers.length &&
    m.layers.every((l, i) => l.digest === layers[i]?.digest && l.size === layers[i]?.size)
  );
}
