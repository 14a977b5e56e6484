import {
  closeSync,
  createReadStream,
  constants as fsc,
  fstatSync,
  openSync,
  readSync,
} from "node:fs";
import { join } from "node:path";
import { hasCode } from "../errors.ts";
import { createDecoder, type Decoder, sniffCompression } from "../layer/decompress.ts";
import { cleanEntryPath } from "../layer/extract-paths.ts";
import { type TarEntry, TarReader, type TarVisitor } from "../layer/tar-reader.ts";
import { WHITEOUT_PREFIX } from "../layer/whiteout.ts";

/**
 * Compares the regular files of a layer with its stored blob, for `image-layer-check`
 * (isulad-behaviour §6.8: iSulad compares each regular file's CRC64 with its tar-split). The
 * blob is read once, decompressed and parsed as it streams, and each non-empty regular file's
 * bytes are compared with the same range of `<diffDir>/<path>` as they arrive, so nothing is
 * hashed or held in memory. Like iSulad, empty files, directories, links and devices are not
 * checked; whiteout markers are skipped. When an archive holds one path several times, the
 * last entry is the one that counts.
 *
 * Returns the first difference (`file "etc/x" differs from the layer at byte 12`), or undefined
 * when every file matches. An unreadable or corrupt blob is a difference too. Reads only.
 */
export async function layerContentProblem(
  blobPath: string,
  diffDir: string,
): Promise<string | undefined> {
  const visitor = new CompareVisitor(diffDir);
  let decoder: Decoder | undefined;
  const reader = new TarReader(visitor);
  try {
    for await (const chunk of createReadStream(blobPath, { highWaterMark: 256 * 1024 })) {
      decoder ??= createDecoder(sniffCompression(chunk as Buffer), (out) => reader.push(out));
      await decoder.write(chunk as Buffer);
    }
    await decoder?.end();
    reader.end();
  } catch (err) {
    decoder?.destroy();
    visitor.close();
    return `reading the layer blob: ${err instanceof Error ? err.message : String(err)}`;
  }
  visitor.close();
  return visitor.firstProblem();
}

/** Compares each file entry's body with the file on disk while the body streams by. */
class CompareVisitor implements TarVisitor {
  /** Paths whose last entry did not match, with why; a later matching entry clears one. */
  readonly #problems = new Map<string, string>();
  #scratch = Buffer.allocUnsafe(256 * 1024);
  #current: { rel: string; fd: number; pos: number } | undefined;

  constructor(readonly diffDir: string) {}

  entry(e: TarEntry): void {
    const rel = cleanEntryPath(e.name);
    this.#problems.delete(rel);
    const base = rel.slice(rel.lastIndexOf("/") + 1);
    if (e.type !== "file" || e.size === 0 || rel === "" || base.startsWith(WHITEOUT_PREFIX)) {
      return;
    }
    let fd: number;
    try {
      fd = openSync(join(this.diffDir, rel), fsc.O_RDONLY | fsc.O_NOFOLLOW);
    } catch (err) {
      const why = hasCode(err, "ENOENT") ? "is missing" : `cannot be read (${errCode(err)})`;
      this.#problems.set(rel, `file "${rel}" ${why}`);
      return;
    }
    const st = fstatSync(fd);
    if (!st.isFile() || st.size !== e.size) {
      closeSync(fd);
      const what = st.isFile() ? `has ${st.size} bytes, not ${e.size}` : "is not a regular file";
      this.#problems.set(rel, `file "${rel}" ${what}`);
      return;
    }
    this.#current = { rel, fd, pos: 0 };
  }

  data(chunk: Buffer): void {
    const cur = this.#current;
    if (cur === undefined) return;
    if (this.#scratch.length < chunk.length) this.#scratch = Buffer.allocUnsafe(chunk.length);
    const got = readSync(cur.fd, this.#scratch, 0, chunk.length, cur.pos);
    if (got !== chunk.length || !chunk.equals(this.#scratch.subarray(0, got))) {
      this.#problems.set(cur.rel, `file "${cur.rel}" differs from the layer near byte ${cur.pos}`);
      this.entryEnd();
      return;
    }
    cur.pos += got;
  }

  entryEnd(): void {
    if (this.#current === undefined) return;
    closeSync(this.#current.fd);
    this.#current = undefined;
  }

  close(): void {
    this.entryEnd();
  }

  firstProblem(): string | undefined {
    return this.#problems.values().next().value;
  }
}

function errCode(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? String(err);
}
