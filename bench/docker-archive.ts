/**
 * Writes docker-archive tarballs as Docker ≥25 `docker save` does: every blob under
 * `blobs/sha256/<hex>`, an OCI `index.json` and `oci-layout`, and the classic `manifest.json`
 * with `RepoTags`. Layers may be plain or gzip; the config's `rootfs.diff_ids` are always the
 * digests of the uncompressed tars.
 */
import { createHash } from "node:crypto";
import { addBuffer, addFile, type WrittenFile, writeTar } from "./tar-file.ts";

const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
const OCI_CONFIG = "application/vnd.oci.image.config.v1+json";
const OCI_INDEX = "application/vnd.oci.image.index.v1+json";

/** One layer as stored in the archive: the blob file and its media type. */
export interface ArchiveLayer {
  blob: WrittenFile;
  mediaType: string;
}

/** One image of an archive: its names, config bytes and layers (bottom first). */
export interface ArchiveImage {
  repoTags: string[];
  config: Buffer;
  layers: ArchiveLayer[];
}

/** The platform of this machine in OCI words, so that every peer unpacks the image. */
export function hostPlatform(): { architecture: string; os: string } {
  const arch: Record<string, string> = { x64: "amd64", arm64: "arm64", ia32: "386" };
  return { architecture: arch[process.arch] ?? process.arch, os: "linux" };
}

/** Builds the config of an image with the given diffIDs; `extra` goes into `config`. */
export function imageConfig(diffIds: string[], extra: Record<string, unknown> = {}): Buffer {
  const created = "2024-01-01T00:00:00Z";
  const config = {
    ...hostPlatform(),
    created,
    config: {
      Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
      ...extra,
    },
    rootfs: { type: "layers", diff_ids: diffIds },
    history: diffIds.map(() => ({ created, created_by: "isulad-ts bench fixture" })),
  };
  return Buffer.from(JSON.stringify(config));
}

function sha256(data: Buffer): string {
  return `sha256:${createHash("sha256").update(data).digest("hex")}`;
}

function blobPath(digest: string): string {
  return `blobs/sha256/${digest.slice("sha256:".length)}`;
}

/** Splits a `repo:tag` into the annotations Docker writes on an index entry. */
function nameAnnotations(repoTag: string | undefined): Record<string, string> | undefined {
  if (!repoTag) return undefined;
  const tag = repoTag.slice(repoTag.lastIndexOf(":") + 1);
  const full = repoTag.includes("/") ? `docker.io/${repoTag}` : `docker.io/library/${repoTag}`;
  return { "io.containerd.image.name": full, "org.opencontainers.image.ref.name": tag };
}

/** Writes the archive at `path`; blobs shared by several images are stored once. */
export function writeDockerArchive(path: string, images: ArchiveImage[]): Promise<WrittenFile> {
  return writeTar(path, async (pack) => {
    const written = new Set<string>();
    const putBuffer = async (data: Buffer): Promise<string> => {
      const digest = sha256(data);
      if (!written.has(digest))
        await addBuffer(pack, { name: blobPath(digest), mode: 0o644 }, data);
      written.add(digest);
      return digest;
    };
    await addBuffer(pack, { name: "blobs/", type: "directory", mode: 0o755 }, Buffer.alloc(0));
    await addBuffer(
      pack,
      { name: "blobs/sha256/", type: "directory", mode: 0o755 },
      Buffer.alloc(0),
    );

    const legacy: unknown[] = [];
    const index: unknown[] = [];
    for (const image of images) {
      for (const layer of image.layers) {
        if (written.has(layer.blob.digest)) continue;
        await addFile(pack, blobPath(layer.blob.digest), layer.blob);
        written.add(layer.blob.digest);
      }
      const configDigest = await putBuffer(image.config);
      const manifest = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: OCI_MANIFEST,
          config: { mediaType: OCI_CONFIG, digest: configDigest, size: image.config.length },
          layers: image.layers.map((l) => ({
            mediaType: l.mediaType,
            digest: l.blob.digest,
            size: l.blob.size,
          })),
        }),
      );
      const manifestDigest = await putBuffer(manifest);
      index.push({
        mediaType: OCI_MANIFEST,
        digest: manifestDigest,
        size: manifest.length,
        annotations: nameAnnotations(image.repoTags[0]),
      });
      legacy.push({
        Config: blobPath(configDigest),
        RepoTags: image.repoTags,
        Layers: image.layers.map((l) => blobPath(l.blob.digest)),
      });
    }

    const indexDoc = { schemaVersion: 2, mediaType: OCI_INDEX, manifests: index };
    await addBuffer(
      pack,
      { name: "index.json", mode: 0o644 },
      Buffer.from(JSON.stringify(indexDoc)),
    );
    await addBuffer(
      pack,
      { name: "manifest.json", mode: 0o644 },
      Buffer.from(JSON.stringify(legacy)),
    );
    const layout = Buffer.from('{"imageLayoutVersion": "1.0.0"}');
    await addBuffer(pack, { name: "oci-layout", mode: 0o644 }, layout);
  });
}
