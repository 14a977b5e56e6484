import { lstat, readdir } from "node:fs/promises";
import { join } from "node:path";
import { hasCode } from "../errors.ts";

/** Bytes and inodes under one folder. */
export interface FsUsage {
  bytes: number;
  inodes: number;
}

/**
 * Sums the allocated bytes (`blocks * 512`, so sparse files count what they use) and the inodes
 * of everything under `root`, without following symbolic links; a hard-linked file counts once.
 * A missing `root` is zero. Entries that vanish during the walk (a layer being removed) are
 * skipped. Reads only metadata, one directory at a time.
 */
export async function measureUsage(root: string): Promise<FsUsage> {
  const seen = new Set<string>();
  const usage: FsUsage = { bytes: 0, inodes: 0 };
  const pending = [root];
  for (let dir = pending.pop(); dir !== undefined; dir = pending.pop()) {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (err) {
      if (hasCode(err, "ENOENT") || hasCode(err, "ENOTDIR")) continue;
      throw err;
    }
    for (const name of names) {
      const path = join(dir, name);
      const st = await lstat(path).catch((err: unknown) => {
        if (hasCode(err, "ENOENT")) return undefined;
        throw err;
      });
      if (st === undefined) continue;
      if (!st.isDirectory() && st.nlink > 1) {
        const key = `${st.dev}:${st.ino}`;
        if (seen.has(key)) continue;
        seen.add(key);
      }
      usage.inodes += 1;
      usage.bytes += st.blocks * 512;
      if (st.isDirectory()) pending.push(path);
    }
  }
  return usage;
}

/**
 * `measureUsage` remembered for `ttlMs` (kubelet asks for image fs info every few seconds; a
 * walk of a large store is not free). Concurrent callers share one walk.
 */
export function cachedUsage(root: string, ttlMs = 10_000): () => Promise<FsUsage> {
  let last: { at: number; value: Promise<FsUsage> } | undefined;
  return () => {
    const now = Date.now();
    if (last === undefined || now - last.at > ttlMs) {
      const value = measureUsage(root);
      last = { at: now, value };
      value.catch(() => {
        last = undefined;
      });
    }
    return last.value;
  };
}
