import {
  closeSync,
  constants,
  existsSync,
  fstatSync,
  ftruncateSync,
  openSync,
  readFileSync,
  statSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { type Digest, digestHex } from "../digest/digest.ts";
import { hasCode, imageError } from "../errors.ts";
import { flock } from "./flock.ts";

/** How often a waiting pull tries the lock again. */
const POLL_MS = 100;

const CLAIM_PREFIX = "claim-sha256-";

/** True for the name of a claim file in the ingest area. */
export function isClaimName(name: string): boolean {
  return name.startsWith(CLAIM_PREFIX);
}

/**
 * Removes the claim file `<ingestDir>/<name>` when nobody holds it and the copy it records (if
 * any) is gone: what a crashed or finished pull left. A held claim, or one whose copy is still
 * there for the next claimant, is kept. Never waits. Returns true when the file was removed.
 */
export function sweepClaim(ingestDir: string, name: string): boolean {
  const path = join(ingestDir, name);
  let fd: number | undefined;
  try {
    fd = tryClaim(path, false);
  } catch (err) {
    if (hasCode(err, "ENOENT")) return false;
    throw err;
  }
  if (fd === undefined) return false;
  const claim = heldClaim(path, fd);
  const stale = claim.published === undefined || !existsSync(claim.published);
  claim.release({ forget: stale });
  return stale;
}

/**
 * The exclusive right, among every process using one store, to fetch one blob (DESIGN §3:
 * a blob already being fetched by another pull is awaited, not fetched twice).
 */
export interface BlobClaim {
  /**
   * A complete copy of the blob that an earlier holder verified and recorded, in its own ingest
   * paths; it may have been renamed away or removed since, so use it only through `link`, and
   * verify what you read.
   */
  readonly published: string | undefined;
  /** Records `path` (a verified copy of the blob) for the next holder. */
  publish(path: string): void;
  /**
   * Gives the claim up. The claim file is removed when it records no copy, or with `forget`
   * (the blob is stored), so that a finished or failed pull leaves no trace in the store.
   */
  release(opts?: { forget?: boolean }): void;
}

/**
 * Waits until no other pull, in this process or another, holds the claim on `digest` in the
 * ingest area `ingestDir`, then takes it. The claim is an exclusive lock on
 * `<ingestDir>/claim-sha256-<hex>`: the kernel releases it when its holder exits, so a crashed
 * owner is taken over at once, and a claim file left behind is removed by the next ingest sweep
 * ({@link sweepClaim}). The file holds the path of the last verified copy (see `published`).
 *
 * Never deadlocks: a holder only downloads and unpacks one blob, and waits for nothing else
 * while it holds the claim. `onWait` is called once if the claim is busy. Throws `Unavailable`
 * when `signal` aborts while waiting.
 */
export async function claimBlob(opts: {
  ingestDir: string;
  digest: Digest;
  signal?: AbortSignal;
  onWait?: () => void;
}): Promise<BlobClaim> {
  const path = join(opts.ingestDir, `${CLAIM_PREFIX}${digestHex(opts.digest)}`);
  let told = false;
  for (;;) {
    if (opts.signal?.aborted) {
      throw imageError("Unavailable", "the pull was cancelled", opts.signal.reason);
    }
    const fd = tryClaim(path);
    if (fd !== undefined) return heldClaim(path, fd);
    if (!told) opts.onWait?.();
    told = true;
    await sleep(POLL_MS, undefined, opts.signal ? { signal: opts.signal } : {}).catch(
      () => undefined,
    );
  }
}

/**
 * The locked fd of the claim file at `path`, or undefined when another holder has it (or, when
 * not `create`, when there is no file).
 */
function tryClaim(path: string, create = true): number | undefined {
  let fd: number;
  try {
    const flags = constants.O_RDWR | constants.O_NOFOLLOW | (create ? constants.O_CREAT : 0);
    fd = openSync(path, flags, 0o600);
  } catch (err) {
    if (!create && hasCode(err, "ENOENT")) return undefined;
    throw err;
  }
  try {
    if (!flock().tryLock(fd)) {
      closeSync(fd);
      return undefined;
    }
    // The previous holder may have removed the file between our open and our lock: then we
    // hold a lock nobody else can see, and must lock the file now at `path` instead.
    if (sameFile(fd, path)) return fd;
    flock().unlock(fd);
    closeSync(fd);
    return tryClaim(path, create);
  } catch (err) {
    closeSync(fd);
    throw err;
  }
}

function sameFile(fd: number, path: string): boolean {
  try {
    const a = fstatSync(fd);
    const b = statSync(path);
    return a.ino === b.ino && a.dev === b.dev;
  } catch (err) {
    if (hasCode(err, "ENOENT")) return false;
    throw err;
  }
}

function heldClaim(path: string, fd: number): BlobClaim {
  const recorded = readFileSync(fd, "utf8").trim();
  let current = recorded;
  // Only a copy in the ingest area itself is offered: the file is plain text anyone with write
  // access to the store could change, and a copy elsewhere is none of ours.
  const offered = recorded !== "" && dirname(recorded) === dirname(path) ? recorded : undefined;
  let released = false;
  return {
    published: offered,
    publish(copy) {
      ftruncateSync(fd, 0);
      writeSync(fd, `${copy}\n`, 0);
      current = copy;
    },
    release(o = {}) {
      if (released) return;
      released = true;
      try {
        if (o.forget || current === "") unlinkSync(path);
      } catch (err) {
        if (!hasCode(err, "ENOENT")) throw err;
      } finally {
        flock().unlock(fd);
        closeSync(fd);
      }
    },
  };
}

/**
 * Removes the claim file of `digest` if it still records `copy` (ours) and nobody holds it;
 * called when `copy` is gone (committed or removed). Best effort: a busy claim is left to its
 * holder, who records its own copy.
 */
export function forgetPublished(ingestDir: string, digest: Digest, copy: string): void {
  const path = join(ingestDir, `${CLAIM_PREFIX}${digestHex(digest)}`);
  let fd: number | undefined;
  try {
    fd = tryClaim(path);
  } catch (err) {
    if (hasCode(err, "ENOENT")) return;
    throw err;
  }
  if (fd === undefined) return;
  const claim = heldClaim(path, fd);
  claim.release({ forget: claim.published === undefined || claim.published === copy });
}
