import type Database from "better-sqlite3";
import type { Digest } from "../digest/digest.ts";
import type { ImageRow } from "./types.ts";

interface ImageSql {
  id: string;
  top_layer: string | null;
  digest: string;
  manifest_media_type: string;
  config_size: number;
  manifest_size: number;
  size: number;
  created: string;
  loaded: string;
  labels: string;
}

const COLUMNS =
  "id, top_layer, digest, manifest_media_type, config_size, manifest_size, size, created, loaded, labels";

/**
 * Prepared statements over `images` and `names`. Reads run in SQLite's implicit read
 * transaction; callers that combine several writes wrap them in `MetadataDb.immediate`.
 */
export class ImageRows {
  readonly #all: Database.Statement<[], ImageSql>;
  readonly #get: Database.Statement<[string], ImageSql>;
  readonly #byDigest: Database.Statement<[string], ImageSql>;
  readonly #byPrefix: Database.Statement<[string, string], { id: string }>;
  readonly #allNames: Database.Statement<[], { name: string; image_id: string }>;
  readonly #namesOf: Database.Statement<[string], { name: string }>;
  readonly #nameOwner: Database.Statement<[string], { image_id: string }>;
  readonly #insert: Database.Statement<[ImageSql]>;
  readonly #delete: Database.Statement<[string]>;
  readonly #putName: Database.Statement<[string, string]>;
  readonly #deleteName: Database.Statement<[string]>;
  readonly #topUsers: Database.Statement<[string], { id: string }>;
  readonly #blobUse: Database.Statement<[string, string], { n: number }>;

  constructor(db: Database.Database) {
    this.#all = db.prepare(`SELECT ${COLUMNS} FROM images`);
    this.#get = db.prepare(`SELECT ${COLUMNS} FROM images WHERE id = ?`);
    this.#byDigest = db.prepare(`SELECT ${COLUMNS} FROM images WHERE digest = ? ORDER BY id`);
    // Every id starting with the hex prefix p sorts in [p, p || 'g'): 'g' follows all hex digits.
    this.#byPrefix = db.prepare("SELECT id FROM images WHERE id >= ? AND id < ? LIMIT 2");
    this.#allNames = db.prepare("SELECT name, image_id FROM names ORDER BY rowid");
    this.#namesOf = db.prepare("SELECT name FROM names WHERE image_id = ? ORDER BY rowid");
    this.#nameOwner = db.prepare("SELECT image_id FROM names WHERE name = ?");
    this.#insert = db.prepare(
      `INSERT INTO images (${COLUMNS}) VALUES (@id, @top_layer, @digest, @manifest_media_type,
       @config_size, @manifest_size, @size, @created, @loaded, @labels)`,
    );
    this.#delete = db.prepare("DELETE FROM images WHERE id = ?");
    this.#putName = db.prepare("INSERT OR REPLACE INTO names (name, image_id) VALUES (?, ?)");
    this.#deleteName = db.prepare("DELETE FROM names WHERE name = ?");
    this.#topUsers = db.prepare("SELECT id FROM images WHERE top_layer = ? LIMIT 1");
    this.#blobUse = db.prepare(
      "SELECT (SELECT count(*) FROM images WHERE id = ?) + (SELECT count(*) FROM images WHERE digest = ?) AS n",
    );
  }

  /** Every image with its names; one query per table, so cheap for thousands of images. */
  list(): ImageRow[] {
    const names = new Map<string, string[]>();
    for (const { name, image_id } of this.#allNames.all()) {
      const list = names.get(image_id);
      if (list) list.push(name);
      else names.set(image_id, [name]);
    }
    return this.#all.all().map((r) => toRow(r, names.get(r.id) ?? []));
  }

  get(id: string): ImageRow | undefined {
    const r = this.#get.get(id);
    return r && toRow(r, this.namesOf(id));
  }

  byDigest(digest: Digest): ImageRow[] {
    return this.#byDigest.all(digest).map((r) => toRow(r, this.namesOf(r.id)));
  }

  /** IDs starting with `prefix` (lowercase hex), at most two: enough to tell "ambiguous". */
  idsWithPrefix(prefix: string): string[] {
    return this.#byPrefix.all(prefix, `${prefix}g`).map((r) => r.id);
  }

  /** Every name with the image it points at, in the order added. */
  allNames(): { name: string; imageId: string }[] {
    return this.#allNames.all().map((r) => ({ name: r.name, imageId: r.image_id }));
  }

  namesOf(id: string): string[] {
    return this.#namesOf.all(id).map((r) => r.name);
  }

  /** The image holding `name`, if any. */
  nameOwner(name: string): string | undefined {
    return this.#nameOwner.get(name)?.image_id;
  }

  insert(row: ImageRow): void {
    this.#insert.run({
      id: row.id,
      top_layer: row.topLayer ?? null,
      digest: row.digest,
      manifest_media_type: row.manifestMediaType,
      config_size: row.configSize,
      manifest_size: row.manifestSize,
      size: row.size,
      created: row.created,
      loaded: row.loaded,
      labels: JSON.stringify(row.labels),
    });
  }

  /** Deletes the image and, by cascade, its names. Returns false when there was none. */
  delete(id: string): boolean {
    return this.#delete.run(id).changes > 0;
  }

  /**
   * Gives `name` to `imageId`, taking it off any other image. A name the image already holds
   * keeps its place in the order.
   */
  putName(name: string, imageId: string): void {
    if (this.nameOwner(name) === imageId) return;
    this.#putName.run(name, imageId);
  }

  /** Removes a name; false when no image held it. */
  deleteName(name: string): boolean {
    return this.#deleteName.run(name).changes > 0;
  }

  /** True when some image has `layerId` as its top layer. */
  isTopLayer(layerId: string): boolean {
    return this.#topUsers.get(layerId) !== undefined;
  }

  /** True when a blob is an image's config (`sha256:<id>`) or manifest. */
  referencesBlob(digest: Digest): boolean {
    return (this.#blobUse.get(digest.slice(7), digest)?.n ?? 0) > 0;
  }
}

function toRow(r: ImageSql, names: string[]): ImageRow {
  const row: ImageRow = {
    id: r.id,
    names,
    digest: r.digest as Digest,
    manifestMediaType: r.manifest_media_type,
    configSize: r.config_size,
    manifestSize: r.manifest_size,
    size: r.size,
    created: r.created,
    loaded: r.loaded,
    labels: JSON.parse(r.labels) as Record<string, string>,
  };
  if (r.top_layer !== null) row.topLayer = r.top_layer;
  return row;
}
