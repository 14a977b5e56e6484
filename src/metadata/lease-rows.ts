import type Database from "better-sqlite3";
import type { LeaseRow } from "./types.ts";

interface LeaseSql {
  id: string;
  pid: number;
  start_time: string;
  created: string;
}

/**
 * Prepared statements over `leases` and `lease_layers`. Whether a lease's process is still alive
 * is for the caller to decide: this folder knows nothing of processes.
 */
export class LeaseRows {
  readonly #all: Database.Statement<[], LeaseSql>;
  readonly #insert: Database.Statement<[LeaseSql]>;
  readonly #delete: Database.Statement<[string]>;
  readonly #hold: Database.Statement<[string, string]>;
  readonly #holders: Database.Statement<[string], LeaseSql>;
  readonly #held: Database.Statement<[string], { layer_id: string }>;

  constructor(db: Database.Database) {
    this.#all = db.prepare("SELECT id, pid, start_time, created FROM leases");
    this.#insert = db.prepare(
      "INSERT INTO leases (id, pid, start_time, created) VALUES (@id, @pid, @start_time, @created)",
    );
    this.#delete = db.prepare("DELETE FROM leases WHERE id = ?");
    this.#hold = db.prepare(
      "INSERT OR IGNORE INTO lease_layers (lease_id, layer_id) VALUES (?, ?)",
    );
    this.#holders = db.prepare(
      `SELECT l.id, l.pid, l.start_time, l.created FROM lease_layers h
       JOIN leases l ON l.id = h.lease_id WHERE h.layer_id = ?`,
    );
    this.#held = db.prepare("SELECT layer_id FROM lease_layers WHERE lease_id = ?");
  }

  list(): LeaseRow[] {
    return this.#all.all().map(toRow);
  }

  insert(row: LeaseRow): void {
    this.#insert.run({
      id: row.id,
      pid: row.pid,
      start_time: row.startTime,
      created: row.created,
    });
  }

  /** Deletes a lease and its holds; false when there was none. */
  delete(id: string): boolean {
    return this.#delete.run(id).changes > 0;
  }

  /** Pins `layerId` (which must exist) to the lease. */
  hold(leaseId: string, layerId: string): void {
    this.#hold.run(leaseId, layerId);
  }

  /** The leases holding a layer. */
  holders(layerId: string): LeaseRow[] {
    return this.#holders.all(layerId).map(toRow);
  }

  /** The layers a lease holds. */
  heldBy(leaseId: string): string[] {
    return this.#held.all(leaseId).map((r) => r.layer_id);
  }
}

function toRow(r: LeaseSql): LeaseRow {
  return { id: r.id, pid: r.pid, startTime: r.start_time, created: r.created };
}
