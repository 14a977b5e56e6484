import { closeSync, constants, fstatSync, openSync, statSync, unlinkSync } from "node:fs";
import { flock } from "../content/flock.ts";
import { hasCode, imageError } from "../errors.ts";

/** How long {@link withFileLock} waits for another holder before giving up. */
const WAIT_MS = 10_000;
const POLL_MS = 5;
const LOCK_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_NOFOLLOW;

/**
 * Runs `fn` while holding an exclusive lock on `path`, a file created (0600) for the purpose
 * and removed again before the lock is let go, so the folder looks the same afterwards. Waits up
 * to 10 s for another holder, blocking the thread in short sleeps (the sections it guards are a
 * few small file writes), then throws `Unavailable` naming `what`. A holder that dies releases
 * the lock with its process. Not re-entrant: `fn` must not take the same lock again.
 */
export function withFileLock<T>(path: string, what: string, fn: () => T): T {
  const fd = acquire(path, what);
  try {
    return fn();
  } finally {
    try {
      unlinkSync(path);
    } finally {
      flock().unlock(fd);
      closeSync(fd);
    }
  }
}

/** A locked fd of the file now at `path`. */
function acquire(path: string, what: string): number {
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (const deadline = Date.now() + WAIT_MS; ; Atomics.wait(pause, 0, 0, POLL_MS)) {
    // Never through a symlink: the folder holds secrets, and a planted link must not make us
    // create or lock a file elsewhere (ELOOP is then reported as it comes).
    const fd = openSync(path, LOCK_FLAGS, 0o600);
    // The lock holder removes the file before unlocking: a lock won on a removed file guards
    // nothing, so it only counts if `path` still names the file we locked.
    if (flock().tryLock(fd) && sameFile(fd, path)) return fd;
    closeSync(fd);
    if (Date.now() > deadline) {
      throw imageError("Unavailable", `${what} is locked by another process (${path})`);
    }
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
