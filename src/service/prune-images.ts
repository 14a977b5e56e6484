import { existsSync } from "node:fs";
import type { ImageStore } from "../image/image-store.ts";
import type { ImageRecord, LayerRecord } from "../image/types.ts";
import { repoTags } from "./names.ts";
import type { PruneResult } from "./types.ts";

/**
 * `isula image prune`: deletes the dangling OCI images (no `repo:tag` name, as the
 * `dangling=true` filter says), or with `all` every OCI image (no containers exist here, so no
 * image is in use: Docker's `-a` rule). Embedded images are never pruned: they always have a
 * name, and their files live outside the store.
 *
 * Each image is deleted in its own store transaction, with its layers as `deleteImage` collects
 * them, and only if its names are still those read: one that meanwhile got a tag (or went) is
 * skipped. `reclaimed` counts only what was freed: the diff size of every layer
 * removed, plus its blob when no other layer kept it.
 */
export function pruneImages(store: ImageStore, all: boolean): PruneResult {
  const result: PruneResult = { items: [], reclaimed: 0 };
  for (const candidate of store.listImages()) {
    if (!all && repoTags(candidate).length > 0) continue;
    const record = store.getImage(candidate.id);
    if (record === undefined || (!all && repoTags(record).length > 0)) continue;
    const layers = layersOf(store, record);
    // Not if its names changed since it was read: a tag given meanwhile keeps it.
    const deleted = store.deleteImage(record.id, record);
    if (deleted === undefined) continue;
    const removed = deleted.removedLayers;
    for (const name of record.names) result.items.push({ untagged: name });
    result.items.push({ deleted: record.id });
    for (const id of removed) {
      const layer = layers.get(id);
      if (layer === undefined) continue;
      result.reclaimed += layer.diffSize;
      if (!existsSync(store.blobPath(layer.digest))) result.reclaimed += layer.size;
    }
  }
  return result;
}

/** The image's layer records by ID; empty for a damaged chain (delete still proceeds). */
function layersOf(store: ImageStore, record: ImageRecord): Map<string, LayerRecord> {
  try {
    return new Map(store.imageLayers(record).map((l) => [l.id, l]));
  } catch {
    return new Map();
  }
}
