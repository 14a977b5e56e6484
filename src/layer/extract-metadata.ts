import {
  chmodSync,
  fchmodSync,
  fchownSync,
  futimesSync,
  lchownSync,
  lutimesSync,
  utimesSync,
} from "node:fs";
import { setAttributeSync } from "@napi-rs/xattr";
import { fsFailure } from "./fs-failure.ts";
import type { TarEntry } from "./tar-reader.ts";

/** Who we are, decided once per worker: it tells which metadata calls are needed. */
export interface Identity {
  /** Effective uid 0: ownership is applied and directories need no owner-write bit. */
  privileged: boolean;
  uid: number;
  gid: number;
  umask: number;
}

/** The identity of this thread's process (the umask is read, never changed). */
export function currentIdentity(): Identity {
  const uid = process.geteuid?.() ?? 0;
  // Reading is allowed in a worker (setting is not, and would change the whole process).
  const umask = process.umask();
  return { privileged: uid === 0, uid, gid: process.getegid?.() ?? 0, umask };
}

/** The metadata of an entry that is applied after its node exists. */
export type EntryMeta = Pick<TarEntry, "mode" | "uid" | "gid" | "mtime" | "atime" | "xattrs">;

/**
 * Applies ownership, mode, xattrs and times through an open file descriptor of a regular file
 * created with `open(..., mode)`; only the calls that change something are made. `rel` names the
 * entry in errors. The caller closes `fd`.
 */
export function applyFileMeta(id: Identity, fd: number, abs: string, rel: string, e: EntryMeta) {
  try {
    const chowned = needsChown(id, e);
    if (chowned) fchownSync(fd, e.uid, e.gid);
    // chown clears setuid/setgid, and open() applied the umask: chmod only to undo either.
    if ((e.mode & 0o7000) !== 0 || (e.mode & id.umask) !== 0) fchmodSync(fd, e.mode);
    if (e.xattrs) setXattrs(abs, rel, e.xattrs);
    futimesSync(fd, e.atime, e.mtime);
  } catch (err) {
    throw fsFailure(err, `setting metadata of ${JSON.stringify(rel)}`);
  }
}

/** Ownership, xattrs (lsetxattr semantics) and times of a symlink; its mode means nothing. */
export function applySymlinkMeta(id: Identity, abs: string, rel: string, e: EntryMeta) {
  try {
    if (needsChown(id, e)) lchownSync(abs, e.uid, e.gid);
    if (e.xattrs) setXattrs(abs, rel, e.xattrs);
    lutimesSync(abs, e.atime, e.mtime);
  } catch (err) {
    throw fsFailure(err, `setting metadata of ${JSON.stringify(rel)}`);
  }
}

/** Metadata of a device node or fifo made by `mknod` (which applied the umask). */
export function applyNodeMeta(id: Identity, abs: string, rel: string, e: EntryMeta) {
  try {
    if (needsChown(id, e)) lchownSync(abs, e.uid, e.gid);
    chmodSync(abs, e.mode);
    if (e.xattrs) setXattrs(abs, rel, e.xattrs);
    utimesSync(abs, e.atime, e.mtime);
  } catch (err) {
    throw fsFailure(err, `setting metadata of ${JSON.stringify(rel)}`);
  }
}

/** Ownership and xattrs of a directory, at once; its mode and times wait for `DirTimes`. */
export function applyDirOwnership(id: Identity, abs: string, rel: string, e: EntryMeta) {
  try {
    if (needsChown(id, e)) lchownSync(abs, e.uid, e.gid);
    if (e.xattrs) setXattrs(abs, rel, e.xattrs);
  } catch (err) {
    throw fsFailure(err, `setting metadata of ${JSON.stringify(rel || "/")}`);
  }
}

function needsChown(id: Identity, e: EntryMeta): boolean {
  return id.privileged && (e.uid !== id.uid || e.gid !== id.gid);
}

function setXattrs(abs: string, rel: string, xattrs: Map<string, Buffer>): void {
  for (const [name, value] of xattrs) {
    try {
      setAttributeSync(abs, name, value);
    } catch (err) {
      throw fsFailure(err, `setting xattr ${JSON.stringify(name)} on ${JSON.stringify(rel)}`);
    }
  }
}

interface DirRecord {
  abs: string;
  rel: string;
  mode: number;
  /** The mode the directory has now (as created, after the umask). */
  current: number;
  atime: number;
  mtime: number;
}

/**
 * Modes and times of directories, applied at the end: writing an entry into a directory changes
 * its mtime, and a read-only mode would stop an unprivileged extraction from filling it.
 */
export class DirTimes {
  readonly #dirs = new Map<string, DirRecord>();

  /** Records the final metadata of a directory that currently has mode `current`. */
  record(rel: string, abs: string, current: number, e: EntryMeta): void {
    const prior = this.#dirs.get(rel);
    const { mode, atime, mtime } = e;
    this.#dirs.set(rel, { abs, rel, mode, current: prior?.current ?? current, atime, mtime });
  }

  forget(rel: string): void {
    this.#dirs.delete(rel);
  }

  /** Applies every recorded mode and time, deepest directories first. */
  apply(): void {
    const depth = (r: string) => (r === "" ? -1 : r.split("/").length);
    const dirs = [...this.#dirs.values()].sort((a, b) => depth(b.rel) - depth(a.rel));
    for (const d of dirs) {
      try {
        if (d.mode !== d.current) chmodSync(d.abs, d.mode);
        utimesSync(d.abs, d.atime, d.mtime);
      } catch (err) {
        throw fsFailure(err, `setting metadata of ${JSON.stringify(d.rel || "/")}`);
      }
    }
  }
}
