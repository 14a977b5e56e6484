import { writeFile } from "node:fs/promises";
import tarStream from "tar-stream";
import { digestHex, sha256Digest } from "../../src/digest/digest.ts";
import { type Compression, MediaType, ociLayerMediaType } from "../../src/oci/media-types.ts";
import type { BuiltImage } from "./image-builder.ts";
import { compressBytes } from "./image-builder.ts";

/**
 * The archive shapes real tools write:
 * - `docker25`: Docker ≥25 `docker save` (OCI layout plus `manifest.json`, blobs by digest);
 * - `docker-legacy`: Docker <25 (`<v1id>/layer.tar`, `<id>.json`, `repositories`; a layer used
 *   twice is a symlink `../<v1id>/layer.tar`);
 * - `skopeo`: skopeo/podman docker-archive (`<hex>.tar` layers, legacy dirs as symlinks to them);
 * - `oci`: an OCI image layout (`oci-layout`, `index.json`, names in `ref.name` annotations).
 */
export type ArchiveShape = "docker25" | "docker-legacy" | "skopeo" | "oci";

/** One image of an archive with the names it carries. */
export interface ArchiveImage {
  image: BuiltImage;
  /** `RepoTags` (docker shapes) or `org.opencontainers.image.ref.name` values (oci). */
  repoTags?: string[];
}

/** A member to put in an archive verbatim (or to break one: `skip` leaves a named member out). */
export interface ArchiveMember {
  name: string;
  body?: Buffer;
  type?: "file" | "symlink" | "directory";
  linkname?: string;
}

export interface ArchiveOptions {
  shape: ArchiveShape;
  /** Compression of the whole archive. */
  compression?: Compression;
  /** Rewrites the member list before packing (drop a layer, corrupt JSON, add a member). */
  mutate?: (members: ArchiveMember[]) => ArchiveMember[];
}

/** Builds the member list of an archive of the given shape. */
export function archiveMembers(images: ArchiveImage[], shape: ArchiveShape): ArchiveMember[] {
  if (shape === "docker-legacy") return legacyMembers(images, false);
  if (shape === "skopeo") return legacyMembers(images, true);
  return ociMembers(images, shape === "docker25");
}

/** Packs members into tar bytes, compressed as asked. */
export async function packMembers(members: ArchiveMember[], compression: Compression = "none") {
  const pack = tarStream.pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const c of pack) chunks.push(c as Buffer);
  })();
  for (const m of members) {
    const type = m.type ?? "file";
    const header = {
      name: m.name,
      type,
      linkname: m.linkname,
      mode: type === "directory" ? 0o755 : 0o644,
    };
    const body = type === "file" ? (m.body ?? Buffer.alloc(0)) : undefined;
    await new Promise<void>((resolve, reject) =>
      pack.entry(header, body ?? "", (err) => (err ? reject(err) : resolve())),
    );
  }
  pack.finalize();
  await done;
  return compressBytes(Buffer.concat(chunks), compression);
}

/** Writes an archive of `images` in `opts.shape` to `file`. */
export async function writeArchive(file: string, images: ArchiveImage[], opts: ArchiveOptions) {
  let members = archiveMembers(images, opts.shape);
  if (opts.mutate) members = opts.mutate(members);
  await writeFile(file, await packMembers(members, opts.compression));
}

/** The OCI image manifest of a built image, as the oci and docker25 shapes store it. */
export function ociManifest(image: BuiltImage): Buffer {
  return Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      config: {
        mediaType: MediaType.ociConfig,
        digest: image.configDigest,
        size: image.config.length,
      },
      layers: image.layers.map((l) => ({
        mediaType: ociLayerMediaType(l.compression),
        digest: l.digest,
        size: l.blob.length,
      })),
    }),
  );
}

