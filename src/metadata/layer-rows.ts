import type Database from "better-sqlite3";
import type { Digest } from "../digest/digest.ts";
import type { WhiteoutFormat } from "../layer/types.ts";
import type { LayerRow } from "./types.ts";

interface LayerSql {
  id: string;
  parent: string | null;
  diff_id: string;
  digest: string;
  size: number;
  media_type: string;
  diff_size: number;
  whiteout_format: string;
  created: string;
}

const COLUMNS =
  "id, parent, diff_id, digest, size, media_type, diff_size, whiteout_format, created";

/** Prepared statements over `layers`. */
export class LayerRows {
  readonly #all: Database.Statement<[], LayerSql>;
  readonly #get: Database.Statement<[string], LayerSql>;
  readonly #insert: Database.Statement<[LayerSql]>;
  readonly #delete: Database.Statement<[string]>;
  readonly #child: Database.Statement<[string], { id: string }>;
  readonly #blobUse: Database.Statement<[string], { id: string }>;

  constructor(db: Database.Database) {
    this.#all = db.prepare(`SELECT ${COLUMNS} FROM layers`);
    this.#get = db.prepare(`SELECT ${COLUMNS} FROM layers WHERE id = ?`);
    this.#insert = db.prepare(
      `INSERT INTO layers (${COLUMNS}) VALUES (@id, @parent, @diff_id, @digest, @size,
       @media_type, @diff_size, @whiteout_format, @created)`,
    );
    this.#delete = db.prepare("DELETE FROM layers WHERE id = ?");
    this.#child = db.prepare("SELECT id FROM layers WHERE parent = ? LIMIT 1");
    this.#blobUse = db.prepare("SELECT id FROM layers WHERE digest = ? LIMIT 1");
  }

  list(): LayerRow[] {
    return this.#all.all().map(toRow);
  }

  get(id: string): LayerRow | undefined {
    const r = this.#get.get(id);
    return r && toRow(r);
  }

  insert(row: LayerRow): void {
    this.#insert.run({
      id: row.id,
      parent: row.parent ?? null,
      diff_id: row.diffId,
      digest: row.digest,
      size: row.size,
      media_type: row.mediaType,
      diff_size: row.diffSize,
      whiteout_format: row.whiteoutFormat,
      created: row.created,
    });
  }

  /** Deletes a layer record (its lease holds go with it); false when there was none. */
  delete(id: string): boolean {
    return this.#delete.run(id).changes > 0;
  }

  /** True when another layer names `id` as its parent. */
  hasChild(id: string): boolean {
    return this.#child.get(id) !== undefined;
  }

  /** True when some layer's blob is `digest`. */
  referencesBlob(digest: Digest): boolean {
    return this.#blobUse.get(digest) !== undefined;
  }
}

function toRow(r: LayerSql): LayerRow {
  const row: LayerRow = {
    id: r.id,
    diffId: r.diff_id as Digest,
    digest: r.digest as Digest,
    size: r.size,
    mediaType: r.media_type,
    diffSize: r.diff_size,
    whiteoutFormat: r.whiteout_format as WhiteoutFormat,
    created: r.created,
  };
  if (r.parent !== null) row.parent = r.parent;
  return row;
}
