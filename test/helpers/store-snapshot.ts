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

/** One line per path under `root`, sorted: `path type size [sha256|target]`. */
export function listTree(root: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    const abs = join(root, rel);
    for (const name of readdirSync(abs).sort()) {
      const r = rel ? `${rel}/${name}` : name;
      const st = lstatSync(join(root, r));
      if (st.isDirectory()) {
        out.push(`${r}/ dir ${(st.mode & 0o7777).toString(8)}`);
        walk(r);
      } else if (st.isSymbolicLink()) {
        out.push(`${r} symlink -> ${readlinkSync(join(root, r))}`);
      } else if (st.isFile()) {
        const hash = createHash("sha256")
          .update(readFileSync(join(root, r)))
          .digest("hex");
        out.push(`${r} file ${(st.mode & 0o7777).toString(8)} ${st.size} ${hash.slice(0, 16)}`);
      } else {
        out.push(`${r} special ${st.mode.toString(8)} ${st.rdev}`);
      }
    }
  };
  walk("");
  return out;
}
