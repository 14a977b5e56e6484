import type Database from "better-sqlite3";
import { EmbeddedRows } from "./embedded-rows.ts";
import { ImageRows } from "./image-rows.ts";
import { LayerRows } from "./layer-rows.ts";
import { LeaseRows } from "./lease-rows.ts";
import { openDatabase } from "./open-database.ts";

/**
 * The store's database (DESIGN §4): images, names, layers, leases, embedded images. One
 * instance per process and store; better-sqlite3 is synchronous, so calls never interleave
 * within a process, and SQLite's locks order them across processes. Statements are prepared
 * once, at open.
 *
 * The owner calls {@link MetadataDb.close}.
 */
export class MetadataDb {
  readonly images: ImageRows;
  readonly layers: LayerRows;
  readonly leases: LeaseRows;
  readonly embedded: EmbeddedRows;
  readonly #db: Database.Database;

  private constructor(db: Database.Database) {
    this.#db = db;
    this.images = new ImageRows(db);
    this.layers = new LayerRows(db);
    this.leases = new LeaseRows(db);
    this.embedded = new EmbeddedRows(db);
  }

  /**
   * Opens or creates the database at `path`; see `openDatabase` for pragmas and errors. With
   * `readonly`, opens an existing one without writing anything (statements that write throw).
   */
  static open(path: string, opts: { readonly?: boolean } = {}): MetadataDb {
    return new MetadataDb(openDatabase(path, opts));
  }

  /**
   * Runs `fn` in a `BEGIN IMMEDIATE` transaction: it holds the database's write lock from the
   * start, so no other process writes until `fn` returns and the transaction commits. `fn`
   * throwing rolls the transaction back and rethrows. Nested calls become savepoints.
   */
  immediate<T>(fn: () => T): T {
    if (this.#db.inTransaction) return this.#db.transaction(fn)();
    return this.#db.transaction(fn).immediate();
  }

  /**
   * Runs `fn`, which only reads, on one snapshot of the database (a deferred transaction, which
   * in WAL mode takes no lock that would stop a writer): a record and its names, or a name and
   * the record it points at, are read as of one moment even while other processes write.
   */
  snapshot<T>(fn: () => T): T {
    if (this.#db.inTransaction) return fn();
    return this.#db.transaction(fn).deferred();
  }

  /** True inside {@link MetadataDb.immediate}. */
  get inTransaction(): boolean {
    return this.#db.inTransaction;
  }

  close(): void {
    this.#db.close();
  }
}
