/**
 * The benchmark's input files, generated once and cached in the bench directory: the three
 * layer tars (plain and gzip), the load archive in both variants, and an archive of many tiny
 * images for timing `isula images` on a full store.
 */
import { access, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type ArchiveImage, imageConfig, writeDockerArchive } from "./docker-archive.ts";
import { writeRandomLayer, writeSmallFilesLayer, writeTinyLayer } from "./fixture-layers.ts";
import { gzipFile, type WrittenFile } from "./tar-file.ts";

const MB = 1024 * 1024;
const TAR_LAYER = "application/vnd.oci.image.layer.v1.tar";
const GZIP_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip";

/** Every file the measurements need, with digests and sizes. */
export interface Fixture {
  dir: string;
  /** The plain layer tars, bottom first; what the tar floor unpacks. */
  layers: WrittenFile[];
  gzipLayers: WrittenFile[];
  /** `bench/load:latest` with plain layers. */
  plainArchive: WrittenFile;
  /** `bench/load:latest` with gzip layers. */
  gzipArchive: WrittenFile;
  /** `manyCount` images `bench/many:<n>` sharing one tiny layer. */
  manyArchive: WrittenFile;
  manyCount: number;
  /** Total bytes and entries of the plain layers, for the report. */
  layerBytes: number;
  layerFiles: number;
}

/** The shape of the fixture; changing it changes the cache folder name. */
const SHAPE = {
  version: 1,
  randomBytes: 200 * MB,
  smallFiles: 5000,
  smallDirs: 10,
  minSize: 1024,
  maxSize: 8 * 1024,
  manyCount: 1000,
};

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/** Returns the cached fixture if every file of it is present. */
async function readCached(dir: string): Promise<Fixture | undefined> {
  const index = join(dir, "fixture.json");
  if (!(await exists(index))) return undefined;
  const fixture = JSON.parse(await readFile(index, "utf8")) as Fixture;
  const files = [
    ...fixture.layers,
    ...fixture.gzipLayers,
    fixture.plainArchive,
    fixture.gzipArchive,
    fixture.manyArchive,
  ];
  for (const file of files) if (!(await exists(file.path))) return undefined;
  return fixture;
}

/** Builds the archive of `count` tiny images: distinct configs over one shared layer. */
async function writeManyArchive(dir: string, count: number): Promise<WrittenFile> {
  const tiny = await writeTinyLayer(join(dir, "tiny-layer.tar"));
  const images: ArchiveImage[] = [];
  for (let i = 0; i < count; i++) {
    const config = imageConfig([tiny.digest], { Labels: { "bench.index": String(i) } });
    images.push({
      repoTags: [`bench/many:${i}`],
      config,
      layers: [{ blob: tiny, mediaType: TAR_LAYER }],
    });
  }
  return writeDockerArchive(join(dir, "many-images.tar"), images);
}

/**
 * Returns the fixture under `benchDir`, generating what is missing (about a minute the first
 * time). `log` receives one line per step. Not safe to run twice at once on one directory.
 */
export async function prepareFixture(benchDir: string, log: (line: string) => void) {
  const dir = join(benchDir, `fixture-v${SHAPE.version}`);
  const cached = await readCached(dir);
  if (cached) {
    log(`fixture: reusing ${dir}`);
    return cached;
  }
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });

  log(`fixture: writing layers under ${dir}`);
  const small = { files: SHAPE.smallFiles, dirs: SHAPE.smallDirs, minSize: SHAPE.minSize };
  const layers = [
    await writeRandomLayer(join(dir, "layer-1.tar"), "random.bin", SHAPE.randomBytes),
    await writeSmallFilesLayer(join(dir, "layer-2.tar"), {
      ...small,
      root: "small-a",
      maxSize: SHAPE.maxSize,
      seed: 2,
    }),
    await writeSmallFilesLayer(join(dir, "layer-3.tar"), {
      ...small,
      root: "small-b",
      maxSize: SHAPE.maxSize,
      seed: 3,
    }),
  ];
  log("fixture: compressing layers");
  const gzipLayers: WrittenFile[] = [];
  for (const [i, layer] of layers.entries()) {
    gzipLayers.push(await gzipFile(layer.path, join(dir, `layer-${i + 1}.tar.gz`)));
  }

  log("fixture: writing archives");
  const config = imageConfig(layers.map((l) => l.digest));
  const repoTags = ["bench/load:latest"];
  const plainArchive = await writeDockerArchive(join(dir, "bench-plain.tar"), [
    { repoTags, config, layers: layers.map((blob) => ({ blob, mediaType: TAR_LAYER })) },
  ]);
  const gzipArchive = await writeDockerArchive(join(dir, "bench-gzip.tar"), [
    { repoTags, config, layers: gzipLayers.map((blob) => ({ blob, mediaType: GZIP_LAYER })) },
  ]);
  const manyArchive = await writeManyArchive(dir, SHAPE.manyCount);

  const fixture: Fixture = {
    dir,
    layers,
    gzipLayers,
    plainArchive,
    gzipArchive,
    manyArchive,
    manyCount: SHAPE.manyCount,
    layerBytes: layers.reduce((sum, l) => sum + l.size, 0),
    layerFiles: 1 + 2 * SHAPE.smallFiles,
  };
  await writeFile(join(dir, "fixture.json"), `${JSON.stringify(fixture, null, 2)}\n`);
  return fixture;
}
