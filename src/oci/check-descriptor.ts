import { isDigest } from "../digest/digest.ts";
import { imageError } from "../errors.ts";
import type { Descriptor, ImageIndex, ImageManifest } from "./types.ts";

/**
 * Most layers an image may have: iSulad's `MAX_LAYER_NUM` (§5.4). Overlay cannot stack many
 * more, and a manifest listing millions of layers is an attack, not an image.
 */
export const MAX_IMAGE_LAYERS = 125;

/**
 * Checks that an untrusted value is a descriptor we can use: an object with a string
 * `mediaType` (when `needMediaType`), a sha256 `digest`, a non-negative integer `size`, and,
 * when present, string `urls`, string-valued `annotations` and a `platform` naming `os` and
 * `architecture`. Throws `InvalidArgument` naming `what`; returns the value typed.
 */
export function checkDescriptor(v: unknown, what: string, needMediaType = true): Descriptor {
  const bad = (why: string) => imageError("InvalidArgument", `${what} ${why}`);
  if (!isRecord(v)) throw bad("is not a descriptor object");
  if (typeof v.digest !== "string" || !isDigest(v.digest))
    throw bad(`has an unsupported digest ${quote(v.digest)}`);
  if (needMediaType ? typeof v.mediaType !== "string" : !optional(v.mediaType, isString))
    throw bad(`has an invalid media type ${quote(v.mediaType)}`);
  if (v.size !== undefined && !(Number.isSafeInteger(v.size) && (v.size as number) >= 0))
    throw bad(`has an invalid size ${quote(v.size)}`);
  if (!optional(v.urls, (u) => Array.isArray(u) && u.every(isString)))
    throw bad("has invalid urls");
  if (!optional(v.annotations, (a) => isRecord(a) && Object.values(a).every(isString)))
    throw bad("has invalid annotations");
  if (
    !optional(v.platform, (p) => isRecord(p) && isString(p.os) && isString(p.architecture)) ||
    (isRecord(v.platform) && !optional(v.platform.variant, isString))
  )
    throw bad("has an invalid platform");
  return v as unknown as Descriptor;
}

/**
 * Checks an untrusted image manifest: an object whose `config` and each of at most
 * `MAX_IMAGE_LAYERS` `layers` are descriptors. Throws `InvalidArgument` naming `what`.
 */
export function checkManifest(v: unknown, what: string): ImageManifest {
  if (!isRecord(v) || v.config === undefined || !Array.isArray(v.layers))
    throw imageError("InvalidArgument", `${what} has no config or layers`);
  checkLayerTotal(v.layers.length, what);
  checkDescriptor(v.config, `the config descriptor of ${what}`);
  for (const [i, l] of v.layers.entries()) checkDescriptor(l, `layer ${i} of ${what}`);
  return v as unknown as ImageManifest;
}

/** Most entries an index or an archive's `manifest.json` may list. */
export const MAX_INDEX_ENTRIES = 1000;

/**
 * Checks an untrusted image index: an object whose at most `MAX_INDEX_ENTRIES` `manifests` are
 * descriptors. Throws `InvalidArgument` naming `what`.
 */
export function checkIndex(v: unknown, what: string): ImageIndex {
  if (!isRecord(v) || !Array.isArray(v.manifests))
    throw imageError("InvalidArgument", `${what} has no manifests`);
  if (v.manifests.length > MAX_INDEX_ENTRIES)
    throw imageError(
      "InvalidArgument",
      `${what} lists ${v.manifests.length} manifests, more than ${MAX_INDEX_ENTRIES}`,
    );
  for (const [i, m] of v.manifests.entries()) checkDescriptor(m, `entry ${i} of ${what}`, false);
  return v as unknown as ImageIndex;
}

/** Throws `InvalidArgument` when an image would have more than `MAX_IMAGE_LAYERS` layers. */
export function checkLayerTotal(count: number, what: string): void {
  if (count > MAX_IMAGE_LAYERS)
    throw imageError(
      "InvalidArgument",
      `${what} has ${count} layers, more than the ${MAX_IMAGE_LAYERS} an image may have`,
    );
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function isString(v: unknown): v is string {
  return typeof v === "string";
}

function optional(v: unknown, check: (v: unknown) => boolean): boolean {
  return v === undefined || check(v);
}

function quote(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}
