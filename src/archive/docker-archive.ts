import { parseJson } from "../digest/bounded-read.ts";
import { type Digest, sha256Digest } from "../digest/digest.ts";
import { ImageError, imageError } from "../errors.ts";
import { MAX_INDEX_ENTRIES } from "../oci/check-descriptor.ts";
import type { DockerArchiveItem } from "../oci/types.ts";
import type { ArchiveView } from "./archive-view.ts";
import { checkConfig, checkLayerCount, digestInName, type ImagePlan } from "./image-plan.ts";
import { blobMember, type IndexedManifest, readIndexedManifests } from "./oci-layout.ts";

/**
 * Plans the images of a docker-archive from its `manifest.json`: every shape Docker, skopeo and
 * podman write (`<id>/layer.tar`, `<hex>.tar`, `blobs/sha256/<hex>`). When the archive also has an
 * `index.json` (Docker ≥25) and it holds a manifest with exactly this config and these layer
 * blobs, that manifest is kept so the image's digest round-trips.
 *
 * Checks: the JSON shape, each config present and matching a digest its name carries, diffID
 * count = layer count. Throws `InvalidArgument` with the reason.
 */
export async function planDockerArchive(view: ArchiveView): Promise<ImagePlan[]> {
  const items = parseItems(await view.read("manifest.json"));
  const indexed = await readOptionalIndex(view);
  const plans: ImagePlan[] = [];
  for (const item of items) {
    if (view.resolve(item.Config) === undefined) {
      throw imageError(
        "InvalidArgument",
        `config "${item.Config}" named by manifest.json is missing from the archive`,
      );
    }
    const config = await view.read(item.Config);
    const { id, diffIds } = checkConfig(config, item.Config);
    const named = digestInName(item.Config);
    if (named !== undefined && named !== id) {
      throw imageError("InvalidArgument", `config "${item.Config}" does not match its digest`);
    }
    const plan: ImagePlan = {
      id,
      config,
      diffIds,
      layers: item.Layers,
      names: item.RepoTags ?? [],
      from: "manifest.json",
    };
    checkLayerCount(plan, item.Config);
    const original = findOriginal(indexed, sha256Digest(config), item.Layers);
    if (original) {
      plan.manifest = {
        bytes: original.bytes,
        mediaType: original.mediaType,
        layers: original.layers,
      };
      plan.layerDigests = original.layers;
    }
    plans.push(plan);
  }
  return plans;
}

/**
 * `index.json` beside `manifest.json` only supplies original manifests; iSulad ignores it
 * entirely, so one we cannot use (malformed, other platforms only) is skipped, not an error.
 */
async function readOptionalIndex(view: ArchiveView): Promise<IndexedManifest[]> {
  if (view.resolve("index.json") === undefined) return [];
  try {
    return await readIndexedManifests(view);
  } catch (err) {
    if (err instanceof ImageError && (err.kind === "InvalidArgument" || err.kind === "NotFound"))
      return [];
    throw err;
  }
}

function parseItems(bytes: Buffer): DockerArchiveItem[] {
  const doc = parseJson(bytes, '"manifest.json"');
  const ok =
    Array.isArray(doc) &&
    doc.every(
      (i) =>
        typeof i === "object" &&
        i !== null &&
        typeof i.Config === "string" &&
        Array.isArray(i.Layers) &&
        i.Layers.every((l: unknown) => typeof l === "string") &&
        (i.RepoTags == null ||
          (Array.isArray(i.RepoTags) && i.RepoTags.every((t: unknown) => typeof t === "string"))),
    );
  if (!ok) {
    throw imageError(
      "InvalidArgument",
      '"manifest.json" is not a list of {Config, RepoTags, Layers}',
    );
  }
  if (doc.length === 0) throw imageError("InvalidArgument", '"manifest.json" lists no images');
  if (doc.length > MAX_INDEX_ENTRIES)
    throw imageError(
      "InvalidArgument",
      `"manifest.json" lists ${doc.length} images, more than ${MAX_INDEX_ENTRIES}`,
    );
  return doc as DockerArchiveItem[];
}

/** The indexed manifest whose config and layer blobs are exactly those of a manifest.json item. */
function findOriginal(
  indexed: IndexedManifest[],
  configDigest: Digest,
  layers: string[],
): { bytes: Buffer; mediaType: string; layers: Digest[] } | undefined {
  for (const m of indexed) {
    if (m.manifest.config?.digest !== configDigest) continue;
    const digests = m.manifest.layers.map((l) => l.digest);
    if (digests.length !== layers.length) continue;
    const same = digests.every((d, i) => {
      try {
        return blobMember(d) === layers[i]?.replace(/^\.?\//, "");
      } catch {
        return false;
      }
    });
    if (same) return { bytes: m.bytes, mediaType: m.mediaType, layers: digests };
  }
  return undefined;
}
