import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after } from "node:test";
import type { Compression } from "../../src/oci/media-types.ts";
import { writeArchive } from "../helpers/archive-writer.ts";
import {
  type BuiltImage,
  type BuiltLayer,
  buildImage,
  buildLayer,
  type TarSpec,
} from "../helpers/image-builder.ts";
import { writeOciLayout } from "../helpers/oci-layout-writer.ts";
import { type RegistryHarness, startRegistry } from "../helpers/registry-harness.ts";

/**
 * The images the torture suite works on. Every image shares `base` (so a delete must keep it
 * while another image needs it, and a load or pull must reuse it), and each has layers of its
 * own. Sizes are small: the suite runs hundreds of processes.
 */
export interface TortureImages {
  base: BuiltLayer;
  /** a:1 and a:2 in the seed store. */
  a: BuiltImage;
  /** b:1 in the seed store. */
  b: BuiltImage;
  /** c:1 and d:1 in `loadArchive` (plain docker25 tar): c is all new, d reuses `base`. */
  c: BuiltImage;
  d: BuiltImage;
  /** e:1 in `gzipArchive` (the whole archive gzip'd, so it is streamed once). */
  e: BuiltImage;
  /** Pushed as `torture/p:1`: `base` and two new layers. */
  p: BuiltImage;
  /** Pushed as `torture/q:1`: shares `base` and p's second layer. */
  q: BuiltImage;
  /** r:1 in `bigArchive` and pushed as `torture/r:1`: three layers of many files, for kills at random times. */
  r: BuiltImage;
}

/** A layer of `files` small files under `dir`, with a seed in every body. */
export function filesLayer(
  dir: string,
  files: number,
  seed: string,
  compression: Compression,
  bytes = 64,
): Promise<BuiltLayer> {
  const entries: TarSpec[] = [{ name: `${dir}/`, type: "dir" }];
  for (let i = 0; i < files; i++) {
    entries.push({ name: `${dir}/f${i}`, body: `${seed} ${i} ${"x".repeat(bytes)}\n` });
  }
  return buildLayer(entries, compression);
}

/** A layer holding one file of `size` random bytes. */
export function blobLayer(name: string, size: number, compression: Compression) {
  return buildLayer([{ name, body: randomBytes(size) }], compression);
}

export async function buildTortureImages(): Promise<TortureImages> {
  const base = await filesLayer("etc", 20, "base", "gzip");
  const image = (layers: BuiltLayer[], seed: string) =>
    buildImage({ layers, labels: { seed }, cmd: ["/bin/sh", "-c", seed] });
  const pShared = await filesLayer("lib", 30, "p2", "gzip");
  return {
    base,
    a: image([base, await filesLayer("a", 5, "a", "gzip")], "a"),
    b: image([base, await filesLayer("b", 5, "b", "gzip")], "b"),
    c: image(
      [await filesLayer("c0", 10, "c", "none"), await filesLayer("c1", 10, "c", "none")],
      "c",
    ),
    d: image([base, await filesLayer("d", 8, "d", "none")], "d"),
    e: image(
      [await filesLayer("e0", 10, "e", "gzip"), await filesLayer("e1", 10, "e", "zstd")],
      "e",
    ),
    p: image([base, await filesLayer("p1", 10, "p1", "gzip"), pShared], "p"),
    q: image([base, await filesLayer("q1", 10, "q1", "gzip"), pShared], "q"),
    r: image(
      [
        base,
        await filesLayer("r1", 1500, "r1", "gzip", 300),
        await filesLayer("r2", 1500, "r2", "gzip", 300),
        await blobLayer("r3/blob", 4 << 20, "gzip"),
      ],
      "r",
    ),
  };
}

/** The archive files of the suite, written under `dir`. */
export interface TortureArchives {
  /** a (a:1, a:2) and b (b:1): the seed store. */
  seed: string;
  /** c (c:1) and d (d:1), plain docker25 tar. */
  load: string;
  /** e (e:1), gzip'd OCI layout archive. */
  gzip: string;
  /** r (r:1), plain docker25 tar. */
  big: string;
}

export async function writeTortureArchives(
  dir: string,
  images: TortureImages,
): Promise<TortureArchives> {
  const files = {
    seed: join(dir, "seed.tar"),
    load: join(dir, "cd.tar"),
    gzip: join(dir, "e.tar.gz"),
    big: join(dir, "r.tar"),
  };
  const { a, b, c, d, e, r } = images;
  await writeArchive(
    files.seed,
    [
      { image: a, repoTags: ["a:1", "a:2"] },
      { image: b, repoTags: ["b:1"] },
    ],
    { shape: "docker25" },
  );
  await writeArchive(
    files.load,
    [
      { image: c, repoTags: ["c:1"] },
      { image: d, repoTags: ["d:1"] },
    ],
    { shape: "docker25" },
  );
  await writeArchive(files.gzip, [{ image: e, repoTags: ["e:1"] }], {
    shape: "oci",
    compression: "gzip",
  });
  await writeArchive(files.big, [{ image: r, repoTags: ["r:1"] }], { shape: "docker25" });
  return files;
}

/** Pushes p, q and r to the registry as `torture/<x>:1`. */
export async function pushTortureImages(
  reg: RegistryHarness,
  dir: string,
  images: TortureImages,
): Promise<void> {
  await writeOciLayout(join(dir, "layout-p"), [{ tag: "1", image: images.p }]);
  await writeOciLayout(join(dir, "layout-q"), [{ tag: "1", image: images.q }]);
  await writeOciLayout(join(dir, "layout-r"), [{ tag: "1", image: images.r }]);
  await reg.push(join(dir, "layout-p"), "1", "torture/p:1");
  await reg.push(join(dir, "layout-q"), "1", "torture/q:1");
  await reg.push(join(dir, "layout-r"), "1", "torture/r:1");
}

/**
 * What every torture file starts from: a work folder (removed after the file), the images,
 * their archives in it, and a plain-HTTP registry holding them (stopped after the file).
 */
export async function tortureWorld(name: string): Promise<{
  work: string;
  images: TortureImages;
  archives: TortureArchives;
  reg: RegistryHarness;
}> {
  const work = mkdtempSync(join(tmpdir(), `torture-${name}-`));
  let reg: RegistryHarness | undefined;
  after(async () => {
    await reg?.stop();
    rmSync(work, { recursive: true, force: true });
  });
  const images = await buildTortureImages();
  const archives = await writeTortureArchives(work, images);
  reg = await startRegistry("http");
  await pushTortureImages(reg, work, images);
  return { work, images, archives, reg };
}
