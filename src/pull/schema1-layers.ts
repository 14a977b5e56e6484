import { linkSync } from "node:fs";
import { runLimited } from "../archive/prepare-layers.ts";
import type { Digest } from "../digest/digest.ts";
import { ImageError, imageError } from "../errors.ts";
import type { ImageStore } from "../image/image-store.ts";
import type { Lease } from "../image/types.ts";
import { applyLayer } from "../layer/apply-layer.ts";
import type { AppliedLayer, WhiteoutFormat } from "../layer/types.ts";
import type { Descriptor } from "../oci/types.ts";
import type { ResolvedImage } from "../registry/types.ts";
import { ClaimingLease, fetchBlobClaimed } from "./claimed-fetch.ts";
import type { FetchedLayer } from "./layer-fetches.ts";
import { type PullProgress, type PullSource, progressId, unpackWorkers } from "./types.ts";

/** A schema1 image made whole, and the layers fetched on the way. */
export interface Schema1Layers {
  /** The image with its synthesised config and manifest (diffIDs and sizes measured). */
  resolved: ResolvedImage;
  /**
   * The layer of blob `digest`, unpacked from the fetch of this pull, or undefined when the
   * blob was not fetched here (its diffID came from a stored layer). The first call for a digest
   * takes the unpacked directory; a later one (a blob listed twice) unpacks again from the
   * downloaded blob file, never from the network.
   */
  take(
    digest: Digest,
    recordOf: (applied: AppliedLayer) => FetchedLayer["record"],
    signal: AbortSignal,
  ): Promise<FetchedLayer> | undefined;
  /** Removes what no commit took. */
  release(): Promise<void>;
}

interface Fetched {
  applied: AppliedLayer;
  tempDir?: string;
  tempBlob: string;
}

/**
 * Schema1 manifests give neither diffIDs nor sizes, so its layers are fetched before the image
 * can be completed (`ResolvedImage.schema1`): each distinct blob once, up to `maxConcurrent` at
 * once, downloaded, verified against its digest and unpacked in one pass into temp paths of a
 * lease of its own; a blob that a stored layer already has is not fetched (its diffID and size
 * are that layer's). Errors: the fetch's, wrapped with the blob; the lease is released first.
 *
 * Across processes, each fetch takes the blob's claim (`blob-claim.ts`) as other pulls do: a
 * verified copy that an earlier holder recorded, or the blob stored since, is unpacked from
 * disk instead of downloaded. (Unlike `claimed-fetch.ts`, a holder cannot check for the stored
 * layer itself: its chain ID is known only once every diffID is.)
 */
export async function fetchSchema1Layers(opts: {
  store: ImageStore;
  source: PullSource;
  resolved: ResolvedImage;
  whiteoutFormat: WhiteoutFormat;
  maxConcurrent: number;
  signal?: AbortSignal;
  onProgress?: (p: PullProgress) => void;
}): Promise<Schema1Layers> {
  const completion = opts.resolved.schema1;
  if (!completion) throw imageError("Internal", "not a deferred schema1 image");
  const lease = new ClaimingLease(opts.store.lease(), opts.store);
  try {
    const known = storedBlobs(opts.store);
    // The first failure stops the other fetches.
    const stop = new AbortController();
    const signal = opts.signal ? AbortSignal.any([opts.signal, stop.signal]) : stop.signal;
    const jobs = new Map<string, () => Promise<Fetched>>();
    for (const desc of opts.resolved.layers) {
      if (known.has(desc.digest) || jobs.has(desc.digest)) continue;
      jobs.set(desc.digest, () =>
        claimedBlobLayer({ ...opts, lease, desc, signal }).catch((err) => {
          stop.abort(err);
          throw err;
        }),
      );
    }
    const fetched = await runLimited(jobs, opts.maxConcurrent, signal);
    const measured = opts.resolved.layers.map((d) => {
      const f = fetched.get(d.digest)?.applied ?? known.get(d.digest);
      return { diffId: f?.diffId as Digest, size: f?.size ?? 0 };
    });
    const resolved = { ...opts.resolved, ...completion.complete(measured) };
    delete resolved.schema1;
    return {
      resolved,
      take: (digest, recordOf, signal) => {
        const f = fetched.get(digest);
        if (!f) return undefined;
        return takeLayer(f, lease, recordOf, opts.whiteoutFormat, signal);
      },
      release: () => lease.release(),
    };
  } catch (err) {
    await lease.release();
    throw err;
  }
}

