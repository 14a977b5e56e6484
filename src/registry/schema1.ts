import { parseJson } from "../digest/bounded-read.ts";
import { type Digest, isDigest, sha256Digest } from "../digest/digest.ts";
import { imageError } from "../errors.ts";
import { checkLayerTotal } from "../oci/check-descriptor.ts";
import { MediaType } from "../oci/media-types.ts";
import type { Descriptor, HistoryEntry } from "../oci/types.ts";

/** What a schema1 manifest says, base layer first. */
export interface Schema1Image {
  /** Blob digests of the non-empty layers, base first (duplicates kept). */
  layers: Digest[];
  /** Every `v1Compatibility` document, base first. */
  history: Record<string, unknown>[];
}

interface Schema1Doc {
  schemaVersion?: number;
  fsLayers?: { blobSum?: string }[];
  history?: { v1Compatibility?: string }[];
  signatures?: { protected?: string }[];
}

/**
 * Digest of a schema1 manifest as registries name it: for a signed (JWS) manifest, the sha256
 * of the payload without the signatures (`formatLength` bytes plus `formatTail`); otherwise of
 * the bytes as they are.
 */
export function schema1PayloadDigest(bytes: Buffer): Digest {
  try {
    const doc = JSON.parse(bytes.toString("utf8")) as Schema1Doc;
    const prot = doc.signatures?.[0]?.protected;
    if (prot === undefined) return sha256Digest(bytes);
    const header = JSON.parse(Buffer.from(prot, "base64url").toString("utf8")) as {
      formatLength?: number;
      formatTail?: string;
    };
    if (typeof header.formatLength !== "number" || typeof header.formatTail !== "string")
      return sha256Digest(bytes);
    const tail = Buffer.from(header.formatTail, "base64url");
    return sha256Digest(Buffer.concat([bytes.subarray(0, header.formatLength), tail]));
  } catch {
    return sha256Digest(bytes);
  }
}

/**
 * Reads a schema1 manifest: `fsLayers` and `history` are top first, so both are reversed;
 * entries whose v1Compatibility says `throwaway` are empty layers and get no blob. Throws
 * `InvalidArgument` for a malformed manifest.
 */
export function parseSchema1(bytes: Buffer, what: string): Schema1Image {
  const bad = (why: string) =>
    imageError("InvalidArgument", `schema1 manifest of "${what}": ${why}`);
  const doc = parseJson(bytes, `schema1 manifest of "${what}"`) as Schema1Doc | null;
  const fs = doc?.fsLayers ?? [];
  const hist = doc?.history ?? [];
  if (!Array.isArray(fs) || !Array.isArray(hist) || fs.length === 0 || fs.length !== hist.length)
    throw bad("fsLayers and history differ in length");
  checkLayerTotal(fs.length, `schema1 manifest of "${what}"`);

  const layers: Digest[] = [];
  const history: Record<string, unknown>[] = [];
  for (let i = fs.length - 1; i >= 0; i--) {
    const blob = fs[i]?.blobSum ?? "";
    const v1 = parseV1(hist[i]?.v1Compatibility, what);
    history.push(v1);
    if (v1.throwaway === true) continue;
    if (!isDigest(blob)) throw bad(`invalid blobSum "${blob}"`);
    layers.push(blob);
  }
  if (layers.length === 0) throw bad("no layers");
  return { layers, history };
}

/** One `v1Compatibility` document, which must be a JSON object. */
function parseV1(text: unknown, what: string): Record<string, unknown> {
  let v1: unknown;
  try {
    v1 = parseJson(String(text ?? ""), "v1Compatibility");
  } catch (err) {
    throw imageError("InvalidArgument", `schema1 manifest of "${what}": bad v1Compatibility`, err);
  }
  if (typeof v1 !== "object" || v1 === null || Array.isArray(v1))
    throw imageError("InvalidArgument", `schema1 manifest of "${what}": bad v1Compatibility`);
  return v1 as Record<string, unknown>;
}

const DROPPED = ["id", "parent", "Size", "size", "rootfs", "history", "throwaway", "layer_id"];

/**
 * The Docker config iSulad synthesises for a schema1 image: the top `v1Compatibility` without
 * its v1 fields, plus `rootfs.diff_ids` (from the downloaded layers) and a history rebuilt from
 * every v1Compatibility (`created_by` = `container_config.Cmd` joined with spaces).
 */
export function synthesiseConfig(image: Schema1Image, diffIds: Digest[]): Buffer {
  const top = { ...image.history[image.history.length - 1] };
  for (const k of DROPPED) delete top[k];
  top.rootfs = { type: "layers", diff_ids: diffIds };
  top.history = image.history.map(historyEntry);
  return Buffer.from(JSON.stringify(top));
}

function historyEntry(v1: Record<string, unknown>): HistoryEntry {
  const cc = v1.container_config as { Cmd?: unknown } | undefined;
  const cmd = Array.isArray(cc?.Cmd) ? cc.Cmd.join(" ") : "";
  const e: HistoryEntry = {};
  if (typeof v1.created === "string") e.created = v1.created;
  if (typeof v1.author === "string") e.author = v1.author;
  if (cmd) e.created_by = cmd;
  if (typeof v1.comment === "string") e.comment = v1.comment;
  if (v1.throwaway === true) e.empty_layer = true;
  return e;
}

/** A Docker schema2 manifest for the synthesised config and the schema1 layers. */
export function synthesiseManifest(config: Buffer, layers: Descriptor[]): Buffer {
  return Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.dockerManifest,
      config: {
        mediaType: MediaType.dockerConfig,
        digest: sha256Digest(config),
        size: config.length,
      },
      layers: layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
    }),
  );
}
