import { imageError } from "../errors.ts";
import { type ImageStore, storeContext } from "../image/image-store.ts";
import type { EmbeddedImageRow } from "../metadata/embedded-rows.ts";
import { MSG } from "./messages.ts";

export type { EmbeddedImageRow } from "../metadata/embedded-rows.ts";

const PREFIX_RE = /^[0-9a-f]{3,64}$/;

/**
 * Records an embedded image, in one write transaction (so two processes loading at once agree):
 * the same name, manifest digest and manifest path already stored is a no-op (returns the stored
 * row and `false`); the same name with another manifest or path is `AlreadyExists` with iSulad's
 * `Image name is conflicted in the database`; a name an OCI image holds is `AlreadyExists` too
 * (iSulad would let the OCI image shadow it). Returns the row and whether it was inserted.
 */
export function putEmbeddedImage(
  store: ImageStore,
  row: EmbeddedImageRow,
): { row: EmbeddedImageRow; inserted: boolean } {
  const { db } = storeContext(store);
  return db.immediate(() => {
    if (db.images.nameOwner(row.name) !== undefined) {
      throw imageError(
        "AlreadyExists",
        `${MSG.nameConflict}: "${row.name}" is the name of a docker image`,
      );
    }
    const stored = db.embedded.get(row.name);
    if (stored) {
      if (stored.id === row.id && stored.manifestPath === row.manifestPath) {
        return { row: stored, inserted: false };
      }
      throw imageError("AlreadyExists", MSG.nameConflict);
    }
    db.embedded.insert(row);
    return { row, inserted: true };
  });
}

/** Every embedded image, in the order loaded. */
export function listEmbeddedImages(store: ImageStore): EmbeddedImageRow[] {
  return storeContext(store).db.embedded.list();
}

/** The embedded image with this normalised name (`test:v1`). */
export function findEmbeddedByName(store: ImageStore, name: string): EmbeddedImageRow | undefined {
  return storeContext(store).db.embedded.get(name);
}

/**
 * The one embedded image whose ID is `prefix` or starts with it (3-64 lowercase hex);
 * undefined when none or several match.
 */
export function findEmbeddedByIdPrefix(
  store: ImageStore,
  prefix: string,
): EmbeddedImageRow | undefined {
  if (!PREFIX_RE.test(prefix)) return undefined;
  const rows = storeContext(store).db.embedded.withIdPrefix(prefix);
  return rows.length === 1 ? rows[0] : undefined;
}

/** Deletes the record of an embedded image; its layer files stay. False when there was none. */
export function removeEmbeddedImage(store: ImageStore, name: string): boolean {
  return storeContext(store).db.embedded.delete(name);
}
