import { createHash } from "node:crypto";
import { lstatSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { join } from "node:path";

/**
 * What a tree looks like, for comparing two extractions: type, mode, owner, mtime, content.
 * Parent directories the tar does not name are made "now" by both extractors, possibly on two
 * sides of a second boundary, so a directory mtime within the last minutes reads "recent".
 */
export function describeTree(dir: string): string[] {
  const out: string[] = [];
  const recent = Date.now() / 1000 - 300;
  for (const rel of (readdirSync(dir, { recursive: true }) as string[]).sort()) {
    const p = join(dir, rel);
    const st = lstatSync(p);
    let what = `${rel} ${st.mode.toString(8)} ${st.uid}:${st.gid}`;
    if (!st.isDirectory() && !st.isSymbolicLink()) what += ` nlink=${st.nlink}`;
    const mtime = Math.floor(st.mtimeMs / 1000);
    if (st.isDirectory() && mtime > recent) what += " mtime=recent";
    else if (!st.isSymbolicLink()) what += ` mtime=${mtime}`;
    if (st.isSymbolicLink()) what += ` -> ${readlinkSync(p)}`;
    if (st.isFile())
      what += ` ${createHash("sha256").update(readFileSync(p)).digest("hex").slice(0, 12)}`;
    out.push(what);
  }
  return out;
}
