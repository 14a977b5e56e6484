import type { LayerRecord } from "../image/types.ts";
import type { ImageConfig } from "../oci/types.ts";
import type { HistoryItem } from "./types.ts";

/**
 * The history of an image as `docker history` shows it, newest first: one item per entry of the
 * config's `history`, the entries that made a layer (`empty_layer` not set) taking the stored
 * layers' diff sizes in order, the others 0. The newest item carries the image ID. A config
 * without history (synthesised ones) gives one item per layer, with the image's `created`.
 * Entries beyond the layers count 0; layers beyond the entries are not shown, as Docker does.
 */
export function imageHistory(
  imageId: string,
  config: ImageConfig,
  layers: readonly LayerRecord[],
): HistoryItem[] {
  const entries = Array.isArray(config.history) ? config.history : [];
  let items: HistoryItem[];
  if (entries.length === 0) {
    items = layers.map((layer) => ({
      created: text(config.created),
      createdBy: "",
      size: layer.diffSize,
      comment: "",
      emptyLayer: false,
    }));
  } else {
    let next = 0;
    items = entries.map((entry) => {
      const emptyLayer = entry?.empty_layer === true;
      const size = emptyLayer ? 0 : (layers[next++]?.diffSize ?? 0);
      return {
        created: text(entry?.created),
        createdBy: text(entry?.created_by),
        size,
        comment: text(entry?.comment),
        emptyLayer,
      };
    });
  }
  items.reverse();
  if (items[0]) items[0].id = imageId;
  return items;
}

function text(value: unknown): string {
  return typeof value === "string" ? value : "";
}
