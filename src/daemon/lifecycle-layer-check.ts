import { createHash } from "node:crypto";
import { createReadStream, statSync } from "node:fs";
import type { Digest } from "../digest/digest.ts";
import { hasCode } from "../errors.ts";
import type { ImageStore } from "../image/image-store.ts";
import type { ImageRecord } from "../image/types.ts";
import { isDirectory } from "../image/verify-store.ts";
import { layerContentProblem } from "./layer-content-check.ts";

/** What the check found: images removed, with the first reason for each. */
export interface LayerCheckResult {
  checkedImages: number;
  checkedBlobs: number;
  removed: { id: string; names: string[]; reason: string }[];
}

/**
 * `image-layer-check` after an unclean shutdown (isulad-behaviour §6.8), as far as this store can
 * check honestly. For every image it verifies:
 * - its config blob exists and hashes to the image ID, and its manifest blob to its digest;
 * - every layer of its chain has a record, and its `overlay/<id>/diff` directory exists;
 * - every layer blob exists, has the recorded size and hashes to the recorded digest;
 * - every non-empty regular file of each layer's tar has the same bytes in its `diff`
 *   directory (`layer-content-check.ts`; iSulad compares CRC64s from its tar-split files, we
 *   compare with the blob we keep);
 * - `rootfs.diff_ids` of the config equal the chain's diffIDs.
 *
 * An image failing any of these is deleted (with its unused layers and blobs, as `rmi` does).
 * Each blob is hashed, and each layer's files compared, once however many images share them.
 * Run before the daemon serves requests.
 */
export async function checkImageLayers(store: ImageStore): Promise<LayerCheckResult> {
  const blobOk = new Map<Digest, string | undefined>();
  const checkBlob = async (d: Digest, size?: number): Promise<string | undefined> => {
    if (!blobOk.has(d)) blobOk.set(d, await blobProblem(store.blobPath(d), d, size));
    return blobOk.get(d);
  };
  const contentOk = new Map<string, string | undefined>();
  const checkContent: ContentCheck = async (layerId, blob) => {
    if (!contentOk.has(layerId)) {
      contentOk.set(layerId, await layerContentProblem(blob, store.layerDir(layerId)));
    }
    return contentOk.get(layerId);
  };
  const result: LayerCheckResult = { checkedImages: 0, checkedBlobs: 0, removed: [] };
  for (const image of store.listImages()) {
    result.checkedImages++;
    const reason = await imageProblem(store, image, checkBlob, checkContent);
    if (reason === undefined) continue;
    store.deleteImage(image.id);
    result.removed.push({ id: image.id, names: image.names, reason });
  }
  result.checkedBlobs = blobOk.size;
  return result;
}

type BlobCheck = (d: Digest, size?: number) => Promise<string | undefined>;
type ContentCheck = (layerId: string, blobPath: string) => Promise<string | undefined>;

async function imageProblem(
  store: ImageStore,
  image: ImageRecord,
  checkBlob: BlobCheck,
  checkContent: ContentCheck,
): Promise<string | undefined> {
  const config = await checkBlob(`sha256:${image.id}`, image.configSize);
  if (config) return `config: ${config}`;
  const manifest = await checkBlob(image.digest, image.manifestSize);
  if (manifest) return `manifest: ${manifest}`;
  let chain: ReturnType<ImageStore["imageLayers"]>;
  try {
    chain = store.imageLayers(image);
  } catch (err) {
    return (err as Error).message;
  }
  for (const layer of chain) {
    if (!isDirectory(store.layerDir(layer.id))) return `layer "${layer.id}": directory missing`;
    const blob = await checkBlob(layer.digest, layer.size);
    if (blob) return `layer "${layer.id}": ${blob}`;
    const content = await checkContent(layer.id, store.blobPath(layer.digest));
    if (content) return `layer "${layer.id}": ${content}`;
  }
  const diffIds = configDiffIds(store.readBlob(`sha256:${image.id}`));
  if (diffIds !== undefined && diffIds.join(",") !== chain.map((l) => l.diffId).join(",")) {
    return "layer chain does not match rootfs.diff_ids";
  }
  return undefined;
}

function configDiffIds(config: Buffer): string[] | undefined {
  try {
    const ids = JSON.parse(config.toString("utf8"))?.rootfs?.diff_ids;
    return Array.isArray(ids) ? ids.map(String) : undefined;
  } catch {
    return undefined;
  }
}

/** Why the blob at `path` is not `d` of `size` bytes, or undefined when it is. */
async function blobProblem(path: string, d: Digest, size?: number): Promise<string | undefined> {
  let actualSize: number;
  try {
    actualSize = statSync(path).size;
  } catch (err) {
    if (hasCode(err, "ENOENT")) return `blob "${d}" is missing`;
    throw err;
  }
  if (size !== undefined && actualSize !== size) {
    return `blob "${d}" has ${actualSize} bytes, not ${size}`;
  }
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  const actual = `sha256:${hash.digest("hex")}`;
  return actual === d ? undefined : `blob "${d}" hashes to "${actual}"`;
}
