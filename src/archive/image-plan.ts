import { parseJson } from "../digest/bounded-read.ts";
import { type Digest, isDigest, sha256Digest } from "../digest/digest.ts";
import { imageError } from "../errors.ts";
import { checkLayerTotal } from "../oci/check-descriptor.ts";
import type { ImageConfig } from "../oci/types.ts";

/** One image an archive holds, as read from its `manifest.json` or `index.json`. */
export interface ImagePlan {
  /** sha256 hex of `config`: the image ID. */
  id: string;
  config: Buffer;
  diffIds: Digest[];
  /** Member names of the layer blobs, base first, as the archive names them. */
  layers: string[];
  /** Digests the layer blobs must have, when a manifest in the archive states them. */
  layerDigests?: Digest[];
  /** Names as the archive gives them (RepoTags, or full names from index annotations). */
  names: string[];
  /** The archive's own manifest for this image, kept byte for byte so its digest round-trips. */
  manifest?: { bytes: Buffer; mediaType: string; layers: Digest[] };
  /** Which file described the image, for messages: `manifest.json` or `index.json`. */
  from: string;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/**
 * Parses and checks an image config: a JSON object whose `rootfs.diff_ids` are sha256 digests,
 * and whose `created` times (image and history) are RFC 3339 when present. Unlike iSulad, times
 * after 2038 are accepted (DESIGN §5). Throws `InvalidArgument` naming `where`.
 */
export function checkConfig(bytes: Buffer, where: string): { id: string; diffIds: Digest[] } {
  const doc = parseJson(bytes, `config "${where}"`) as ImageConfig | null;
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) {
    throw imageError("InvalidArgument", `config "${where}" is not a JSON object`);
  }
  const diffIds: unknown = doc.rootfs?.diff_ids;
  if (!Array.isArray(diffIds) || !diffIds.every((d) => typeof d === "string" && isDigest(d))) {
    throw imageError("InvalidArgument", `config "${where}" has no valid rootfs.diff_ids`);
  }
  checkTime(doc.created, where);
  if (Array.isArray(doc.history)) for (const h of doc.history) checkTime(h?.created, where);
  return { id: sha256Digest(bytes).slice(7), diffIds: diffIds as Digest[] };
}

function checkTime(value: unknown, where: string): void {
  if (value === undefined) return;
  if (typeof value !== "string" || !RFC3339.test(value) || Number.isNaN(Date.parse(value))) {
    throw imageError(
      "InvalidArgument",
      `config "${where}" has an invalid created time "${String(value)}"`,
    );
  }
}

/**
 * Throws unless the config lists exactly as many diffIDs as there are layers, and there are at
 * most `MAX_IMAGE_LAYERS` of them.
 */
export function checkLayerCount(
  plan: { diffIds: Digest[]; layers: string[] },
  where: string,
): void {
  checkLayerTotal(
    Math.max(plan.layers.length, plan.diffIds.length),
    `the image of config "${where}"`,
  );
  if (plan.diffIds.length !== plan.layers.length) {
    throw imageError(
      "InvalidArgument",
      `config "${where}" lists ${plan.diffIds.length} diffIDs but the image has ${plan.layers.length} layers`,
    );
  }
}

/** The sha256 hex a member name carries (`blobs/sha256/<hex>`, `<hex>.json`), if any. */
export function digestInName(name: string): string | undefined {
  return /(?:^|\/)([0-9a-f]{64})(?:\.json)?$/.exec(name)?.[1];
}
