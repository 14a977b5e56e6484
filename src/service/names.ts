import type { ImageRecord } from "../image/types.ts";

/** The part of a stored name before its tag or digest: `a/b:1` → `a/b`, `h:5000/a@sha256:..` → `h:5000/a`. */
export function repositoryOf(name: string): string {
  const at = name.indexOf("@");
  if (at >= 0) return name.slice(0, at);
  const colon = name.lastIndexOf(":");
  return colon > name.lastIndexOf("/") ? name.slice(0, colon) : name;
}

/** True for a stored digest name (`repo@sha256:...`). */
export function isDigestName(name: string): boolean {
  return name.includes("@");
}

/** The `repo:tag` names of an image. */
export function repoTags(image: ImageRecord): string[] {
  return image.names.filter((n) => !isDigestName(n));
}

/**
 * The repo digests iSulad reports: every stored `repo@sha256:...` name, plus `repo@<manifest
 * digest>` for each tag's repository, without duplicates.
 */
export function repoDigests(image: ImageRecord): string[] {
  const out = new Set<string>();
  for (const n of image.names) {
    out.add(isDigestName(n) ? n : `${repositoryOf(n)}@${image.digest}`);
  }
  return [...out];
}
