import { closeSync, openSync } from "node:fs";
import { createRequire } from "node:module";
import Database from "better-sqlite3";
import { imageError } from "../errors.ts";
import { MIGRATIONS, SCHEMA_VERSION } from "./schema.ts";

/**
 * The addon's path, given to better-sqlite3 so that it skips the `bindings` package's search
 * (a dozen candidate paths and a stack trace: a few ms of every `isula` run, issue #4).
 * Undefined, and the default search, when the usual build is not where npm puts it.
 */
const NATIVE_BINDING = (() => {
  try {
    return createRequire(import.meta.url).resolve(
      "better-sqlite3/build/Release/better_sqlite3.node",
    );
  } catch {
    return undefined;
  }
})();

/** Options for `new Database` with the addon's path when known. */
function addonOption(): { nativeBinding?: string } {
  return NATIVE_BINDING === undefined ? {} : { nativeBinding: NATIVE_BINDING };
}

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
export function openDatabase(path: string, opts: { readonly?: boolean } = {}): Database.Database {
  if (opts.readonly) return openReadOnly(path);
  // SQLite would create the file 0644; -wal and -shm copy the main file's mode.
  if (path !== ":memory:") closeSync(openSync(path, "a", 0o600));
  const db = new Database(path, addonOption());
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

/**
 * Opens an existing database for reading only (checkers, tests): no file is created, no pragma
 * or migration is written. `FailedPrecondition` when its schema is not this program's.
 */
function openReadOnly(path: string): Database.Database {
  const db = new Database(path, { readonly: true, fileMustExist: true, ...addonOption() });
  db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  const version = db.pragma("user_version", { simple: true }) as number;
  if (version !== SCHEMA_VERSION) {
    db.close();
    throw imageError(
      "FailedPrecondition",
      `opening "${path}" read-only: schema version ${version}, not ${SCHEMA_VERSION}`,
    );
  }
  return db;
}
