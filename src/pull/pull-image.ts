import { runLimited } from "../archive/prepare-layers.ts";
import { formatDurationMs } from "../config/duration.ts";
import { chainIds, type Digest, digestHex, isDigest } from "../digest/digest.ts";
import { ImageError, imageError } from "../errors.ts";
import { readConfigFacts } from "../image/image-config.ts";
import type { ImageStore } from "../image/image-store.ts";
import type { Lease, NewLayer } from "../image/types.ts";
import { applyLayer } from "../layer/apply-layer.ts";
import type { AppliedLayer, WhiteoutFormat } from "../layer/types.ts";
import { detectWhiteoutFormat } from "../layer/whiteout.ts";
import type { Descriptor, Platform } from "../oci/types.ts";
import type { Credentials, ResolvedImage } from "../registry/types.ts";
import { crashPoint } from "../testing/crash-point.ts";
import { ClaimingLease, fetchClaimed } from "./claimed-fetch.ts";
import { type FreeSpaceReader, layerSpaceNeeded, reserveDiskSpace } from "./disk-space.ts";
import { type FetchedLayer, type FetchShare, shareFetch } from "./layer-fetches.ts";
import { fetchSchema1Layers, type Schema1Layers } from "./schema1-layers.ts";
import { type PullProgress, type PullSource, progressId, unpackWorkers } from "./types.ts";

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
  /** `pull-timeout`: the pull fails after this many ms; 0 or none means no limit. */
  timeoutMs?: number;
  /** Reads the free bytes of the store's filesystem (tests inject it); default `statfs`. */
  readFreeSpace?: FreeSpaceReader;
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
 * fetching is awaited, not fetched twice; a blob another process is fetching into the same
 * store is awaited too, then reused from its copy or its stored layer (`claimed-fetch.ts`).
 *
 * Before a layer is written, the store's filesystem must have room for it (`reserveDiskSpace`).
 *
 * Throws `ImageError`: the client's errors as they come, `InvalidArgument` for a config whose
 * diff_ids do not match the manifest or a layer that fails verification, `Unavailable` when
 * cancelled or past `timeoutMs`, `ResourceExhausted` when a layer cannot fit on disk. A failure
 * leaves no image, blob, layer or temp file. Returns the 64-hex image ID.
 * Safe to run concurrently, in this and other processes, on one store.
 */
export async function pullImage(opts: PullImageOptions): Promise<{ id: string }> {
  if (!opts.timeoutMs) return pullWithin(opts);
  const deadline = AbortSignal.timeout(opts.timeoutMs);
  const signal = opts.signal ? AbortSignal.any([opts.signal, deadline]) : deadline;
  try {
    return await pullWithin({ ...opts, signal });
  } catch (err) {
    if (!deadline.aborted || opts.signal?.aborted) throw err;
    const after = formatDurationMs(opts.timeoutMs);
    throw imageError("Unavailable", `timed out after ${after} (pull-timeout)`, err);
  }
}

async function pullWithin(opts: PullImageOptions): Promise<{ id: string }> {
  const resolved = await opts.source.resolveImage(opts.reference, {
    ...(opts.platform ? { platform: opts.platform } : {}),
    ...(opts.credentials ? { credentials: opts.credentials } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
    deferSchema1Layers: true,
  });
  crashPoint("pull.resolved");
  const whiteoutFormat = opts.whiteoutFormat ?? (await detectWhiteoutFormat(opts.store.root));
  if (!resolved.schema1) return pullResolved(opts, resolved, whiteoutFormat);

  // Schema1: each blob is fetched (and unpacked) once, before its diffID is known.
  let schema1: Schema1Layers;
  try {
    schema1 = await fetchSchema1Layers({
      ...opts,
      resolved,
      whiteoutFormat,
      maxConcurrent: opts.maxConcurrentDownloads,
    });
  } catch (err) {
    if (opts.signal?.aborted) throw imageError("Unavailable", "the pull was cancelled", err);
    throw err;
  }
  try {
    return await pullResolved(opts, schema1.resolved, whiteoutFormat, schema1);
  } finally {
    await schema1.release();
  }
}

/** Pulls an image whose config is known: layers held, fetched or taken from `schema1`. */
async function pullResolved(
  opts: PullImageOptions,
  resolved: ResolvedImage,
  whiteoutFormat: WhiteoutFormat,
  schema1?: Schema1Layers,
): Promise<{ id: string }> {
  const diffIds = checkDiffIds(resolved);
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
        const taken = schema1?.take(desc.digest, (a) => layerRecord(layer, chain, a), signal);
        if (taken) {
          return taken.then((f) => {
            report(opts, desc, desc.size, "done");
            return f;
          });
        }
        const share = fetchShared({ opts, resolved, chain, layer, signal });
        shares.push(share);
        return share.result.catch((err) => {
          stop.abort(err);
          throw err;
        });
      });
    });
    const fetched = await runLimited(jobs, opts.maxConcurrentDownloads, signal);
    crashPoint("pull.layers-fetched");

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
    crashPoint("pull.committed");
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
    newLease: () => new ClaimingLease(opts.store.lease(), opts.store),
    start: (ctx) =>
      fetchClaimed({
        store: opts.store,
        lease: ctx.lease,
        signal: ctx.signal,
        layer: { ...layer, digest: layer.desc.digest },
        onWait: () => report(opts, layer.desc, 0, "waiting"),
        download: () =>
          fetchLayer({
            ...ctx,
            source: opts.source,
            resolved,
            chain,
            layer,
            storeRoot: opts.store.root,
            ...(opts.readFreeSpace ? { readFreeSpace: opts.readFreeSpace } : {}),
          }),
        recordOf: (applied) => layerRecord(layer, chain, applied),
      }),
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
  storeRoot: string;
  readFreeSpace?: FreeSpaceReader;
}): Promise<FetchedLayer> {
  const { layer, lease, signal } = args;
  const tempDir = lease.tempPath("layer");
  const tempBlob = lease.tempPath("blob");
  crashPoint("pull.layer-fetch-start");
  let unreserve: (() => void) | undefined;
  try {
    const need = layerSpaceNeeded(layer.desc.mediaType, layer.desc.size);
    unreserve = await reserveDiskSpace(args.storeRoot, need, args.readFreeSpace);
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
      workers: unpackWorkers(args.resolved.layers.length),
      signal,
    });
    crashPoint("pull.layer-unpacked");
    return { record: layerRecord(layer, args.chain, applied), tempDir, tempBlob };
  } catch (err) {
    const doing = `fetching layer ${layer.desc.digest}`;
    if (err instanceof ImageError)
      throw new ImageError(err.kind, `${doing}: ${err.message}`, { cause: err });
    throw imageError(
      "Internal",
      `${doing}: ${err instanceof Error ? err.message : String(err)}`,
      err,
    );
  } finally {
    unreserve?.();
  }
}

/** The record of a layer unpacked (and verified) by `applyLayer`. */
function layerRecord(layer: LayerJob, chain: string[], applied: AppliedLayer): NewLayer["record"] {
  const parent = layer.index > 0 ? chain[layer.index - 1] : undefined;
  return {
    id: layer.id,
    ...(parent ? { parent } : {}),
    diffId: applied.diffId,
    digest: applied.digest,
    size: applied.size,
    mediaType: layer.desc.mediaType,
    diffSize: applied.diffSize,
    whiteoutFormat: layer.whiteoutFormat,
  };
}

function report(
  opts: PullImageOptions,
  desc: Descriptor,
  current: number,
  status: PullProgress["status"],
): void {
  opts.onProgress?.({ id: progressId(desc.digest), current, total: desc.size, status });
}
