import { imageError } from "../errors.ts";

/** Linux limits: a path handed to a system call, and one path component, in bytes. */
const PATH_MAX = 4095;
const NAME_MAX = 255;

/**
 * Cleans a tar entry name into a path relative to the layer root: leading `/` dropped (like GNU
 * tar), `.` and empty components dropped, `..` applied lexically. Returns `""` for the root.
 * Throws `InvalidArgument` naming the entry when a `..` climbs above the root, the name holds a
 * NUL, or it is longer than Linux accepts.
 */
export function cleanEntryPath(name: string, what = "entry"): string {
  if (isCleanPath(name)) return name;
  if (name.includes("\0")) throw badPath(what, name, "contains a NUL byte");
  if (Buffer.byteLength(name) > PATH_MAX) throw badPath(what, name, "is too long");
  const parts: string[] = [];
  for (const part of name.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (parts.length === 0) throw badPath(what, name, "escapes the layer root");
      parts.pop();
      continue;
    }
    if (Buffer.byteLength(part) > NAME_MAX) throw badPath(what, name, "has a component too long");
    parts.push(part);
  }
  return parts.join("/");
}

const SLASH = 0x2f;
const DOT = 0x2e;

/**
 * True when `name` is already what {@link cleanEntryPath} would return: no leading, trailing or
 * doubled `/`, no `.` or `..` component, no NUL, and short enough in UTF-16 units that neither
 * it nor a component can exceed Linux's limits in bytes (UTF-8 takes at most 3 bytes per unit).
 * It is the common case, checked in one pass without allocating; anything else takes the long way.
 */
export function isCleanPath(name: string): boolean {
  const n = name.length;
  if (n === 0 || n > PATH_MAX / 3) return false;
  let start = 0;
  for (let i = 0; i <= n; i += 1) {
    const c = i === n ? SLASH : name.charCodeAt(i);
    if (c === 0) return false;
    if (c !== SLASH) continue;
    const len = i - start;
    if (len === 0 || len > NAME_MAX / 3) return false;
    const dots =
      name.charCodeAt(start) === DOT &&
      (len === 1 || (len === 2 && name.charCodeAt(start + 1) === DOT));
    if (dots) return false;
    start = i + 1;
  }
  return true;
}

function badPath(what: string, name: string, why: string) {
  const shown = name.length > 200 ? `${name.slice(0, 200)}...` : name;
  return imageError("InvalidArgument", `${what} ${JSON.stringify(shown)} ${why}`);
}

/** The parent of a cleaned relative path (`""` for a top-level name). */
export function parentOf(rel: string): string {
  const slash = rel.lastIndexOf("/");
  return slash === -1 ? "" : rel.slice(0, slash);
}

/** The last component of a cleaned relative path. */
export function baseOf(rel: string): string {
  return rel.slice(rel.lastIndexOf("/") + 1);
}

/** What a path in the layer directory is: directory, symlink, or any other non-directory. */
export type NodeKind = "dir" | "symlink" | "other";

/**
 * Everything this extraction has created below the layer root. The root is created empty by us,
 * so this map is the truth about it and no `lstat` is needed to know whether a parent is a
 * directory or a symlink. Invariant: every ancestor of a key is a `dir` key.
 */
export class NodeTree {
  readonly #nodes = new Map<string, NodeKind>([["", "dir"]]);

  get(rel: string): NodeKind | undefined {
    return this.#nodes.get(rel);
  }

  set(rel: string, kind: NodeKind): void {
    this.#nodes.set(rel, kind);
  }

  /** Forgets `rel` and, when it is a directory, everything below it; returns removed keys. */
  remove(rel: string): string[] {
    const kind = this.#nodes.get(rel);
    this.#nodes.delete(rel);
    if (kind !== "dir") return [rel];
    const prefix = `${rel}/`;
    const removed = [rel];
    for (const key of this.#nodes.keys()) {
      if (key.startsWith(prefix)) {
        this.#nodes.delete(key);
        removed.push(key);
      }
    }
    return removed;
  }

  /**
   * The nearest ancestor of `rel` this extraction knows, and the missing directories between
   * it and `rel`'s parent, outermost first. Throws `InvalidArgument` naming `entry` when that
   * ancestor is a symlink (writing through it would leave the layer) or not a directory.
   */
  missingParents(rel: string, entry: string): string[] {
    const missing: string[] = [];
    let p = parentOf(rel);
    for (;;) {
      const kind = this.#nodes.get(p);
      if (kind === "dir") return missing.reverse();
      if (kind === "symlink") {
        throw imageError(
          "InvalidArgument",
          `entry ${JSON.stringify(entry)} is below the symlink ${JSON.stringify(p)}`,
        );
      }
      if (kind === "other") {
        throw imageError(
          "InvalidArgument",
          `entry ${JSON.stringify(entry)} is below the non-directory ${JSON.stringify(p)}`,
        );
      }
      missing.push(p);
      p = parentOf(p);
    }
  }
}
