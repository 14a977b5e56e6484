import { closeSync, fsyncSync, openSync, rmSync, writeSync } from "node:fs";
import { hasCode } from "../errors.ts";
import { crashPoint } from "../testing/crash-point.ts";

/**
 * Flushes a directory's entries (a rename or create inside it) to disk. Some file systems refuse
 * to fsync a directory (`EINVAL`); that is as durable as they get, so it is not an error.
 */
export function fsyncDir(path: string): void {
  const fd = openSync(path, "r");
  try {
    fsyncSync(fd);
  } catch (err) {
    if (!hasCode(err, "EINVAL") && !hasCode(err, "EBADF")) throw err;
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes `data` to a new file (`EEXIST` if it exists) with `mode`, and fsyncs it before
 * returning, so a later rename publishes complete bytes.
 */
export function writeFileDurable(path: string, data: Uint8Array, mode = 0o600): void {
  const fd = openSync(path, "wx", mode);
  try {
    let off = 0;
    while (off < data.length) off += writeSync(fd, data, off, data.length - off);
    crashPoint("durable.written");
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * `rm -rf path`, tolerating another process removing the same tree at the same time (entries
 * vanishing underneath give `ENOENT` or `ENOTEMPTY`; the tree is gone either way, or will be).
 */
export function removeTree(path: string): void {
  try {
    rmSync(path, { recursive: true, force: true, maxRetries: 2 });
  } catch (err) {
    if (!hasCode(err, "ENOENT") && !hasCode(err, "ENOTEMPTY")) throw err;
  }
}
