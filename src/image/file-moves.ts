/**
 * File moves made inside a write transaction, to be undone in reverse order if the transaction
 * fails before COMMIT (SQLite rolls back the records, this rolls back the files).
 */
export type Undo = (() => void)[];

/**
 * Runs the undo steps newest first. Best effort: a step that fails leaves a file where the
 * rolled-back records do not expect it, which the next cleanup settles (a layer or blob in the
 * trash that a record wants is restored at open; a file with no record goes at the next orphan
 * scan). The caller rethrows its original error, which is what the user needs to see.
 */
export function undoAll(undo: Undo): void {
  for (const step of undo.reverse()) {
    try {
      step();
    } catch {
      // see above
    }
  }
  undo.length = 0;
}
