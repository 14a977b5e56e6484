import { chainIds, digestHex, sha256Digest } from "../digest/digest.ts";
import { imageError } from "../errors.ts";
import type { ImageStore } from "../image/image-store.ts";
import type { LayerRecord, Lease, NewLayer } from "../image/types.ts";
import {
  type Compression,
  layerCompression,
  MediaType,
  ociLayerMediaType,
} from "../oci/media-types.ts";
import type { ImageManifest } from "../oci/types.ts";
import { crashPoint } from "../testing/crash-point.ts";
import type { ImagePlan } from "./image-plan.ts";
import { DOCKER_LAYER_TAR, type PreparedLayers } from "./prepare-layers.ts";

/**
 * Commits each image with its layers, in archive order, one store transaction per image. A
 * layer first unpacked for one image is committed with it and stays pinned by `loadLease`, in the
 * same transaction, for the images after it. Each image's manifest is the archive's own when it names exactly the stored
 * layer blobs, else a synthesised one (see `synthesiseManifest`). Returns the IDs and names.
 */
export function commitImages(opts: {
  store: ImageStore;
  loadLease: Lease;
  plans: ImagePlan[];
  names: string[][];
  prepared: PreparedLayers;
}): { id: string; names: string[] }[] {
  const { held, fresh } = opts.prepared;
  const committed = new Set<string>();
  return opts.plans.map((plan, n) => {
    const chain = chainIds(plan.diffIds).map(digestHex);
    const layers: NewLayer[] = chain.map((id) => {
      const own = fresh.get(id);
      if (own && !committed.has(id)) return own;
      const record = held.get(id) ?? opts.loadLease.hold(id);
      // Layers this load committed are held by `loadLease` since that commit (keepLease).
      if (!record) throw imageError("Internal", `layer "${id}" is neither held nor unpacked`);
      held.set(id, record);
      return { record };
    });
    const manifest = chooseManifest(
      plan,
      layers.map((l) => l.record),
    );
    const names = opts.names[n] ?? [];
    opts.store.commitImage({
      lease: opts.loadLease,
      keepLease: true,
      layers,
      config: plan.config,
      manifest: manifest.bytes,
      manifestMediaType: manifest.mediaType,
      names,
    });
    crashPoint("load.image-committed");
    for (const id of chain) {
      if (fresh.has(id)) committed.add(id);
    }
    return { id: plan.id, names };
  });
}

/** The archive's manifest if it names exactly these layer blobs, else a synthesised one. */
function chooseManifest(
  plan: ImagePlan,
  records: Pick<LayerRecord, "digest" | "size" | "mediaType">[],
) {
  const own = plan.manifest;
  if (
    own &&
    own.layers.length === records.length &&
    own.layers.every((d, i) => d === records[i]?.digest)
  ) {
    return { bytes: own.bytes, mediaType: own.mediaType };
  }
  return synthesiseManifest(plan.config, records);
}

/**
 * A manifest for an image whose archive has none (docker-archives other than Docker ≥25): a
 * Docker schema2 manifest over the layer blobs as stored, or an OCI manifest when a layer is zstd
 * (Docker's schema has no zstd type). Unlike iSulad, layer digests are the blobs' digests, not the
 * diffIDs, so the manifest is true to the blobs `save` writes.
 */
export function synthesiseManifest(
  config: Buffer,
  records: Pick<LayerRecord, "digest" | "size" | "mediaType">[],
): { bytes: Buffer; mediaType: string } {
  const compressions = records.map((r) => compressionOf(r.mediaType));
  const oci = compressions.includes("zstd");
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: oci ? MediaType.ociManifest : MediaType.dockerManifest,
    config: {
      mediaType: oci ? MediaType.ociConfig : MediaType.dockerConfig,
      size: config.length,
      digest: sha256Digest(config),
    },
    layers: records.map((r, i) => ({
      mediaType: oci
        ? ociLayerMediaType(compressions[i] ?? "none")
        : dockerLayerType(compressions[i]),
      size: r.size,
      digest: r.digest,
    })),
  };
  return {
    bytes: Buffer.from(JSON.stringify(manifest, null, 3)),
    mediaType: manifest.mediaType as string,
  };
}

function compressionOf(mediaType: string): Compression {
  if (mediaType === DOCKER_LAYER_TAR) return "none";
  return layerCompression(mediaType) ?? "gzip";
}

function dockerLayerType(c: Compression | undefined): string {
  return c === "none" ? DOCKER_LAYER_TAR : MediaType.dockerLayerGzip;
}
