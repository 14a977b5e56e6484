import { type Stats, statSync } from "node:fs";

/**
 * `stat` that answers undefined for any failure (ENOENT, ENOTDIR, EACCES), like iSulad's
 * `util_file_exists`: the client only wants to know whether it may hand the path on.
 */
export function statQuietly(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}
