/**
 * Writing tar files for the benchmark fixtures: a `tar-stream` pack piped to a file while its
 * bytes are hashed, so a layer's diffID (or a blob's digest) is known the moment it is written.
 */
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { rename } from "node:fs/promises";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGzip } from "node:zlib";
import * as tar from "tar-stream";

/** The header fields of one tar entry (`name` required, the rest defaulted by tar-stream). */
export type EntryHeader = Parameters<tar.Pack["entry"]>[0];

/** A file written by the fixture builder: where it is, its sha256 digest and its size in bytes. */
export interface WrittenFile {
  path: string;
  digest: string;
  size: number;
}

/** A pass-through that hashes and counts what flows through it. */
function hashingTap(): { tap: Transform; result: () => { digest: string; size: number } } {
  const hash = createHash("sha256");
  let size = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      size += chunk.length;
      done(null, chunk);
    },
  });
  return { tap, result: () => ({ digest: `sha256:${hash.digest("hex")}`, size }) };
}

/**
 * Writes a tar file at `path`: `fill` adds the entries, then the archive is finalised. The file
 * is written under a temp name and renamed, so a crash never leaves a half-written fixture.
 */
export async function writeTar(
  path: string,
  fill: (pack: tar.Pack) => Promise<void>,
): Promise<WrittenFile> {
  const pack = tar.pack();
  const { tap, result } = hashingTap();
  const tmp = `${path}.tmp`;
  const written = pipeline(pack, tap, createWriteStream(tmp));
  try {
    await fill(pack);
    pack.finalize();
  } catch (err) {
    pack.destroy(err as Error);
    throw err;
  } finally {
    await written;
  }
  await rename(tmp, path);
  return { path, ...result() };
}

/** Adds one entry whose content is already in memory; resolves when tar-stream has taken it. */
export function addBuffer(pack: tar.Pack, header: EntryHeader, data: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    pack.entry({ ...header, size: data.length }, data, (err) => (err ? reject(err) : resolve()));
  });
}

/** Adds one regular-file entry of `size` bytes whose content comes from `chunks`. */
export async function addStream(
  pack: tar.Pack,
  header: EntryHeader,
  size: number,
  chunks: AsyncIterable<Buffer> | Iterable<Buffer>,
): Promise<void> {
  let finish: (err?: Error | null) => void = () => {};
  const finished = new Promise<void>((resolve, reject) => {
    finish = (err) => (err ? reject(err) : resolve());
  });
  const entry = pack.entry({ ...header, size }, finish);
  for await (const chunk of chunks) {
    if (!entry.write(chunk))
      await new Promise<void>((resolve) => entry.once("drain", () => resolve()));
  }
  entry.end(undefined); // streamx's typings want an argument; undefined writes nothing
  await finished;
}

/** Adds a file from disk as a regular-file entry named `name`. */
export function addFile(pack: tar.Pack, name: string, file: WrittenFile): Promise<void> {
  const header: EntryHeader = { name, mode: 0o644, mtime: new Date(0) };
  return addStream(pack, header, file.size, createReadStream(file.path));
}

/** Gzips `source` into `path` (level 1: the fixture is about unpacking, not about ratio). */
export async function gzipFile(source: string, path: string): Promise<WrittenFile> {
  const { tap, result } = hashingTap();
  const tmp = `${path}.tmp`;
  await pipeline(createReadStream(source), createGzip({ level: 1 }), tap, createWriteStream(tmp));
  await rename(tmp, path);
  return { path, ...result() };
}
