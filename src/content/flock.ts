import { createRequire } from "node:module";

/**
 * Exclusive non-blocking `flock` on an fd, from fs-native-extensions (which ships no types; this
 * is the part of its API we use). On Linux its locks are open-file-description locks: two opens
 * of one file conflict even within one process, and the kernel drops a lock when its holder
 * dies, so a lock never outlives a crashed process.
 */
export interface Flock {
  tryLock(fd: number): boolean;
  unlock(fd: number): void;
}

let addon: Flock | undefined;

/**
 * The addon, loaded on first use: opening a store sweeps the ingest area, which seldom holds a
 * lock file, and the addon with its loader costs `isula images` a few milliseconds.
 */
export function flock(): Flock {
  addon ??= createRequire(import.meta.url)("fs-native-extensions") as Flock;
  return addon;
}
