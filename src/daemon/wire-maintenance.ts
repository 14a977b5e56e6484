import type { HistoryItem, PruneResult } from "../service/types.ts";
import type { PrunedItem, HistoryItem as WireHistoryItem } from "./gen/images.ts";

/** History items on the wire (`HistoryImageResponse.items`); no `id` is "". */
export function historyToWire(items: readonly HistoryItem[]): WireHistoryItem[] {
  return items.map((h) => ({
    id: h.id ?? "",
    created: h.created,
    createdBy: h.createdBy,
    size: BigInt(h.size),
    comment: h.comment,
    emptyLayer: h.emptyLayer,
  }));
}

/** The service's history items from the wire. */
export function historyFromWire(items: readonly WireHistoryItem[]): HistoryItem[] {
  return items.map((h) => ({
    ...(h.id ? { id: h.id } : {}),
    created: h.created,
    createdBy: h.createdBy,
    size: Number(h.size),
    comment: h.comment,
    emptyLayer: h.emptyLayer,
  }));
}

/** A prune report on the wire: one `PrunedItem` per line, one of its fields set. */
export function pruneToWire(r: PruneResult): { items: PrunedItem[]; reclaimed: bigint } {
  const items = r.items.map((i) =>
    "untagged" in i ? { untagged: i.untagged, deleted: "" } : { untagged: "", deleted: i.deleted },
  );
  return { items, reclaimed: BigInt(r.reclaimed) };
}

/** The service's prune report from the wire; items with neither field are dropped. */
export function pruneFromWire(items: readonly PrunedItem[], reclaimed: bigint): PruneResult {
  const out: PruneResult["items"] = [];
  for (const i of items) {
    if (i.untagged) out.push({ untagged: i.untagged });
    else if (i.deleted) out.push({ deleted: i.deleted });
  }
  return { items: out, reclaimed: Number(reclaimed) };
}
