import { statfs } from "node:fs/promises";
import { imageError } from "../errors.ts";

/** Free bytes an unprivileged writer may use on the filesystem holding `dir`. */
export type FreeSpaceReader = (dir: string) => Promise<number>;

/**
 * What writing a layer of `size` compressed bytes takes: the blob copy we keep, plus the
 * unpacked files. Their size is not known before unpacking, so a compressed layer counts
 * `UNPACK_MARGIN` times its blob; an uncompressed tar counts once more.
 */
export const UNPACK_MARGIN = 3;

/** The bytes a layer of media type `mediaType` and blob size `size` is expected to need. */
export function layerSpaceNeeded(mediaType: string, size: number): number {
  const compressed = /gzip|zstd/i.test(mediaType);
  return size + (compressed ? size * UNPACK_MARGIN : size);
}

/** `statfs` of `dir`: available blocks (for non-root users) times the block size. */
export const statfsFree: FreeSpaceReader = async (dir) => {
  const s = await statfs(dir);
  return s.bavail * s.bsize;
};

/** Bytes promised to writes in flight in this process, by folder. */
const reserved = new Map<string, number>();

/**
 * Checks that `dir`'s filesystem has room for `need` more bytes beyond what other writes of this
 * process have reserved there, and reserves them. Returns the function that gives the
 * reservation back (call it once the write is over, done or failed). No room: `ResourceExhausted`
 * `not enough disk space in "<dir>": need X, Y free`. Safe to call from concurrent pulls of one
 * process; other processes are only seen through the free space they have already used.
 */
export async function reserveDiskSpace(
  dir: string,
  need: number,
  readFree: FreeSpaceReader = statfsFree,
): Promise<() => void> {
  const free = await readFree(dir);
  const others = reserved.get(dir) ?? 0;
  const usable = Math.max(free - others, 0);
  if (need > usable) {
    throw imageError(
      "ResourceExhausted",
      `not enough disk space in "${dir}": need ${formatBytes(need)}, ${formatBytes(usable)} free`,
    );
  }
  reserved.set(dir, others + need);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    const left = (reserved.get(dir) ?? need) - need;
    if (left > 0) reserved.set(dir, left);
    else reserved.delete(dir);
  };
}

/** `1536` → `1.5 KB`: decimal units with one decimal, as `isula images` shows sizes. */
export function formatBytes(n: number): string {
  const units = ["B", "KB", "MB", "GB", "TB"];
  let v = n;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return i === 0 ? `${v} B` : `${v.toFixed(1)} ${units[i]}`;
}
