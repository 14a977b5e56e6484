import { imageError } from "../errors.ts";
import type { EmbeddedConfig, EmbeddedLayer, EmbeddedManifest } from "./manifest-types.ts";
import { MSG } from "./messages.ts";

/** Thrown inside this file for any shape problem; turned into iSulad's one parse message. */
class ShapeError extends Error {}

type Json = Record<string, unknown>;

/**
 * Parses manifest bytes as iSulad's generated parser does: the document must be a JSON object
 * whose known fields have their schema types (strings, string arrays, a uint32 schemaVersion, an
 * int64 size); unknown fields are allowed; a missing or null field is left undefined for the
 * rules to judge. Throws `InvalidArgument` (`Invalid content in manifest: parse manifest as a
 * json file failed`) for anything else, an empty file included.
 */
export function parseEmbeddedManifest(bytes: Buffer): EmbeddedManifest {
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString("utf8"));
  } catch (err) {
    throw imageError("InvalidArgument", MSG.parseFailed, err);
  }
  try {
    return readManifest(object(doc));
  } catch (err) {
    if (err instanceof ShapeError) throw imageError("InvalidArgument", MSG.parseFailed, err);
    throw err;
  }
}

function readManifest(doc: Json): EmbeddedManifest {
  const out: EmbeddedManifest = { layers: [] };
  const version = integer(doc.schemaVersion, 0, 0xffff_ffff);
  if (version !== undefined) out.schemaVersion = version;
  setString(out, "mediaType", doc.mediaType);
  setString(out, "imageName", doc.imageName);
  setString(out, "created", doc.created);
  if (present(doc.config)) out.config = readConfig(object(doc.config));
  if (present(doc.layers)) {
    if (!Array.isArray(doc.layers)) throw new ShapeError("layers is not an array");
    out.layers = doc.layers.map((l) => readLayer(object(l)));
  }
  return out;
}

function readConfig(doc: Json): EmbeddedConfig {
  const out: EmbeddedConfig = {};
  const env = strings(doc.ENV);
  if (env !== undefined) out.ENV = env;
  const entrypoint = strings(doc.ENTRYPOINT);
  if (entrypoint !== undefined) out.ENTRYPOINT = entrypoint;
  setString(out, "WORKDIR", doc.WORKDIR);
  return out;
}

function readLayer(doc: Json): EmbeddedLayer {
  const out: EmbeddedLayer = {};
  setString(out, "mediaType", doc.mediaType);
  const size = integer(doc.size, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
  if (size !== undefined) out.size = size;
  setString(out, "digest", doc.digest);
  setString(out, "pathInHost", doc.pathInHost);
  setString(out, "pathInContainer", doc.pathInContainer);
  return out;
}

function present(v: unknown): boolean {
  return v !== undefined && v !== null;
}

function object(v: unknown): Json {
  if (typeof v !== "object" || v === null || Array.isArray(v)) {
    throw new ShapeError("not an object");
  }
  return v as Json;
}

function setString<K extends string>(out: Partial<Record<K, string>>, key: K, v: unknown): void {
  if (!present(v)) return;
  if (typeof v !== "string") throw new ShapeError(`${key} is not a string`);
  out[key] = v;
}

function strings(v: unknown): string[] | undefined {
  if (!present(v)) return undefined;
  if (!Array.isArray(v) || v.some((s) => typeof s !== "string")) {
    throw new ShapeError("not an array of strings");
  }
  return v as string[];
}

function integer(v: unknown, min: number, max: number): number | undefined {
  if (!present(v)) return undefined;
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
    throw new ShapeError("not an integer in range");
  }
  return v;
}
