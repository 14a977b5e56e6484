import {
  closeSync,
  constants,
  linkSync,
  mkdirSync,
  openSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { imageError } from "../errors.ts";
import {
  applyDirOwnership,
  applyFileMeta,
  applyNodeMeta,
  applySymlinkMeta,
  DirTimes,
  type EntryMeta,
  type Identity,
} from "./extract-metadata.ts";
import { baseOf, cleanEntryPath, NodeTree } from "./extract-paths.ts";
import { fsFailure } from "./fs-failure.ts";
import { createSpecialNodes, type SpecialNode } from "./special-files.ts";
import type { TarEntry, TarVisitor } from "./tar-reader.ts";
import type { WhiteoutFormat } from "./types.ts";
import { applyOverlayWhiteout } from "./whiteout.ts";

const CREATE_FLAGS =
  constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/**
 * Writes the entries of one layer tar below `root`, an empty directory this extraction created.
 * Every name is cleaned and confined (see `cleanEntryPath`); nothing is ever created through a
 * symlink: parents are checked against the `NodeTree` of what this layer made, and files are
 * opened with `O_EXCL | O_NOFOLLOW`. A later entry replaces an earlier one at the same path
 * (two directories merge). Call `finish` after the last entry, `close` on failure. Errors are
 * `ImageError`s naming the entry. One writer per layer; not for concurrent use.
 */
export class LayerWriter implements TarVisitor {
  readonly root: string;
  readonly #format: WhiteoutFormat;
  readonly #id: Identity;
  readonly #tree = new NodeTree();
  readonly #dirs = new DirTimes();
  readonly #specials = new Map<string, SpecialNode & { meta: EntryMeta }>();
  #fd = -1;
  #file: { abs: string; rel: string; entry: TarEntry } | undefined;

  constructor(root: string, format: WhiteoutFormat, id: Identity) {
    this.root = root;
    this.#format = format;
    this.#id = id;
  }

  abs(rel: string): string {
    return rel === "" ? this.root : `${this.root}/${rel}`;
  }

  entry(e: TarEntry): void {
    const rel = cleanEntryPath(e.name);
    if (rel === "" && e.type !== "dir") {
      throw imageError(
        "InvalidArgument",
        `entry ${JSON.stringify(e.name)} would replace the layer root`,
      );
    }
    try {
      if (this.#format === "overlay" && baseOf(rel).startsWith(".wh.")) {
        applyOverlayWhiteout(this, rel, e);
      } else {
        this.#create(rel, e);
      }
    } catch (err) {
      throw fsFailure(err, `extracting ${JSON.stringify(rel)}`);
    }
  }

  #create(rel: string, e: TarEntry): void {
    if (e.type === "file") this.#openFile(rel, e);
    else if (e.type === "dir") this.makeDir(rel, e);
    else if (e.type === "symlink") this.#symlink(rel, e);
    else if (e.type === "link") this.#hardlink(rel, e);
    else this.addSpecial(rel, e.type, e.devmajor, e.devminor, e);
  }

  data(chunk: Buffer): void {
    if (this.#fd === -1) return; // the body of a whiteout marker
    try {
      let off = 0;
      while (off < chunk.length) off += writeSync(this.#fd, chunk, off, chunk.length - off);
    } catch (err) {
      throw fsFailure(err, `writing ${JSON.stringify(this.#file?.rel)}`);
    }
  }

  entryEnd(): void {
    const file = this.#file;
    if (file === undefined) return;
    const fd = this.#fd;
    this.#fd = -1;
    this.#file = undefined;
    try {
      applyFileMeta(this.#id, fd, file.abs, file.rel, file.entry);
    } finally {
      closeSync(fd);
    }
  }

  /** Makes the pending device nodes and fifos, then sets directory modes and times. */
  finish(): void {
    this.#flushSpecials();
    this.#dirs.apply();
  }

  /** Closes the file being written, if any; the caller removes the layer directory. */
  close(): void {
    if (this.#fd !== -1) closeSync(this.#fd);
    this.#fd = -1;
  }

  /**
   * Makes the missing parents of `rel` and removes whatever this layer put at `rel` before,
   * unless both are directories. Returns whether a directory is left at `rel`.
   */
  prepare(rel: string, keepDir: boolean): boolean {
    for (const p of this.#tree.missingParents(rel, rel)) {
      mkdirSync(this.abs(p), 0o755);
      this.#tree.set(p, "dir");
    }
    const kind = this.#tree.get(rel);
    if (kind === undefined) return false;
    if (kind === "dir" && keepDir) return true;
    if (kind === "dir") rmSync(this.abs(rel), { recursive: true, force: true });
    else if (!this.#specials.has(rel)) unlinkSync(this.abs(rel));
    for (const gone of this.#tree.remove(rel)) {
      this.#dirs.forget(gone);
      this.#specials.delete(gone);
    }
    return false;
  }

  #openFile(rel: string, e: TarEntry): void {
    this.prepare(rel, false);
    const abs = this.abs(rel);
    this.#fd = openSync(abs, CREATE_FLAGS, e.mode);
    this.#tree.set(rel, "other");
    this.#file = { abs, rel, entry: e };
  }

  /** Creates (or merges into) the directory `rel`; `""` is the root itself. */
  makeDir(rel: string, e: EntryMeta): void {
    const abs = this.abs(rel);
    if (rel === "" || this.prepare(rel, true)) {
      this.#dirs.record(rel, abs, 0o755 & ~this.#id.umask, e);
    } else {
      // Unprivileged, we must be able to write into it until the end.
      const mode = this.#id.privileged ? e.mode & 0o1777 : (e.mode | 0o700) & 0o1777;
      mkdirSync(abs, mode);
      this.#tree.set(rel, "dir");
      this.#dirs.record(rel, abs, mode & ~this.#id.umask, e);
    }
    applyDirOwnership(this.#id, abs, rel, e);
  }

  /** Makes sure `rel` is a directory (an opaque marker's parent), creating it if missing. */
  ensureDir(rel: string): void {
    if (this.#tree.get(rel) === "dir") return;
    this.#tree.missingParents(`${rel}/x`, rel).forEach((p) => {
      mkdirSync(this.abs(p), 0o755);
      this.#tree.set(p, "dir");
    });
  }

  #symlink(rel: string, e: TarEntry): void {
    if (e.linkname === "") {
      throw imageError("InvalidArgument", `symlink ${JSON.stringify(rel)} has an empty target`);
    }
    this.prepare(rel, false);
    const abs = this.abs(rel);
    symlinkSync(e.linkname, abs); // the target is kept verbatim and never followed
    this.#tree.set(rel, "symlink");
    applySymlinkMeta(this.#id, abs, rel, e);
  }

  #hardlink(rel: string, e: TarEntry): void {
    const target = cleanEntryPath(e.linkname, `hardlink ${JSON.stringify(rel)} to`);
    const kind = this.#tree.get(target);
    if (kind === undefined || kind === "dir") {
      const why = kind === "dir" ? "a directory" : "not in this layer";
      throw imageError(
        "InvalidArgument",
        `hardlink ${JSON.stringify(rel)} points to ${JSON.stringify(target)}, ${why}`,
      );
    }
    if (target === rel) return;
    if (this.#specials.has(target)) this.#flushSpecials();
    this.prepare(rel, false);
    // link(2) does not follow a symlink target: the new name is the same symlink inode.
    linkSync(this.abs(target), this.abs(rel));
    this.#tree.set(rel, kind);
  }

  /** Queues a device node or fifo; they are made in one batch (see `createSpecialNodes`). */
  addSpecial(
    rel: string,
    type: SpecialNode["type"],
    major: number,
    minor: number,
    meta: EntryMeta,
  ) {
    this.prepare(rel, false);
    this.#specials.set(rel, { abs: this.abs(rel), rel, type, major, minor, meta });
    this.#tree.set(rel, "other");
  }

  #flushSpecials(): void {
    if (this.#specials.size === 0) return;
    const nodes = [...this.#specials.values()];
    this.#specials.clear();
    createSpecialNodes(nodes);
    for (const n of nodes) applyNodeMeta(this.#id, n.abs, n.rel, n.meta);
  }
}
