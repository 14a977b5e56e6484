import { mkdirSync } from "node:fs";
import { join } from "node:path";

/** Paths of one store (DESIGN §4); every directory is created with mode 0700. */
export interface StoreLayout {
  /** `<graph>/storage`. */
  root: string;
  database: string;
  /** `blobs/sha256`. */
  blobs: string;
  /** In-flight writes, named after their owning process (`content/ingest.ts`). */
  ingest: string;
  /** `overlay/<layer-id>/diff`. */
  overlay: string;
  /** Things being deleted (`content/trash.ts`). */
  trash: string;
}

/** The layout under `<graph>/storage`. */
export function storeLayout(graph: string): StoreLayout {
  const root = join(graph, "storage");
  return {
    root,
    database: join(root, "metadata.db"),
    blobs: join(root, "blobs", "sha256"),
    ingest: join(root, "ingest"),
    overlay: join(root, "overlay"),
    trash: join(root, "trash"),
  };
}

/** Creates the store's directories that are missing (0700, parents included). */
export function createStoreDirs(layout: StoreLayout): void {
  for (const dir of [layout.blobs, layout.ingest, layout.overlay, layout.trash]) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  }
}

/** `overlay/<id>`: the layer's directory (holds `diff`, later `work` and friends). */
export function layerHome(layout: StoreLayout, id: string): string {
  return join(layout.overlay, id);
}

/** `overlay/<id>/diff`: the unpacked layer. */
export function layerDiffDir(layout: StoreLayout, id: string): string {
  return join(layout.overlay, id, "diff");
}
