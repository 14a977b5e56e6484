import { createHash } from "node:crypto";
import { lstatSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { join } from "node:path";
import type { ImageStore } from "../../src/image/image-store.ts";

/**
 * Everything observable about a store: each file and directory under `<graph>/storage` except the
 * database files (with its type, size and, for files, content hash), and every image and layer
 * row. Two snapshots are equal exactly when a failed operation left the store as it was.
 */
export function snapshotStore(store: ImageStore): {
  files: string[];
  images: unknown[];
  layers: unknown[];
} {
  const files = listTree(store.root).filter((line) => !/^metadata\.db/.test(line));
  const byId = (a: { id: string }, b: { id: string }) => a.id.localeCompare(b.id);
  return {
    files,
    images: store.listImages().sort(byId),
    layers: store
      .listLayers()
      .sort(byId)
      .map((l) => ({ ...l })),
  };
}

/**
 * One line per path under `root`, sorted: `path type size [sha256|target]`.
 *
 * A daemon may still be tidying up while a test looks, so an entry that vanishes between the
 * directory read and its own read is left out, as it would be from a listing a moment later.
 * A missing `root` still throws.
 */
export function listTree(root: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    const names = rel ? ifPresent(() => readdirSync(join(root, rel))) : readdirSync(root);
    for (const name of names?.sort() ?? []) {
      const r = rel ? `${rel}/${name}` : name;
      const entry = ifPresent(() => describe(root, r));
      if (entry === undefined) continue;
      out.push(entry.line);
      if (entry.dir) walk(r);
    }
  };
  walk("");
  return out;
}

function describe(root: string, r: string): { line: string; dir: boolean } {
  const abs = join(root, r);
  const st = lstatSync(abs);
  const mode = (st.mode & 0o7777).toString(8);
  if (st.isDirectory()) return { line: `${r}/ dir ${mode}`, dir: true };
  if (st.isSymbolicLink()) return { line: `${r} symlink -> ${readlinkSync(abs)}`, dir: false };
  if (st.isFile()) {
    const hash = createHash("sha256").update(readFileSync(abs)).digest("hex");
    return { line: `${r} file ${mode} ${st.size} ${hash.slice(0, 16)}`, dir: false };
  }
  return { line: `${r} special ${st.mode.toString(8)} ${st.rdev}`, dir: false };
}

/** `read()`, or undefined when the path it reads is gone (ENOENT). */
function ifPresent<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}
