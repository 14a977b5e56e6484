import { renameSync } from "node:fs";
import { join } from "node:path";
import { fsyncDir } from "../content/durable-fs.ts";
import { isProcessAlive } from "../content/process-identity.ts";
import type { Digest } from "../digest/digest.ts";
import { imageError } from "../errors.ts";
import { crashPoint } from "../testing/crash-point.ts";
import { type Undo, undoAll } from "./file-moves.ts";
import type { StoreContext } from "./store-context.ts";
import { layerHome } from "./store-layout.ts";
import type { ImageRecord } from "./types.ts";

/**
 * Deletes an image, its names, and then its layers from the top down while each is unused
 * (isulad-behaviour §6.6): the walk stops at the first layer that is another image's top layer,
 * another layer's parent, or held by a lease of a live process. Blobs that no remaining image or
 * layer references go too: the config, the manifest, the deleted layers' blobs.
 *
 * In one write transaction, records are deleted and files renamed into the trash (so no other
 * process can commit the same layer half-way through); after COMMIT the trash entries are
 * removed. A crash before COMMIT is undone by the next open (`store-cleanup.ts`).
 * `NotFound` when no image has this ID. `guard`, given the image as it is inside the transaction,
 * may call the delete off: then nothing changes and the result is `undefined`.
 */
export function deleteImage(
  ctx: StoreContext,
  id: string,
  guard?: (image: ImageRecord | undefined) => boolean,
): { removedLayers: string[] } | undefined {
  const trashed: string[] = [];
  const removedLayers = ctx.db.immediate(() => {
    const undo: Undo = [];
    const toTrash = (path: string, kind: string, key: string) => {
      const entry = ctx.trash.moveIn(path, { kind, key });
      if (entry === undefined) return;
      trashed.push(entry);
      undo.push(() => renameSync(join(ctx.trash.dir, entry), path));
    };
    try {
      crashPoint("rmi.tx-begun");
      const image = ctx.db.images.get(id);
      if (guard !== undefined && !guard(image)) return undefined;
      if (!image) throw imageError("NotFound", `image "${id}" not found`);
      ctx.db.images.delete(id);
      crashPoint("rmi.image-deleted");

      const blobs = new Set<Digest>([`sha256:${id}`, image.digest]);
      const removed: string[] = [];
      for (let layerId = image.topLayer; layerId !== undefined; ) {
        const layer = ctx.db.layers.get(layerId);
        if (layer === undefined || isInUse(ctx, layerId)) break;
        ctx.db.layers.delete(layerId);
        toTrash(layerHome(ctx.layout, layerId), "layer", layerId);
        crashPoint("rmi.layer-trashed");
        removed.push(layerId);
        blobs.add(layer.digest);
        layerId = layer.parent;
      }
      for (const d of blobs) {
        if (ctx.db.images.referencesBlob(d) || ctx.db.layers.referencesBlob(d)) continue;
        toTrash(ctx.blobs.path(d), "blob", d.slice(7));
        crashPoint("rmi.blob-trashed");
      }

      ctx.trash.sync();
      fsyncDir(ctx.layout.overlay);
      fsyncDir(ctx.blobs.dir);
      crashPoint("rmi.dirs-synced");
      return removed;
    } catch (err) {
      undoAll(undo);
      trashed.length = 0;
      throw err;
    }
  });
  if (removedLayers === undefined) return undefined;
  crashPoint("rmi.committed");
  ctx.trash.empty(trashed);
  crashPoint("rmi.trash-emptied");
  return { removedLayers };
}

/** Another image's top layer, another layer's parent, or held by a live lease. */
function isInUse(ctx: StoreContext, layerId: string): boolean {
  if (ctx.db.images.isTopLayer(layerId) || ctx.db.layers.hasChild(layerId)) return true;
  return ctx.db.leases.holders(layerId).some((l) => isProcessAlive(l));
}
