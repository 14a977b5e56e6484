import { readdirSync } from "node:fs";
import { join } from "node:path";
import { removeTree } from "../content/durable-fs.ts";
import { sweepIngest } from "../content/ingest.ts";
import { isProcessAlive, livenessCache } from "../content/process-identity.ts";
import { trashLabel } from "../content/trash.ts";
import { type Digest, isHex64 } from "../digest/digest.ts";
import { hasCode } from "../errors.ts";
import { WHITEOUT_PROBE_PREFIX } from "../layer/types.ts";
import { crashPoint } from "../testing/crash-point.ts";
import type { StoreContext } from "./store-context.ts";
import { layerHome } from "./store-layout.ts";

/**
 * Cleans what crashed processes left, cheaply enough to run on every open: when nothing is to be
 * done it costs two small `readdir`s (trash, ingest) and one query of `leases`.
 *
 * 1. Trash entries and expired leases (owner dead, or its pid reused) are handled in one write
 *    transaction, and only if there are any.
 *    - A trash entry whose thing the database still wants (a layer record with no directory, a
 *      referenced blob that is missing) was moved by a transaction that crashed before COMMIT:
 *      it is renamed back. Any other entry is removed after our COMMIT.
 *    - A dead lease means its process may have died inside `commitImage`, after renaming files
 *      into `blobs/` or `overlay/` but before COMMIT. So its rows go, and the whole store is
 *      scanned for layer directories and blobs that no record names (see {@link collectOrphans}).
 * 2. Ingest entries whose owning process is dead are removed; no lock is needed, as nothing else
 *    owns them, and entries of live processes are never touched.
 */
export function cleanupOnOpen(ctx: StoreContext): void {
  const alive = livenessCache();
  const trashEntries = ctx.trash.entries();
  if (trashEntries.length > 0 || ctx.db.leases.list().some((l) => !alive(l))) {
    const toEmpty = ctx.db.immediate(() => {
      const dead = ctx.db.leases.list().filter((l) => !alive(l));
      for (const lease of dead) ctx.db.leases.delete(lease.id);
      const entries = settleTrash(ctx);
      crashPoint("cleanup.trash-settled");
      if (dead.length > 0) entries.push(...collectOrphans(ctx));
      crashPoint("cleanup.orphans-collected");
      return entries;
    });
    crashPoint("cleanup.committed");
    ctx.trash.empty(toEmpty);
    crashPoint("cleanup.trash-emptied");
  }
  sweepIngest(ctx.layout.ingest, alive);
  removeDeadProbes(ctx.layout.root);
}

/**
 * Removes whiteout-probe folders (`layer/whiteout.ts`) left in the store's root by a process
 * killed mid-probe; the pid in the name says whose. A live pid's folder is left alone: it is
 * either probing now, or its pid was reused and the folder goes once that process ends.
 */
function removeDeadProbes(root: string): void {
  for (const name of readdirSync(root)) {
    if (!name.startsWith(WHITEOUT_PROBE_PREFIX)) continue;
    const pid = Number(/^(\d+)-/.exec(name.slice(WHITEOUT_PROBE_PREFIX.length))?.[1]);
    const alive = pid === process.pid || isProcessAlive({ pid, startTime: "" });
    if (!Number.isInteger(pid) || !alive) {
      removeTree(join(root, name));
    }
  }
}

/** Under the write lock: restores what a rolled-back transaction trashed; returns the rest. */
function settleTrash(ctx: StoreContext): string[] {
  const toEmpty: string[] = [];
  let restored = false;
  for (const entry of ctx.trash.entries()) {
    const label = trashLabel(entry);
    const home = label && wantedHome(ctx, label.kind, label.key);
    if (home === undefined) {
      toEmpty.push(entry);
      continue;
    }
    try {
      ctx.trash.restore(entry, home);
      restored = true;
    } catch (err) {
      // The home exists again (a later commit re-created it): the entry is a spare copy.
      if (!hasCode(err, "EEXIST") && !hasCode(err, "ENOTEMPTY") && !hasCode(err, "ENOTDIR")) {
        throw err;
      }
      toEmpty.push(entry);
    }
  }
  if (restored) ctx.trash.sync();
  return toEmpty;
}

/** Where a trashed thing lived, if the database still names it; else undefined. */
function wantedHome(ctx: StoreContext, kind: string, key: string): string | undefined {
  if (!isHex64(key)) return undefined;
  if (kind === "layer") {
    return ctx.db.layers.get(key) ? layerHome(ctx.layout, key) : undefined;
  }
  if (kind === "blob") {
    const d: Digest = `sha256:${key}`;
    const wanted = ctx.db.images.referencesBlob(d) || ctx.db.layers.referencesBlob(d);
    return wanted && !ctx.blobs.has(d) ? ctx.blobs.path(d) : undefined;
  }
  return undefined;
}

/**
 * Moves layer directories and blobs that no record names into the trash; returns the entries.
 *
 * Must run under the write lock. Every rename into `blobs/` and `overlay/` happens inside a
 * write transaction, together with the insert of the record naming it, so while we hold the lock
 * no other process is between the two: a file without a record now is one whose transaction
 * rolled back (or died), never one about to be committed. No age threshold is needed.
 */
export function collectOrphans(ctx: StoreContext): string[] {
  const entries: string[] = [];
  const move = (path: string, kind: string, key: string) => {
    const entry = ctx.trash.moveIn(path, { kind, key });
    if (entry !== undefined) entries.push(entry);
  };
  for (const id of readdirSync(ctx.layout.overlay)) {
    if (isHex64(id) && !ctx.db.layers.get(id)) move(layerHome(ctx.layout, id), "layer", id);
  }
  for (const hex of ctx.blobs.list()) {
    const d: Digest = `sha256:${hex}`;
    if (ctx.db.images.referencesBlob(d) || ctx.db.layers.referencesBlob(d)) continue;
    move(ctx.blobs.path(d), "blob", hex);
  }
  if (entries.length > 0) ctx.trash.sync();
  return entries;
}
