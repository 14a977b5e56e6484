import { arch } from "node:process";
import { parseJson } from "../digest/bounded-read.ts";
import { type Digest, isDigest, sha256Digest } from "../digest/digest.ts";
import { imageError } from "../errors.ts";
import { checkIndex, checkManifest } from "../oci/check-descriptor.ts";
import { layerCompression, MediaType } from "../oci/media-types.ts";
import type { Descriptor, ImageManifest } from "../oci/types.ts";
import type { ArchiveView } from "./archive-view.ts";
import { checkConfig, checkLayerCount, type ImagePlan } from "./image-plan.ts";

/** An image manifest found through `index.json`, with the names its index entries give it. */
export interface IndexedManifest {
  digest: Digest;
  bytes: Buffer;
  mediaType: string;
  manifest: ImageManifest;
  /** Full names: `io.containerd.image.name`, or a `ref.name` that is a whole reference. */
  names: string[];
}

const REF_NAME = "org.opencontainers.image.ref.name";
const CONTAINERD_NAME = "io.containerd.image.name";
const REFERENCE_TYPE = "vnd.docker.reference.type";

/** Member name of a blob in an OCI layout. Only sha256 is stored, so only sha256 is accepted. */
export function blobMember(digest: string): string {
  if (!isDigest(digest))
    throw imageError("InvalidArgument", `unsupported digest "${digest}" in index.json`);
  return `blobs/sha256/${digest.slice(7)}`;
}

/**
 * The name an index entry gives its image. Docker writes the full name in
 * `io.containerd.image.name` and only the tag in `ref.name`. A `ref.name` with a `/` or `:` is a
 * whole reference (skopeo `oci:dir:name:tag`, umoci); one without is a bare tag inside the layout
 * (the OCI spec's own examples, `skopeo copy ... oci:dir:1.0`): like containerd without
 * `--base-name`, we give such an image no name (it loads dangling) and `--tag` can name it.
 */
export function entryName(desc: Descriptor): string | undefined {
  const full = desc.annotations?.[CONTAINERD_NAME];
  if (full) return full;
  const ref = desc.annotations?.[REF_NAME];
  if (ref && (ref.includes("/") || ref.includes(":"))) return ref;
  return undefined;
}

/**
 * Reads `index.json` and every image manifest it names, following a nested index one level deep
 * (picking this host's platform when it lists several). Manifests named by several entries are
 * returned once with all their names. Verifies each manifest blob against its descriptor digest.
 * Attestation manifests are skipped. Throws `InvalidArgument` for anything malformed or missing.
 */
export async function readIndexedManifests(view: ArchiveView): Promise<IndexedManifest[]> {
  const index = checkIndex(await readJsonBlob(view, "index.json"), "index.json");
  const byDigest = new Map<Digest, IndexedManifest>();
  for (const desc of index.manifests) {
    if (desc?.annotations?.[REFERENCE_TYPE]) continue;
    const name = entryName(desc);
    const target = isIndex(desc.mediaType) ? await pickFromNested(view, desc) : desc;
    let entry = byDigest.get(target.digest);
    if (!entry) {
      const bytes = await readVerified(view, target);
      entry = {
        digest: target.digest,
        bytes,
        mediaType: target.mediaType,
        manifest: parseManifest(bytes),
        names: [],
      };
      byDigest.set(target.digest, entry);
    }
    if (name && !entry.names.includes(name)) entry.names.push(name);
  }
  return [...byDigest.values()];
}

/** Plans the images of an OCI-layout archive (no `manifest.json`). */
export async function planOciLayout(view: ArchiveView): Promise<ImagePlan[]> {
  const plans: ImagePlan[] = [];
  for (const entry of await readIndexedManifests(view)) {
    const where = blobMember(entry.manifest.config.digest);
    const config = await readVerified(view, entry.manifest.config);
    const { id, diffIds } = checkConfig(config, where);
    for (const l of entry.manifest.layers) checkLayerMediaType(l.mediaType, entry.digest);
    const layerDigests = entry.manifest.layers.map((l) => parseLayerDigest(l.digest));
    const plan: ImagePlan = {
      id,
      config,
      diffIds,
      layers: layerDigests.map(blobMember),
      layerDigests,
      names: entry.names,
      manifest: { bytes: entry.bytes, mediaType: entry.mediaType, layers: layerDigests },
      from: "index.json",
    };
    checkLayerCount(plan, where);
    plans.push(plan);
  }
  return plans;
}

async function pickFromNested(view: ArchiveView, desc: Descriptor): Promise<Descriptor> {
  const where = blobMember(desc.digest);
  const nested = checkIndex(parseJson(await readVerified(view, desc), where), `index "${where}"`);
  const candidates = (nested.manifests ?? []).filter(
    (d) => !d.annotations?.[REFERENCE_TYPE] && d.platform?.os !== "unknown",
  );
  if (candidates.length === 1 && candidates[0]) return candidates[0];
  const want = hostArchitecture();
  const match = candidates.find(
    (d) => d.platform?.os === "linux" && d.platform.architecture === want,
  );
  if (!match) {
    throw imageError("NotFound", `no image for platform "linux/${want}" in index "${desc.digest}"`);
  }
  return match;
}

function hostArchitecture(): string {
  const map: Record<string, string> = { x64: "amd64", ia32: "386", arm: "arm", arm64: "arm64" };
  return map[arch] ?? arch;
}

function isIndex(mediaType: string | undefined): boolean {
  return mediaType === MediaType.ociIndex || mediaType === MediaType.dockerManifestList;
}

/** Reads the blob a descriptor names and checks its sha256 (and size when given). */
export async function readVerified(view: ArchiveView, desc: Descriptor): Promise<Buffer> {
  const name = blobMember(desc?.digest);
  if (view.resolve(name) === undefined) {
    throw imageError(
      "InvalidArgument",
      `blob "${desc.digest}" named by index.json is missing from the archive`,
    );
  }
  const bytes = await view.read(name);
  if (
    sha256Digest(bytes) !== desc.digest ||
    (desc.size !== undefined && desc.size !== bytes.length)
  ) {
    throw imageError(
      "InvalidArgument",
      `blob "${desc.digest}" in the archive does not match its digest`,
    );
  }
  return bytes;
}

async function readJsonBlob<T>(view: ArchiveView, name: string): Promise<T> {
  const doc = parseJson(await view.read(name), `"${name}"`);
  if (typeof doc !== "object" || doc === null)
    throw imageError("InvalidArgument", `"${name}" is not a JSON object`);
  return doc as T;
}

function parseManifest(bytes: Buffer): ImageManifest {
  return checkManifest(parseJson(bytes, "an image manifest"), "an image manifest in the archive");
}

/** Docker's uncompressed layer type, which `layerCompression` (pull) leaves out. */
const DOCKER_PLAIN_LAYER = "application/vnd.docker.image.rootfs.diff.tar";

/**
 * Refuses a layer whose media type is not a tar layer (encrypted layers, artifacts): unpacking
 * it would fail later with a less clear message, or unpack something that is not a layer.
 */
function checkLayerMediaType(mediaType: string, manifest: Digest): void {
  if (layerCompression(mediaType) !== undefined || mediaType === DOCKER_PLAIN_LAYER) return;
  throw imageError(
    "InvalidArgument",
    `image manifest "${manifest}" has unsupported layer media type ${JSON.stringify(mediaType)}`,
  );
}

function parseLayerDigest(d: string): Digest {
  if (!isDigest(d))
    throw imageError("InvalidArgument", `unsupported layer digest "${d}" in a manifest`);
  return d;
}
