import { lstatSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { hasCode } from "../errors.ts";
import { crashPoint } from "../testing/crash-point.ts";
import { isClaimName, sweepClaim } from "./blob-claim.ts";
import { removeTree } from "./durable-fs.ts";
import type { ProcessIdentity } from "./process-identity.ts";

/** Entries whose name says no owner are removed once they are this old. */
const UNOWNED_MAX_AGE_MS = 60 * 60 * 1000;

const NAME_RE = /^(\d+)-(\d*)-(.+)$/;

/**
 * The name of an ingest entry: `<pid>-<start time>-<tag>-<hint>`. The owner's identity in the
 * name lets any process recognise, and remove, what a dead process left behind without asking
 * the database. `hint` is reduced to `[A-Za-z0-9._-]`, at most 40 characters.
 */
export function ingestEntryName(owner: ProcessIdentity, tag: string, hint: string): string {
  const clean = hint.replace(/[^A-Za-z0-9._-]/g, "_").slice(0, 40);
  return `${owner.pid}-${owner.startTime}-${tag}-${clean}`;
}

/** The owner an ingest entry's name records, or undefined for a name we did not make. */
export function ingestEntryOwner(name: string): ProcessIdentity | undefined {
  const m = NAME_RE.exec(name);
  if (!m) return undefined;
  return { pid: Number(m[1]), startTime: m[2] as string };
}

/**
 * Removes the entries of `dir` whose owner is not alive (`isAlive` decides), and entries with no
 * owner in their name once they are an hour old; then blob claim files that nobody holds and
 * whose recorded copy is gone (`blob-claim.ts`). Entries of live processes are never touched:
 * they belong to a load or pull in progress. Safe to run from several processes at once. Returns
 * the names removed.
 */
export function sweepIngest(dir: string, isAlive: (owner: ProcessIdentity) => boolean): string[] {
  const removed: string[] = [];
  const claims: string[] = [];
  for (const name of readdirSync(dir)) {
    if (isClaimName(name)) {
      claims.push(name);
      continue;
    }
    const owner = ingestEntryOwner(name);
    if (owner ? isAlive(owner) : !isOld(join(dir, name))) continue;
    removeTree(join(dir, name));
    crashPoint("ingest.entry-swept");
    removed.push(name);
  }
  // After the entries of dead owners, so that a claim recording a copy of theirs goes too.
  for (const name of claims) if (sweepClaim(dir, name)) removed.push(name);
  return removed;
}

function isOld(path: string): boolean {
  try {
    return Date.now() - lstatSync(path).mtimeMs > UNOWNED_MAX_AGE_MS;
  } catch (err) {
    if (hasCode(err, "ENOENT")) return false;
    throw err;
  }
}