/** Blob digest → diffID and size of the layers stored (any one layer of each blob). */
function storedBlobs(store: ImageStore): Map<string, { diffId: Digest; size: number }> {
  const out = new Map<string, { diffId: Digest; size: number }>();
  for (const l of store.listLayers()) out.set(l.digest, { diffId: l.diffId, size: l.size });
  return out;
}

type FetchArgs = Parameters<typeof fetchBlobLayer>[0] & { store: ImageStore; signal: AbortSignal };

/**
 * `fetchBlobLayer` under the blob's claim (`fetchBlobClaimed`): a local copy recorded by an
 * earlier holder, or the blob stored since, is unpacked instead of downloaded.
 */
function claimedBlobLayer(args: FetchArgs): Promise<Fetched> {
  const { desc, lease } = args;
  return fetchBlobClaimed({
    ...args,
    digest: desc.digest,
    fromCopy: async (copy) => {
      const tempDir = lease.tempPath("layer");
      const applied = await applyLayer({
        source: { kind: "file", path: copy },
        target: tempDir,
        expectedDigest: desc.digest,
        whiteoutFormat: args.whiteoutFormat,
        signal: args.signal,
      });
      return { applied, tempDir, tempBlob: copy };
    },
    download: () => fetchBlobLayer(args),
  });
}

async function fetchBlobLayer(args: {
  source: PullSource;
  resolved: ResolvedImage;
  lease: Lease;
  desc: Descriptor;
  whiteoutFormat: WhiteoutFormat;
  signal?: AbortSignal;
  onProgress?: (p: PullProgress) => void;
}): Promise<Fetched> {
  const { desc } = args;
  const id = progressId(desc.digest);
  const tempDir = args.lease.tempPath("layer");
  const tempBlob = args.lease.tempPath("blob");
  try {
    const stream = args.source.fetchBlob(args.resolved, desc, {
      ...(args.signal && { signal: args.signal }),
      onBytes: (n) => args.onProgress?.({ id, current: n, total: 0, status: "downloading" }),
      digestCheckedByConsumer: true,
      sizeUnknown: true,
    });
    const applied = await applyLayer({
      source: { kind: "stream", stream },
      target: tempDir,
      blobPath: tempBlob,
      expectedDigest: desc.digest,
      whiteoutFormat: args.whiteoutFormat,
      workers: unpackWorkers(args.resolved.layers.length),
      ...(args.signal && { signal: args.signal }),
    });
    return { applied, tempDir, tempBlob };
  } catch (err) {
    const doing = `fetching layer ${desc.digest}`;
    if (err instanceof ImageError)
      throw new ImageError(err.kind, `${doing}: ${err.message}`, { cause: err });
    throw imageError("Internal", `${doing}: ${String(err)}`, err);
  }
}

/** The unpacked directory the first time; a fresh unpack of the blob file after that. */
async function takeLayer(
  f: Fetched,
  lease: Lease,
  recordOf: (applied: AppliedLayer) => FetchedLayer["record"],
  whiteoutFormat: WhiteoutFormat,
  signal: AbortSignal,
): Promise<FetchedLayer> {
  if (f.tempDir !== undefined) {
    const tempDir = f.tempDir;
    delete f.tempDir;
    return { record: recordOf(f.applied), tempDir, tempBlob: f.tempBlob };
  }
  const copy = lease.tempPath("blob");
  linkSync(f.tempBlob, copy);
  const tempDir = lease.tempPath("layer");
  const applied = await applyLayer({
    source: { kind: "file", path: copy },
    target: tempDir,
    expectedDigest: f.applied.digest,
    expectedDiffId: f.applied.diffId,
    whiteoutFormat,
    signal,
  });
  return { record: recordOf(applied), tempDir, tempBlob: copy };
}
