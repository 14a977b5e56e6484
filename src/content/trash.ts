import { readdirSync, renameSync } from "node:fs";
import { join } from "node:path";
import { randomHex } from "../digest/digest.ts";
import { hasCode } from "../errors.ts";
import { crashPoint } from "../testing/crash-point.ts";
import { fsyncDir, removeTree } from "./durable-fs.ts";

/** What a trash entry was before it was moved in: `layer` + ID, `blob` + hex, or `drop`. */
export interface TrashLabel {
  kind: string;
  key: string;
}

/**
 * A directory that things being deleted are renamed into, on the same file system as the store,
 * so that removal is one atomic rename now and a slow `rm -rf` later. Entry names are
 * `<kind>-<key>.<random>`, so that a crash between the two can be understood (and undone) by the
 * next process: see `image/store-cleanup.ts`.
 */
export class Trash {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
  }

  /**
   * Renames `path` into the trash; returns the entry name, or undefined when `path` does not
   * exist. The rename is not yet durable: call {@link Trash.sync} before committing.
   */
  moveIn(path: string, label: TrashLabel): string | undefined {
    const name = `${label.kind}-${label.key}.${randomHex(6)}`;
    try {
      renameSync(path, join(this.dir, name));
    } catch (err) {
      if (hasCode(err, "ENOENT")) return undefined;
      throw err;
    }
    crashPoint("trash.moved-in");
    return name;
  }

  /** Renames an entry back to `path` (undoing {@link Trash.moveIn}). */
  restore(name: string, path: string): void {
    renameSync(join(this.dir, name), path);
    crashPoint("trash.restored");
  }

  /** Entry names now in the trash. */
  entries(): string[] {
    return readdirSync(this.dir);
  }

  /** Makes the renames into the trash durable. */
  sync(): void {
    fsyncDir(this.dir);
  }

  /** Removes entries for good; another process removing them too is fine. */
  empty(names: readonly string[]): void {
    for (const name of names) {
      removeTree(join(this.dir, name));
      crashPoint("trash.entry-removed");
    }
  }
}

/** Reads the label back from an entry name; undefined for a name the trash did not make. */
export function trashLabel(name: string): TrashLabel | undefined {
  const m = /^([a-z]+)-([^.]*)\.[0-9a-f]+$/.exec(name);
  return m ? { kind: m[1] as string, key: m[2] as string } : undefined;
}
