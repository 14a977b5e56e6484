import { imageError } from "../errors.ts";
import type { ImageStore } from "../image/image-store.ts";
import type { ImageRecord } from "../image/types.ts";
import { normaliseName } from "../reference/normalise.ts";
import { repositoryOf } from "./names.ts";

/** What a user's image argument resolved to, and how. */
export interface Resolved {
  record: ImageRecord;
  /** The stored name it matched, when it was given by name rather than by ID. */
  name?: string;
}

const ID_PREFIX_RE = /^[0-9a-f]{3,64}$/;

/** iSulad's "No such image" error, with its exact text. */
export function noSuchImage(input: string): Error {
  return imageError("NotFound", `No such image:${input}`);
}

/**
 * Resolves what a user typed to a stored image, in iSulad's order (reference §6.5): a full ID,
 * then the normalised name, then a unique ID prefix (also as `sha256:<prefix>`), then
 * `repo@sha256:<manifest digest>` when `repo` is one of the image's repositories.
 * Throws `NotFound` (`No such image:<input>`).
 */
export function resolveImage(store: ImageStore, input: string): Resolved {
  const hex = input.startsWith("sha256:") ? input.slice(7) : input;
  if (hex.length === 64 && ID_PREFIX_RE.test(hex)) {
    const byId = store.getImage(hex);
    if (byId) return { record: byId };
  }
  const name = tryNormalise(input);
  if (name !== undefined) {
    const byName = store.findByName(name);
    if (byName) return { record: byName, name };
  }
  if (ID_PREFIX_RE.test(hex)) {
    const byPrefix = store.findByIdPrefix(hex);
    if (byPrefix) return { record: byPrefix };
  }
  if (name?.includes("@")) {
    const [repo, digest] = name.split("@") as [string, string];
    const found = store
      .findByDigest(digest as `sha256:${string}`)
      .find((img) => img.names.some((n) => repositoryOf(n) === repo));
    if (found) return { record: found, name };
  }
  throw noSuchImage(input);
}

function tryNormalise(input: string): string | undefined {
  try {
    return normaliseName(input);
  } catch {
    return undefined;
  }
}
