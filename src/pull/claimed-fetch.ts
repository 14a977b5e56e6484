import { existsSync, linkSync, rmSync } from "node:fs";
import { join } from "node:path";
import { type BlobClaim, claimBlob, forgetPublished } from "../content/blob-claim.ts";
import type { Digest } from "../digest/digest.ts";
import type { ImageStore } from "../image/image-store.ts";
import type { Lease } from "../image/types.ts";
import { applyLayer } from "../layer/apply-layer.ts";
import type { AppliedLayer, WhiteoutFormat } from "../layer/types.ts";
import type { FetchedLayer } from "./layer-fetches.ts";

/** The layer a claimed fetch is for. */
export interface ClaimedLayer {
  /** Chain ID hex. */
  id: string;
  digest: Digest;
  diffId: Digest;
  whiteoutFormat: WhiteoutFormat;
}

/**
 * Fetches one layer at most once across the processes sharing `store` (DESIGN §3): waits for
 * the blob's claim (`blob-claim.ts`; `onWait` tells the pull it is waiting), then, holding it:
 * 1. the layer is stored now (its owner committed): it is held by `lease`, nothing is fetched;
 * 2. a verified copy of the blob is at hand (the previous holder's, or `blobs/`): it is linked
 *    into `lease`'s temp paths, the claim is handed on at once, and the layer is unpacked from
 *    the file (verified again; a bad copy falls through to 3);
 * 3. otherwise `download` fetches and unpacks it, and the new copy is recorded for the next.
 * Give it a {@link ClaimingLease} so that the claim files are tidied when the fetch ends.
 *
 * A crashed holder's claim is free again at once (the kernel drops its lock). The claim is never
 * held while waiting for anything but this one blob, so pulls cannot deadlock on each other.
 * Errors are those of `download` and `applyLayer`; `Unavailable` when `signal` aborts.
 */
export function fetchClaimed(args: {
  store: ImageStore;
  lease: Lease;
  layer: ClaimedLayer;
  signal: AbortSignal;
  onWait?: () => void;
  download: () => Promise<FetchedLayer>;
  recordOf: (applied: AppliedLayer) => FetchedLayer["record"];
}): Promise<FetchedLayer> {
  const { lease, layer, signal } = args;
  return fetchBlobClaimed<FetchedLayer>({
    ...args,
    digest: layer.digest,
    stored: () => {
      const record = lease.hold(layer.id);
      return record === undefined ? undefined : { record };
    },
    fromCopy: async (copy) => {
      const tempDir = lease.tempPath("layer");
      const applied = await applyLayer({
        source: { kind: "file", path: copy },
        target: tempDir,
        expectedDigest: layer.digest,
        expectedDiffId: layer.diffId,
        whiteoutFormat: layer.whiteoutFormat,
        signal,
      });
      return { record: args.recordOf(applied), tempDir, tempBlob: copy };
    },
  });
}

/**
 * The claim protocol of {@link fetchClaimed} for any fetch of blob `digest`: waits for the
 * blob's claim; holding it, returns what `stored` finds (the result needs no bytes any more);
 * else links a verified local copy (the previous holder's, or `blobs/`) into `lease`'s temp
 * paths, hands the claim on, and makes the result with `fromCopy` (a copy that fails to, for
 * any reason but an abort, is removed and the whole protocol runs again without copies); else
 * `download`s, recording the new blob copy for the next holder.
 */
export async function fetchBlobClaimed<T extends { tempBlob?: string }>(args: {
  store: ImageStore;
  lease: Lease;
  digest: Digest;
  signal: AbortSignal;
  onWait?: () => void;
  stored?: () => T | undefined;
  fromCopy: (copy: string) => Promise<T>;
  download: () => Promise<T>;
  /** Set on the second try, after a local copy failed: fetch from the registry. */
  noCopies?: boolean;
}): Promise<T> {
  const { store, lease, digest, signal } = args;
  const claim = await claimBlob({
    ingestDir: ingestDirOf(store),
    digest,
    signal,
    ...(args.onWait ? { onWait: args.onWait } : {}),
  });
  let copy: string | undefined;
  try {
    const done = args.stored?.();
    if (done) {
      claim.release({ forget: true });
      return done;
    }
    for (const from of args.noCopies ? [] : [claim.published, store.blobPath(digest)]) {
      copy = from === undefined ? undefined : linkCopy(from, lease);
      if (copy !== undefined) break;
    }
    if (copy === undefined) {
      const fetched = await args.download();
      if (fetched.tempBlob) publish(claim, lease, digest, fetched.tempBlob);
      return fetched;
    }
    publish(claim, lease, digest, copy);
  } finally {
    claim.release();
  }
  try {
    return await args.fromCopy(copy);
  } catch {
    signal.throwIfAborted();
    rmSync(copy, { force: true });
    return fetchBlobClaimed({ ...args, noCopies: true });
  }
}

/**
 * The lease of one fetch (see `layer-fetches.ts`) that, once released, also removes the claim
 * files still recording copies it made (committed into `blobs/` or removed by then), so that a
 * finished or failed pull leaves nothing in the ingest area. Use from one fetch at a time.
 */
export class ClaimingLease implements Lease {
  readonly #inner: Lease;
  readonly #ingestDir: string;
  readonly #copies: { digest: Digest; copy: string }[] = [];

  constructor(inner: Lease, store: ImageStore) {
    this.#inner = inner;
    this.#ingestDir = ingestDirOf(store);
  }

  get id(): string {
    return this.#inner.id;
  }

  hold(chainId: string) {
    return this.#inner.hold(chainId);
  }

  tempPath(hint: string): string {
    return this.#inner.tempPath(hint);
  }

  /** Notes that the claim file of `digest` now records `copy`, a temp path of this lease. */
  recordCopy(digest: Digest, copy: string): void {
    this.#copies.push({ digest, copy });
  }

  async release(): Promise<void> {
    await this.#inner.release();
    for (const { digest, copy } of this.#copies.splice(0)) {
      if (!existsSync(copy)) forgetPublished(this.#ingestDir, digest, copy);
    }
  }
}

/**
 * Records `copy` (a verified copy of the blob, a temp path of `lease`) in the claim for the next
 * holder; a {@link ClaimingLease} forgets it again once released.
 */
function publish(claim: BlobClaim, lease: Lease, digest: Digest, copy: string): void {
  claim.publish(copy);
  if (lease instanceof ClaimingLease) lease.recordCopy(digest, copy);
}

function ingestDirOf(store: ImageStore): string {
  return join(store.root, "ingest");
}

/** A hard link to `from` at a temp path of `lease`, or undefined when `from` is gone. */
function linkCopy(from: string, lease: Lease): string | undefined {
  const copy = lease.tempPath("blob");
  try {
    linkSync(from, copy);
    return copy;
  } catch {
    // Gone (committed, removed, swept), or not linkable here: fetch instead.
    return undefined;
  }
}
