import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { Readable } from "node:stream";
import type { Digest } from "../digest/digest.ts";
import { hasCode, imageError } from "../errors.ts";
import type { ImageStore } from "../image/image-store.ts";
import type { ImageRecord } from "../image/types.ts";
import { remoteTarget } from "../reference/normalise.ts";
import { parseReference } from "../reference/parse-reference.ts";
import { networkHost } from "../registry/hosts.ts";
import type { PushBlob } from "./types.ts";

/**
 * For each blob of the store's images, the repositories on registry `host` (network form) other
 * than `repository` that an image holding the blob is named in: where a cross-repository mount
 * can take it from. The pushed image's own names come first.
 */
export function mountSources(
  store: ImageStore,
  record: ImageRecord,
  target: { host: string; repository: string },
): Map<Digest, string[]> {
  const out = new Map<Digest, string[]>();
  const others = store.listImages().filter((i) => i.id !== record.id);
  for (const image of [record, ...others]) {
    const repos = image.names.flatMap((n) => {
      const t = remoteOf(n);
      return t && networkHost(t.host) === target.host && t.repository !== target.repository
        ? [t.repository]
        : [];
    });
    if (repos.length === 0) continue;
    const blobs: Digest[] = [
      `sha256:${image.id}`,
      ...store.imageLayers(image).map((l) => l.digest),
    ];
    for (const d of blobs) {
      const list = out.get(d) ?? [];
      for (const r of repos) if (!list.includes(r)) list.push(r);
      out.set(d, list);
    }
  }
  return out;
}

function remoteOf(name: string) {
  try {
    return remoteTarget(parseReference(name));
  } catch {
    return undefined;
  }
}

/** A stored blob as a `PushBlob`, checked to exist with `size` bytes (`NotFound`, `Internal`). */
export async function storedBlob(store: ImageStore, digest: Digest, size: number) {
  const path = store.blobPath(digest);
  try {
    const st = await stat(path);
    if (st.size !== size)
      throw imageError("Internal", `blob ${digest} in the store has ${st.size} bytes, not ${size}`);
  } catch (err) {
    if (hasCode(err, "ENOENT"))
      throw imageError("NotFound", `blob ${digest} is missing from the store`, err);
    throw err;
  }
  const blob: PushBlob = {
    digest,
    size,
    open: (start, end) =>
      end > start ? createReadStream(path, { start, end: end - 1 }) : Readable.from([]),
  };
  return blob;
}
