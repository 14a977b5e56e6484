import { runLimited } from "../archive/prepare-layers.ts";
import { chainIds, type Digest, digestHex, isDigest } from "../digest/digest.ts";
import { ImageError, imageError } from "../errors.ts";
import { readConfigFacts } from "../image/image-config.ts";
import type { ImageStore } from "../image/image-store.ts";
import type { Lease, NewLayer } from "../image/types.ts";
import { applyLayer } from "../layer/apply-layer.ts";
import type { WhiteoutFormat } from "../layer/types.ts";
import { detectWhiteoutFormat } from "../layer/whiteout.ts";
import type { Descriptor, Platform } from "../oci/types.ts";
import type { Credentials, ResolvedImage } from "../registry/types.ts";
import { type FetchedLayer, type FetchShare, shareFetch } from "./layer-fetches.ts";
import { type PullProgress, type PullSource, progressId } from "./types.ts";

export interface PullImageOptions {
  store: ImageStore;
  source: PullSource;
  /** The reference as the registry client takes it (the user's argument). */
  reference: string;
  /** The normalised name the image gets in the store (`repo:tag` or `repo@sha256:...`). */
  storedName: string;
  platform?: Platform;
  /** Explicit credentials (CRI auth), passed to `resolveImage`; stored ones otherwise. */
  credentials?: Credentials;
  /** `max-concurrent-downloads`: layers fetched at once by this pull. */
  maxConcurrentDownloads: number;
  /** Overrides the whiteout format probed in the store (tests). */
  whiteoutFormat?: WhiteoutFormat;
  signal?: AbortSignal;
  onProgress?: (p: PullProgress) => void;
}

/**
 * Pulls one image into the store (DESIGN §3): resolves it, holds the layers already stored (by
 * chain ID; they are not fetched), fetches the others up to `maxConcurrentDownloads` at once,
 * each in one streaming pass (download, verify digest, decompress, verify diffID, unpack), then
 * commits image, layers and name in one transaction. A layer another pull of this process is
 * fetching is awaited, not fetched twice.
 *
 * Throws `ImageError`: the client's errors as they come, `InvalidArgument` for a config whose
 * diff_ids do not match the manifest or a layer that fails verification, `Unavailable` when
 * cancelled. A failure leaves no image, blob, layer or temp file. Returns the 64-hex image ID.
 * Safe to run concurrently, in this and other processes, on one store.
 */