function ociMembers(images: ArchiveImage[], docker: boolean): ArchiveMember[] {
  const blobs = new Map<string, Buffer>();
  const index: object[] = [];
  const items: object[] = [];
  for (const { image, repoTags } of images) {
    const manifest = ociManifest(image);
    const manifestDigest = sha256Digest(manifest);
    blobs.set(image.configDigest, image.config);
    blobs.set(manifestDigest, manifest);
    for (const l of image.layers) blobs.set(l.digest, l.blob);
    const desc = {
      mediaType: MediaType.ociManifest,
      digest: manifestDigest,
      size: manifest.length,
    };
    const tags = repoTags ?? [];
    if (tags.length === 0) index.push(desc);
    for (const tag of tags) {
      const refName = docker ? (tag.split(":").pop() ?? tag) : tag;
      const annotations: Record<string, string> = { "org.opencontainers.image.ref.name": refName };
      if (docker) annotations["io.containerd.image.name"] = tag;
      index.push({ ...desc, annotations });
    }
    items.push({
      Config: `blobs/sha256/${digestHex(image.configDigest)}`,
      RepoTags: tags.length ? tags : null,
      Layers: image.layers.map((l) => `blobs/sha256/${digestHex(l.digest)}`),
    });
  }
  const members: ArchiveMember[] = [
    { name: "blobs/", type: "directory" },
    { name: "blobs/sha256/", type: "directory" },
  ];
  for (const [d, body] of blobs)
    members.push({ name: `blobs/sha256/${digestHex(d as never)}`, body });
  const indexDoc = { schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: index };
  members.push({ name: "index.json", body: Buffer.from(JSON.stringify(indexDoc)) });
  if (docker) members.push({ name: "manifest.json", body: Buffer.from(JSON.stringify(items)) });
  members.push({ name: "oci-layout", body: Buffer.from('{"imageLayoutVersion":"1.0.0"}') });
  return members;
}

function legacyMembers(images: ArchiveImage[], skopeo: boolean): ArchiveMember[] {
  const members: ArchiveMember[] = [];
  const firstPath = new Map<string, string>();
  const items: object[] = [];
  const repositories: Record<string, Record<string, string>> = {};
  for (const { image, repoTags } of images) {
    const layerPaths: string[] = [];
    let parent = "";
    for (const l of image.layers) {
      const v1 = digestHex(sha256Digest(`${parent} ${l.diffId} ${image.id}`));
      parent = v1;
      members.push({ name: `${v1}/`, type: "directory" });
      members.push({ name: `${v1}/VERSION`, body: Buffer.from("1.0") });
      members.push({ name: `${v1}/json`, body: Buffer.from(JSON.stringify({ id: v1 })) });
      const known = firstPath.get(l.digest);
      if (skopeo) {
        const own = `${digestHex(l.digest)}.tar`;
        if (!known) members.push({ name: own, body: l.blob });
        members.push({ name: `${v1}/layer.tar`, type: "symlink", linkname: `../${own}` });
        firstPath.set(l.digest, own);
        layerPaths.push(own);
      } else if (known) {
        members.push({ name: `${v1}/layer.tar`, type: "symlink", linkname: `../${known}` });
        layerPaths.push(`${v1}/layer.tar`);
      } else {
        members.push({ name: `${v1}/layer.tar`, body: l.blob });
        firstPath.set(l.digest, `${v1}/layer.tar`);
        layerPaths.push(`${v1}/layer.tar`);
      }
    }
    members.push({ name: `${image.id}.json`, body: image.config });
    for (const tag of repoTags ?? []) {
      const at = tag.lastIndexOf(":");
      repositories[tag.slice(0, at)] = {
        ...repositories[tag.slice(0, at)],
        [tag.slice(at + 1)]: parent,
      };
    }
    items.push({ Config: `${image.id}.json`, RepoTags: repoTags ?? null, Layers: layerPaths });
  }
  members.push({ name: "manifest.json", body: Buffer.from(JSON.stringify(items)) });
  members.push({ name: "repositories", body: Buffer.from(JSON.stringify(repositories)) });
  return members;
}
