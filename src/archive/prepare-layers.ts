import { availableParallelism } from "node:os";
import { chainIds, type Digest, digestHex } from "../digest/digest.ts";
import { imageError } from "../errors.ts";
import type { LayerRecord, Lease, NewLayer } from "../image/types.ts";
import type { WhiteoutFormat } from "../layer/types.ts";
import { type Compression, MediaType } from "../oci/media-types.ts";
import { crashPoint } from "../testing/crash-point.ts";
import type { ImagePlan } from "./image-plan.ts";
import type { LayerProvider } from "./layer-provider.ts";

/** Progress of a load, one event per layer of each image. */
export interface LoadProgress {
  /** The layer's diffID. */
  layer: Digest;
  /** `exists`: already stored, not read; `unpacking` then `done`: read from the archive. */
  status: "exists" | "unpacking" | "done";
}

/** The layers of every image of an archive, ready for commit, by chain ID hex. */
export interface PreparedLayers {
  /** Layers stored before this load, pinned by the load's lease. */
  held: Map<string, LayerRecord>;
  /** Layers this load unpacked (temp paths in the load's lease). */
  fresh: Map<string, NewLayer>;
}

/** How many layers a load unpacks at once. */
export const LAYER_PARALLELISM = Math.min(4, availableParallelism());

/** The media type a layer record gets when no manifest in the archive states one. */
export function layerMediaType(c: Compression): string {
  if (c === "gzip") return MediaType.dockerLayerGzip;
  if (c === "zstd") return MediaType.ociLayerZstd;
  return DOCKER_LAYER_TAR;
}

/** Docker's type for an uncompressed layer (not in the OCI spec's list). */
export const DOCKER_LAYER_TAR = "application/vnd.docker.image.rootfs.diff.tar";

/**
 * Pins every layer already stored (by chain ID; iSulad's reuse rule, so an archive may even lack
 * their files) and unpacks every other one, each chain ID once, up to a few at a time. Checks
 * first that every needed member exists, so a missing layer fails before any work. Throws
 * `InvalidArgument` for a missing member or a mismatching layer; temp paths stay in the lease.
 */
export async function prepareLayers(opts: {
  plans: ImagePlan[];
  provider: LayerProvider;
  lease: Lease;
  whiteoutFormat: WhiteoutFormat;
  signal?: AbortSignal;
  onProgress?: (p: LoadProgress) => void;
}): Promise<PreparedLayers> {
  const held = new Map<string, LayerRecord>();
  const jobs = new Map<string, () => Promise<NewLayer>>();
  for (const plan of opts.plans) {
    const chain = chainIds(plan.diffIds).map(digestHex);
    chain.forEach((id, i) => {
      if (held.has(id) || jobs.has(id)) return;
      const diffId = plan.diffIds[i] as Digest;
      const record = opts.lease.hold(id);
      if (record) {
        held.set(id, record);
        opts.onProgress?.({ layer: diffId, status: "exists" });
        return;
      }
      const name = plan.layers[i] as string;
      if (!opts.provider.has(name)) {
        throw imageError(
          "InvalidArgument",
          `layer "${name}" named by ${plan.from} is missing from the archive`,
        );
      }
      jobs.set(id, async () => {
        opts.onProgress?.({ layer: diffId, status: "unpacking" });
        crashPoint("load.unpack-start");
        const digest = plan.layerDigests?.[i];
        const expect = { diffId, ...(digest ? { digest } : {}) };
        const u = await opts.provider.unpack(name, expect, opts.lease, opts.signal);
        crashPoint("load.unpack-end");
        opts.onProgress?.({ layer: diffId, status: "done" });
        const parent = i > 0 ? chain[i - 1] : undefined;
        const record: NewLayer["record"] = {
          id,
          ...(parent ? { parent } : {}),
          diffId,
          digest: u.applied.digest,
          size: u.applied.size,
          mediaType: manifestLayerType(plan, i) ?? layerMediaType(u.applied.compression),
          diffSize: u.applied.diffSize,
          whiteoutFormat: opts.whiteoutFormat,
        };
        return { record, tempDir: u.tempDir, tempBlob: u.tempBlob };
      });
    });
  }
  const fresh = await runLimited(jobs, LAYER_PARALLELISM, opts.signal);
  return { held, fresh };
}

/** The layer's media type in the archive's own manifest, when it has one. */
function manifestLayerType(plan: ImagePlan, i: number): string | undefined {
  if (!plan.manifest) return undefined;
  try {
    const doc = JSON.parse(plan.manifest.bytes.toString("utf8"));
    const t = doc?.layers?.[i]?.mediaType;
    return typeof t === "string" ? t : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Runs the jobs, at most `limit` at once. On the first failure it starts no more, waits for the
 * running ones to settle (so no unpack still writes into a temp path the caller is about to
 * remove), and rethrows that failure.
 */
export async function runLimited<T>(
  jobs: Map<string, () => Promise<T>>,
  limit: number,
  signal?: AbortSignal,
): Promise<Map<string, T>> {
  const out = new Map<string, T>();
  const queue = [...jobs];
  let failure: { err: unknown } | undefined;
  const worker = async () => {
    for (let next = queue.shift(); next && !failure; next = queue.shift()) {
      try {
        signal?.throwIfAborted();
        out.set(next[0], await next[1]());
      } catch (err) {
        failure ??= { err };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, queue.length)) }, worker));
  if (failure) throw failure.err;
  return out;
}
