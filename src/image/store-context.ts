import type { BlobStore } from "../content/blob-store.ts";
import type { Trash } from "../content/trash.ts";
import type { MetadataDb } from "../metadata/metadata-db.ts";
import type { StoreLayout } from "./store-layout.ts";

/** What the store's operations share: paths, database, blobs and trash of one open store. */
export interface StoreContext {
  layout: StoreLayout;
  db: MetadataDb;
  blobs: BlobStore;
  trash: Trash;
}