export async function pullImage(opts: PullImageOptions): Promise<{ id: string }> {
  const resolved = await opts.source.resolveImage(opts.reference, {
    ...(opts.platform ? { platform: opts.platform } : {}),
    ...(opts.credentials ? { credentials: opts.credentials } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  const diffIds = checkDiffIds(resolved);
  const whiteoutFormat = opts.whiteoutFormat ?? (await detectWhiteoutFormat(opts.store.root));
  const chain = chainIds(diffIds).map(digestHex);

  const lease = opts.store.lease();
  const shares: FetchShare[] = [];
  // Stops the other layers of this pull as soon as one fails (their shared fetches carry on
  // while another pull still wants them).
  const stop = new AbortController();
  const signal = opts.signal ? AbortSignal.any([opts.signal, stop.signal]) : stop.signal;
  try {
    const jobs = new Map<string, () => Promise<FetchedLayer>>();
    resolved.layers.forEach((desc, i) => {
      const id = chain[i] as string;
      if (jobs.has(id)) return;
      if (lease.hold(id)) {
        report(opts, desc, desc.size, "exists");
        return;
      }
      const layer = { id, index: i, desc, diffId: diffIds[i] as Digest, whiteoutFormat };
      jobs.set(id, () => {
        const share = fetchShared({ opts, resolved, chain, layer, signal });
        shares.push(share);
        return share.result.catch((err) => {
          stop.abort(err);
          throw err;
        });
      });
    });
    const fetched = await runLimited(jobs, opts.maxConcurrentDownloads, signal);

    signal.throwIfAborted();
    const layers = chain.map((id): NewLayer => {
      // Held again now: another pull may have committed the layer since we looked.
      const record = lease.hold(id);
      if (record) return { record };
      const own = fetched.get(id);
      if (!own) throw imageError("Internal", `layer "${id}" is neither held nor fetched`);
      return own;
    });
    const image = opts.store.commitImage({
      lease,
      layers,
      config: resolved.config,
      manifest: resolved.manifest,
      manifestMediaType: resolved.manifestMediaType,
      names: [opts.storedName],
    });
    return { id: image.id };
  } catch (err) {
    if (opts.signal?.aborted) throw imageError("Unavailable", "the pull was cancelled", err);
    throw err;
  } finally {
    await Promise.all(shares.map((s) => s.release()));
    await lease.release();
  }
}

/** The config's diff_ids, which must be one valid digest per manifest layer. */
function checkDiffIds(resolved: ResolvedImage): Digest[] {
  const diffIds = readConfigFacts(resolved.config).diffIds ?? [];
  if (diffIds.length !== resolved.layers.length) {
    throw imageError(
      "InvalidArgument",
      `the image config lists ${diffIds.length} diff_ids but the manifest has ${resolved.layers.length} layers`,
    );
  }
  for (const d of diffIds) {
    if (!isDigest(d)) throw imageError("InvalidArgument", `invalid diff_id "${d}" in image config`);
  }
  return diffIds as Digest[];
}

interface LayerJob {
  id: string;
  index: number;
  desc: Descriptor;
  diffId: Digest;
  whiteoutFormat: WhiteoutFormat;
}

/** Joins or starts the fetch of one layer; progress of the shared fetch goes to this pull. */
function fetchShared(args: {
  opts: PullImageOptions;
  resolved: ResolvedImage;
  chain: string[];
  layer: LayerJob;
  signal: AbortSignal;
}): FetchShare {
  const { opts, resolved, chain, layer } = args;
  const share = shareFetch({
    storeRoot: opts.store.root,
    chainId: layer.id,
    newLease: () => opts.store.lease(),
    start: (ctx) => fetchLayer({ ...ctx, source: opts.source, resolved, chain, layer }),
    onBytes: (n) => report(opts, layer.desc, n, "downloading"),
    signal: args.signal,
  });
  report(opts, layer.desc, 0, share.joined ? "waiting" : "downloading");
  share.result.then(
    () => report(opts, layer.desc, layer.desc.size, "done"),
    () => undefined,
  );
  return share;
}

/** Fetches one blob and unpacks it in the same pass into temp paths of `lease`. */
async function fetchLayer(args: {
  lease: Lease;
  signal: AbortSignal;
  onBytes: (n: number) => void;
  source: PullSource;
  resolved: ResolvedImage;
  chain: string[];
  layer: LayerJob;
}): Promise<FetchedLayer> {
  const { layer, lease, signal } = args;
  const tempDir = lease.tempPath("layer");
  const tempBlob = lease.tempPath("blob");
  try {
    // applyLayer verifies the blob digest in its worker; the stream need not hash it too.
    const stream = args.source.fetchBlob(args.resolved, layer.desc, {
      signal,
      onBytes: args.onBytes,
      digestCheckedByConsumer: true,
    });
    const applied = await applyLayer({
      source: { kind: "stream", stream },
      target: tempDir,
      blobPath: tempBlob,
      expectedDigest: layer.desc.digest,
      expectedDiffId: layer.diffId,
      whiteoutFormat: layer.whiteoutFormat,
      signal,
    });
    const parent = layer.index > 0 ? args.chain[layer.index - 1] : undefined;
    const record: NewLayer["record"] = {
      id: layer.id,
      ...(parent ? { parent } : {}),
      diffId: applied.diffId,
      digest: applied.digest,
      size: applied.size,
      mediaType: layer.desc.mediaType,
      diffSize: applied.diffSize,
      whiteoutFormat: layer.whiteoutFormat,
    };
    return { record, tempDir, tempBlob };
  } catch (err) {
    const doing = `fetching layer ${layer.desc.digest}`;
    if (err instanceof ImageError)
      throw new ImageError(err.kind, `${doing}: ${err.message}`, { cause: err });
    throw imageError(
      "Internal",
      `${doing}: ${err instanceof Error ? err.message : String(err)}`,
      err,
    );
  }
}

function report(
  opts: PullImageOptions,
  desc: Descriptor,
  current: number,
  status: PullProgress["status"],
): void {
  opts.onProgress?.({ id: progressId(desc.digest), current, total: desc.size, status });
}
