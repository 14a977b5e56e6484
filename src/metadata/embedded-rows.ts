import type Database from "better-sqlite3";

/**
 * An embedded image as the database stores it (isulad-behaviour §7.3): the manifest is kept
 * verbatim and its layer files stay where they are, referenced from the manifest.
 */
export interface EmbeddedImageRow {
  /** The manifest's `imageName`, normalised (`test:v1`); the image's one name and the key. */
  name: string;
  /** 64 hex: sha256 of the manifest bytes. */
  id: string;
  /** Real path of the manifest file when it was loaded (symlinks resolved). */
  manifestPath: string;
  /** The manifest file's bytes, verbatim. */
  manifest: Buffer;
  /** The manifest's `created`, verbatim. */
  created: string;
  /** Sum of the file sizes of layers 1..n, in bytes (directory layers count 0). */
  size: number;
  /** Layer 0's `pathInHost`: the root filesystem (a block device, or `/`). */
  mountString: string;
  /** RFC 3339 UTC with nanoseconds: when the image was loaded. */
  loaded: string;
}

interface EmbeddedSql {
  name: string;
  id: string;
  manifest_path: string;
  manifest: Buffer;
  created: string;
  size: number;
  mount_string: string;
  loaded: string;
}

const COLUMNS = "name, id, manifest_path, manifest, created, size, mount_string, loaded";

/**
 * Prepared statements over `embedded_images`. Callers that read then write (load's conflict
 * checks) wrap both in `MetadataDb.immediate`.
 */
export class EmbeddedRows {
  readonly #all: Database.Statement<[], EmbeddedSql>;
  readonly #get: Database.Statement<[string], EmbeddedSql>;
  readonly #byPrefix: Database.Statement<[string, string], EmbeddedSql>;
  readonly #insert: Database.Statement<[EmbeddedSql]>;
  readonly #delete: Database.Statement<[string]>;

  constructor(db: Database.Database) {
    this.#all = db.prepare(`SELECT ${COLUMNS} FROM embedded_images ORDER BY rowid`);
    this.#get = db.prepare(`SELECT ${COLUMNS} FROM embedded_images WHERE name = ?`);
    // Every id starting with the hex prefix p sorts in [p, p || 'g'): 'g' follows all hex digits.
    this.#byPrefix = db.prepare(
      `SELECT ${COLUMNS} FROM embedded_images WHERE id >= ? AND id < ? ORDER BY rowid LIMIT 2`,
    );
    this.#insert = db.prepare(
      `INSERT INTO embedded_images (${COLUMNS}) VALUES (@name, @id, @manifest_path, @manifest,
       @created, @size, @mount_string, @loaded)`,
    );
    this.#delete = db.prepare("DELETE FROM embedded_images WHERE name = ?");
  }

  /** Every embedded image, in the order loaded. */
  list(): EmbeddedImageRow[] {
    return this.#all.all().map(toRow);
  }

  /** The embedded image named `name` (normalised), if any. */
  get(name: string): EmbeddedImageRow | undefined {
    const r = this.#get.get(name);
    return r && toRow(r);
  }

  /** Embedded images whose ID starts with `prefix` (lowercase hex), at most two. */
  withIdPrefix(prefix: string): EmbeddedImageRow[] {
    return this.#byPrefix.all(prefix, `${prefix}g`).map(toRow);
  }

  /** Inserts a row; SQLite refuses a name already taken (here or, by trigger, in `names`). */
  insert(row: EmbeddedImageRow): void {
    this.#insert.run({
      name: row.name,
      id: row.id,
      manifest_path: row.manifestPath,
      manifest: row.manifest,
      created: row.created,
      size: row.size,
      mount_string: row.mountString,
      loaded: row.loaded,
    });
  }

  /** Deletes the image named `name`; false when there was none. */
  delete(name: string): boolean {
    return this.#delete.run(name).changes > 0;
  }
}

function toRow(r: EmbeddedSql): EmbeddedImageRow {
  return {
    name: r.name,
    id: r.id,
    manifestPath: r.manifest_path,
    manifest: r.manifest,
    created: r.created,
    size: r.size,
    mountString: r.mount_string,
    loaded: r.loaded,
  };
}
