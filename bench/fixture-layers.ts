/**
 * The layer tars of the benchmark image: one large file of random bytes, and layers of many
 * small files spread over a few subdirectories. Sizes come from a seeded generator so every
 * machine benchmarks the same shape; contents are random so no tool can take a shortcut.
 */
import { randomBytes } from "node:crypto";
import type * as tar from "tar-stream";
import { addBuffer, addStream, type EntryHeader, type WrittenFile, writeTar } from "./tar-file.ts";

const MTIME = new Date("2024-01-01T00:00:00Z");
const CHUNK = 1 << 20;

/** A small deterministic generator (mulberry32): the same seed gives the same file sizes. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function addDir(pack: tar.Pack, name: string): Promise<void> {
  return addBuffer(pack, { name, type: "directory", mode: 0o755, mtime: MTIME }, Buffer.alloc(0));
}

function* randomChunks(size: number): Generator<Buffer> {
  for (let left = size; left > 0; left -= CHUNK) yield randomBytes(Math.min(CHUNK, left));
}

/** Writes a layer holding `data/<name>`, one file of `size` random bytes. */
export function writeRandomLayer(path: string, name: string, size: number): Promise<WrittenFile> {
  return writeTar(path, async (pack) => {
    await addDir(pack, "data/");
    const header: EntryHeader = { name: `data/${name}`, mode: 0o644, mtime: MTIME };
    await addStream(pack, header, size, randomChunks(size));
  });
}

/** The shape of a layer of small files. */
export interface SmallFilesShape {
  /** Top directory inside the layer, e.g. `small-a`. */
  root: string;
  files: number;
  dirs: number;
  minSize: number;
  maxSize: number;
  seed: number;
}

/**
 * Writes a layer of `shape.files` files spread evenly over `shape.dirs` subdirectories of
 * `shape.root`, each between `minSize` and `maxSize` bytes, plus one symlink per directory.
 */
export function writeSmallFilesLayer(path: string, shape: SmallFilesShape): Promise<WrittenFile> {
  const next = seededRandom(shape.seed);
  return writeTar(path, async (pack) => {
    await addDir(pack, `${shape.root}/`);
    for (let d = 0; d < shape.dirs; d++) {
      const dir = `${shape.root}/d${String(d).padStart(2, "0")}`;
      await addDir(pack, `${dir}/`);
      const count = Math.floor(shape.files / shape.dirs) + (d < shape.files % shape.dirs ? 1 : 0);
      for (let f = 0; f < count; f++) {
        const size = shape.minSize + Math.floor(next() * (shape.maxSize - shape.minSize + 1));
        const name = `${dir}/f${String(f).padStart(5, "0")}.bin`;
        await addBuffer(pack, { name, mode: 0o644, mtime: MTIME }, randomBytes(size));
      }
      const link: EntryHeader = {
        name: `${dir}/first`,
        type: "symlink",
        linkname: "f00000.bin",
        mode: 0o777,
        mtime: MTIME,
      };
      await addBuffer(pack, link, Buffer.alloc(0));
    }
  });
}

/** Writes a tiny layer with one text file, shared by the images of the many-images archive. */
export function writeTinyLayer(path: string): Promise<WrittenFile> {
  return writeTar(path, async (pack) => {
    await addDir(pack, "etc/");
    const data = Buffer.from("isulad-ts bench\n");
    await addBuffer(pack, { name: "etc/bench-release", mode: 0o644, mtime: MTIME }, data);
  });
}
