import { closeSync, openSync } from "node:fs";
import Database from "better-sqlite3";
import { imageError } from "../errors.ts";
import { MIGRATIONS, SCHEMA_VERSION } from "./schema.ts";

/** How long a statement waits for another process's write lock before failing `SQLITE_BUSY`. */
export const BUSY_TIMEOUT_MS = 15_000;

/**
 * Opens (creating if needed) the SQLite file at `path` and brings its schema up to date.
 *
 * Pragmas: WAL, so readers never wait for a writer and several processes share the file;
 * `synchronous=NORMAL`, which in WAL mode never corrupts the database and at worst loses the last
 * transactions on power loss (not on a process crash), a trade the store accepts because files
 * are renamed into place before the records that name them commit; `foreign_keys=ON`.
 *
 * The file is created with mode 0600. Throws `FailedPrecondition` when the file was written by a newer schema, `Unavailable` when
 * another process held the write lock for longer than {@link BUSY_TIMEOUT_MS}. The caller closes
 * the returned handle.
 */
export function openDatabase(path: string): Database.Database {
  // SQLite would create the file 0644; -wal and -shm copy the main file's mode.
  if (path !== ":memory:") closeSync(openSync(path, "a", 0o600));
  const db = new Database(path);
  try {
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    if (db.pragma("journal_mode", { simple: true }) !== "wal") db.pragma("journal_mode = WAL");
    db.pragma("synchronous = NORMAL");
    db.pragma("foreign_keys = ON");
    migrate(db, path);
    return db;
  } catch (err) {
    db.close();
    if (err instanceof Error && (err as { code?: string }).code === "SQLITE_BUSY") {
      throw imageError("Unavailable", `opening "${path}": database is locked`, err);
    }
    throw err;
  }
}

/** Runs the migrations the file lacks, in one write transaction (re-checked under the lock). */
function migrate(db: Database.Database, path: string): void {
  const current = () => db.pragma("user_version", { simple: true }) as number;
  if (current() === SCHEMA_VERSION) return;

  db.transaction(() => {
    const from = current();
    if (from > SCHEMA_VERSION) {
      throw imageError(
        "FailedPrecondition",
        `opening "${path}": schema version ${from} is newer than this program's ${SCHEMA_VERSION}`,
      );
    }
    for (let v = from; v < SCHEMA_VERSION; v++) db.exec(MIGRATIONS[v] as string);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }).immediate();
}
