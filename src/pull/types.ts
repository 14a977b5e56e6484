import type { Descriptor } from "../oci/types.ts";
import type { BlobOptions, ResolvedImage, ResolveOptions } from "../registry/types.ts";

/**
 * What the pull pipeline needs of the distribution client: `RegistryClient` of
 * `src/registry/registry-client.ts` satisfies it; tests pass a fake.
 */
export interface PullSource {
  resolveImage(name: string, opts?: ResolveOptions): Promise<ResolvedImage>;
  fetchBlob(image: ResolvedImage, blob: Descriptor, opts?: BlobOptions): AsyncIterable<Uint8Array>;
}

/**
 * One progress event of a pull, per layer: iSulad's `{"id", "current", "total"}` (§2.2) plus
 * what happened. `id` is the last 12 characters of the layer's blob digest.
 */
export interface PullProgress {
  id: string;
  /** Bytes of the blob received so far (`total` when the layer was already stored). */
  current: number;
  /** Size of the blob, from the manifest. */
  total: number;
  /**
   * `exists`: already stored, not fetched; `waiting`: fetched by another pull of this process;
   * `downloading`: bytes arriving; `done`: fetched, verified and unpacked.
   */
  status: "exists" | "waiting" | "downloading" | "done";
}

/** The progress id of a layer: the last 12 characters of its digest (iSulad §1.4). */
export function progressId(digest: string): string {
  return digest.slice(-12);
}

/**
 * Workers a pull may use to unpack: max(2, min(4, layers)); the pool goes past one per CPU only
 * while busy workers wait for their bytes (`layer/worker-pool.ts`). Measured with 4 layers of
 * 4 MiB throttled to 4 MiB/s each, 2 workers took 2.4-2.6 s and 4 took 1.4-1.7 s; from a local
 * registry (CPU-bound) extra workers made the pull slower (`pull/README.md`).
 */
export function unpackWorkers(layers: number): number {
  return Math.max(2, Math.min(4, layers));
}
