import { readdirSync, statSync } from "node:fs";
import { chainId, type Digest, digestHex, isHex64, sha256Digest } from "../digest/digest.ts";
import { hasCode } from "../errors.ts";
import { readConfigFacts } from "./image-config.ts";
import { type ImageStore, storeContext } from "./image-store.ts";
import type { StoreContext } from "./store-context.ts";
import { layerDiffDir } from "./store-layout.ts";
import type { ImageRecord, LayerRecord } from "./types.ts";

export interface VerifyOptions {
  /** Blobs over this many bytes are checked for presence and size only. Default: hash all. */
  rehashLimit?: number;
}

/**
 * Checks the store's invariants and returns one line per problem (empty: healthy). Re-derives
 * each image ID from its config bytes, each blob's digest and size from disk, each layer ID from
 * its parent and diffID; checks parents, layer directories, image sizes, `rootfs.diff_ids`
 * against the chain, `created` and labels against the config, and that names point at images.
 * Also reports layer directories and blobs that no record names.
 *
 * Read-only; for tests and daemon start-up. Run it while no other process writes, or a commit
 * in flight may show up as an orphan. Damage is reported, not thrown; only file system errors
 * that make checking impossible (`EACCES`) are thrown.
 */
export async function verifyStore(store: ImageStore, opts: VerifyOptions = {}): Promise<string[]> {
  const run = new VerifyRun(storeContext(store), store.listLayers(), opts);
  for (const layer of run.layers.values()) await run.checkLayer(layer);
  const images = store.listImages();
  for (const image of images) await run.checkImage(image);
  run.checkNames(new Set(images.map((i) => i.id)));
  await run.checkFiles();
  return run.problems;
}

/** One verification pass: what it has seen so far and the problems found. */
class VerifyRun {
  readonly problems: string[] = [];
  readonly layers: Map<string, LayerRecord>;
  /** Blobs some record names. */
  readonly #referenced = new Set<Digest>();
  /** Size of each blob checked so far (undefined: missing), so each is hashed once. */
  readonly #blobSizes = new Map<Digest, number | undefined>();
  readonly #ctx: StoreContext;
  readonly #rehashLimit: number;

  constructor(ctx: StoreContext, layers: LayerRecord[], opts: VerifyOptions) {
    this.#ctx = ctx;
    this.layers = new Map(layers.map((l) => [l.id, l]));
    this.#rehashLimit = opts.rehashLimit ?? Number.POSITIVE_INFINITY;
  }

  async checkLayer(layer: LayerRecord): Promise<void> {
    const where = `layer "${layer.id}"`;
    if (layer.parent !== undefined && !this.layers.has(layer.parent)) {
      this.problems.push(`${where}: parent "${layer.parent}" has no record`);
    }
    const parent = layer.parent === undefined ? undefined : (`sha256:${layer.parent}` as Digest);
    if (digestHex(chainId(parent, layer.diffId)) !== layer.id) {
      this.problems.push(`${where}: ID is not the chain ID of its parent and "${layer.diffId}"`);
    }
    if (!isDirectory(layerDiffDir(this.#ctx.layout, layer.id))) {
      this.problems.push(`${where}: directory "overlay/${layer.id}/diff" is missing`);
    }
    await this.#expectBlob(layer.digest, layer.size, where);
  }

  async checkImage(image: ImageRecord): Promise<void> {
    const where = `image "${image.id}"`;
    const configDigest: Digest = `sha256:${image.id}`;
    await this.#expectBlob(configDigest, image.configSize, where);
    await this.#expectBlob(image.digest, image.manifestSize, where);

    const chain: LayerRecord[] = [];
    for (let id = image.topLayer; id !== undefined && chain.length <= this.layers.size; ) {
      const layer = this.layers.get(id);
      if (!layer) {
        this.problems.push(`${where}: layer "${id}" has no record`);
        return;
      }
      chain.unshift(layer);
      id = layer.parent;
    }
    const size = image.configSize + image.manifestSize + chain.reduce((n, l) => n + l.diffSize, 0);
    if (size !== image.size) this.problems.push(`${where}: size ${image.size}, expected ${size}`);
    if (this.#blobSizes.get(configDigest) !== undefined) this.#checkConfig(image, chain, where);
  }

  /** Every name points at an image (the foreign key makes this hold unless it was off). */
  checkNames(imageIds: Set<string>): void {
    for (const { name, imageId } of this.#ctx.db.images.allNames()) {
      if (!imageIds.has(imageId)) {
        this.problems.push(`name "${name}" points at missing image "${imageId}"`);
      }
    }
  }

  /** Layer directories and blobs on disk: named by a record, and blobs true to their name. */
  async checkFiles(): Promise<void> {
    for (const id of readdirSync(this.#ctx.layout.overlay)) {
      if (isHex64(id) && !this.layers.has(id)) {
        this.problems.push(`layer directory "${id}" has no record`);
      }
    }
    for (const hex of this.#ctx.blobs.list()) {
      const d: Digest = `sha256:${hex}`;
      if (!this.#referenced.has(d)) this.problems.push(`blob "${d}" is not referenced`);
      await this.#blobSize(d);
    }
  }

  #checkConfig(image: ImageRecord, chain: LayerRecord[], where: string): void {
    const config = this.#ctx.blobs.read(`sha256:${image.id}`);
    if (digestHex(sha256Digest(config)) !== image.id) {
      this.problems.push(`${where}: config bytes do not hash to the image ID`);
      return;
    }
    try {
      const facts = readConfigFacts(config);
      const diffIds = chain.map((l) => l.diffId).join(",");
      if (facts.diffIds !== undefined && facts.diffIds.join(",") !== diffIds) {
        this.problems.push(`${where}: layer chain does not match rootfs.diff_ids`);
      }
      if (facts.created !== image.created)
        this.problems.push(`${where}: created differs from config`);
      if (JSON.stringify(facts.labels) !== JSON.stringify(image.labels)) {
        this.problems.push(`${where}: labels differ from config`);
      }
    } catch (err) {
      this.problems.push(`${where}: ${(err as Error).message}`);
    }
  }

  async #expectBlob(d: Digest, size: number, where: string): Promise<void> {
    this.#referenced.add(d);
    const actual = await this.#blobSize(d);
    if (actual === undefined) this.problems.push(`${where}: blob "${d}" is missing`);
    else if (actual !== size)
      this.problems.push(`${where}: blob "${d}" has ${actual} bytes, not ${size}`);
  }

  /** The blob's size (undefined if missing); a digest mismatch is reported once. */
  async #blobSize(d: Digest): Promise<number | undefined> {
    if (this.#blobSizes.has(d)) return this.#blobSizes.get(d);
    let size: number | undefined;
    try {
      size = statSync(this.#ctx.blobs.path(d)).size;
      if (size <= this.#rehashLimit) {
        const actual = await this.#ctx.blobs.hash(d);
        if (actual.digest !== d) this.problems.push(`blob "${d}" hashes to "${actual.digest}"`);
      }
    } catch (err) {
      if (!hasCode(err, "ENOENT")) this.problems.push(`blob "${d}": ${(err as Error).message}`);
    }
    this.#blobSizes.set(d, size);
    return size;
  }
}

/** True when `path` is a directory; false when it or a parent is missing or not a directory. */
export function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch (err) {
    if (hasCode(err, "ENOENT") || hasCode(err, "ENOTDIR")) return false;
    throw err;
  }
}
