import { statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { parseJson } from "../digest/bounded-read.ts";
import {
  type EmbeddedImageRow,
  findEmbeddedByIdPrefix,
  findEmbeddedByName,
  listEmbeddedImages,
  removeEmbeddedImage,
} from "../embedded/embedded-store.ts";
import { loadEmbeddedImage } from "../embedded/load-embedded.ts";
import {
  DIR_LAYER_MEDIA_TYPE,
  EMBEDDED_MANIFEST_MEDIA_TYPE,
  type EmbeddedLayer,
} from "../embedded/manifest-types.ts";
import { parseEmbeddedManifest } from "../embedded/parse-manifest.ts";
import { hasCode, ImageError, imageError } from "../errors.ts";
import type { ImageStore } from "../image/image-store.ts";
import { normaliseName } from "../reference/normalise.ts";
import { type FilterSubject, type ImagePredicate, rfc3339Nanos } from "./filters.ts";
import { noSuchImage, type Resolved, resolveImage } from "./resolve.ts";
import type { HistoryItem, ImageSummary, LoadResult, RemoveResult } from "./types.ts";

/** What a user's image argument names: an OCI image (as `resolveImage` says) or an embedded one. */
export type AnyImage = { oci: Resolved; embedded?: undefined } | { embedded: EmbeddedImageRow };

/**
 * `load --type embedded`: see `loadEmbeddedImage`. Errors keep iSulad's bare texts (no
 * `Load image ... failed:` prefix, unlike archives), as iSulad prints them.
 */
export async function loadEmbedded(
  store: ImageStore,
  file: string,
  signal?: AbortSignal,
): Promise<LoadResult> {
  const { row } = await loadEmbeddedImage({ store, file, ...(signal ? { signal } : {}) });
  return { images: [{ id: row.id, names: [row.name] }] };
}

/**
 * Resolves what a user typed, OCI images first (reference §6.6 "backend detection"), then
 * embedded ones: by normalised name, then by ID or unique ID prefix when no OCI image ID starts
 * with it. Throws `NotFound` (`No such image:<input>`).
 */
export function resolveAnyImage(store: ImageStore, input: string): AnyImage {
  try {
    return { oci: resolveImage(store, input) };
  } catch (err) {
    if (!(err instanceof ImageError) || err.kind !== "NotFound") throw err;
    const embedded = findEmbedded(store, input);
    if (embedded === undefined) throw err;
    return { embedded };
  }
}

function findEmbedded(store: ImageStore, input: string): EmbeddedImageRow | undefined {
  const name = tryNormalise(input);
  const byName = name === undefined ? undefined : findEmbeddedByName(store, name);
  if (byName) return byName;
  const hex = input.startsWith("sha256:") ? input.slice(7) : input;
  const byId = findEmbeddedByIdPrefix(store, hex);
  if (byId === undefined || store.listImages().some((r) => r.id.startsWith(hex))) {
    return undefined;
  }
  return byId;
}

/** The filter subject of whatever `input` names, for `before=` / `since=`. */
export function resolveFilterSubject(store: ImageStore, input: string): FilterSubject {
  const found = resolveAnyImage(store, input);
  if (found.embedded) return embeddedSubject(found.embedded);
  return { record: found.oci.record, createdNs: rfc3339Nanos(found.oci.record.created) };
}

/**
 * The embedded images `keep` accepts, as `isula images` rows. Filters see an embedded image as
 * an image with its one tag and no labels: `reference`, `dangling`, `before` and `since` apply
 * as to OCI images, `label=` never matches (iSulad instead drops embedded images from any
 * filtered listing).
 */
export function listEmbedded(store: ImageStore, keep: ImagePredicate): ImageSummary[] {
  return listEmbeddedImages(store)
    .filter((row) => keep(embeddedSubject(row)))
    .map(summariseEmbedded);
}

function summariseEmbedded(row: EmbeddedImageRow): ImageSummary {
  return {
    id: row.id,
    repoTags: [row.name],
    repoDigests: [],
    created: row.created,
    size: row.size,
    digest: `sha256:${row.id}`,
    type: "embedded",
  };
}

function embeddedSubject(row: EmbeddedImageRow): FilterSubject {
  return {
    record: {
      id: row.id,
      names: [row.name],
      digest: `sha256:${row.id}`,
      manifestMediaType: EMBEDDED_MANIFEST_MEDIA_TYPE,
      configSize: 0,
      manifestSize: row.manifest.length,
      size: row.size,
      created: row.created,
      loaded: row.loaded,
      labels: {},
    },
    createdNs: rfc3339Nanos(row.created),
  };
}

/** `inspect` of an embedded image: the manifest document itself (reference §3.1). */
export function inspectEmbedded(row: EmbeddedImageRow): unknown {
  return parseJson(row.manifest, `manifest of embedded image ${row.name}`);
}

/**
 * `history` of an embedded image: one item per manifest layer, newest (the last) first, the
 * image ID on that one. CREATED is the manifest's `created` for every layer; CREATED BY is
 * `<pathInHost>:<pathInContainer>` as the manifest gives them, like a bind mount (`/` for the
 * root layer); SIZE is what the layer adds to the image's size: a squashfs file's size now
 * (the manifest's `size` when the file is gone), 0 for the root layer and for directories
 * (see src/embedded/README.md "Storage and identity"); COMMENT is empty. Reads only the
 * stored manifest and the layer files' sizes.
 */
export function embeddedHistory(row: EmbeddedImageRow): HistoryItem[] {
  const manifest = parseEmbeddedManifest(row.manifest);
  const folder = dirname(row.manifestPath);
  const items = manifest.layers.map(
    (layer, i): HistoryItem => ({
      created: manifest.created ?? row.created,
      createdBy: `${layer.pathInHost ?? ""}:${i === 0 ? "/" : (layer.pathInContainer ?? "")}`,
      size: i === 0 ? 0 : embeddedLayerSize(layer, folder, row.name),
      comment: "",
      emptyLayer: false,
    }),
  );
  items.reverse();
  if (items[0]) items[0].id = row.id;
  return items;
}

function embeddedLayerSize(layer: EmbeddedLayer, folder: string, image: string): number {
  if (layer.mediaType === DIR_LAYER_MEDIA_TYPE || layer.pathInHost === undefined) return 0;
  const path = resolve(folder, layer.pathInHost);
  try {
    return statSync(path).size;
  } catch (err) {
    if (hasCode(err, "ENOENT")) return layer.size ?? 0;
    const why = err instanceof Error ? err.message : String(err);
    throw imageError("Internal", `sizing layer "${path}" of embedded image ${image}: ${why}`, err);
  }
}

/**
 * `rmi` of an embedded image: deletes its record; the manifest and layer files stay. `-f` makes
 * no difference (there are no containers yet to refuse for). `NotFound` if another process
 * removed it first.
 */
export function removeEmbedded(store: ImageStore, row: EmbeddedImageRow): RemoveResult {
  if (!removeEmbeddedImage(store, row.name)) throw noSuchImage(row.name);
  return { action: "deleted", id: row.id };
}

function tryNormalise(input: string): string | undefined {
  try {
    return normaliseName(input);
  } catch {
    return undefined;
  }
}

/**
 * `resolveImage` for operations embedded images do not support (tag, save): an embedded image
 * is `InvalidArgument` with a plain sentence rather than iSulad's failure without a reason.
 */
export function resolveOciOnly(store: ImageStore, input: string, verb: string): Resolved {
  const found = resolveAnyImage(store, input);
  if (found.embedded) {
    throw imageError("InvalidArgument", `embedded image "${input}" cannot be ${verb}`);
  }
  return found.oci;
}
