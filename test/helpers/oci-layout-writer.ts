import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { digestHex, sha256Digest } from "../../src/digest/digest.ts";
import { MediaType } from "../../src/oci/media-types.ts";
import type { Platform } from "../../src/oci/types.ts";
import { ociManifest } from "./archive-writer.ts";
import type { BuiltImage } from "./image-builder.ts";

/** An image of a layout: either one image or a multi-platform index of several. */
export type LayoutEntry =
  | { tag: string; image: BuiltImage }
  | { tag: string; platforms: { image: BuiltImage; platform: Platform }[] };

async function putBlob(dir: string, body: Buffer): Promise<void> {
  await writeFile(join(dir, "blobs", "sha256", digestHex(sha256Digest(body))), body);
}

async function putImage(dir: string, image: BuiltImage): Promise<Buffer> {
  await putBlob(dir, image.config);
  for (const l of image.layers) await putBlob(dir, l.blob);
  const manifest = ociManifest(image);
  await putBlob(dir, manifest);
  return manifest;
}

/**
 * Writes an OCI image layout directory (for `skopeo copy oci:<dir>:<tag>`): each entry is
 * tagged by `org.opencontainers.image.ref.name`; a multi-platform entry is an image index blob.
 */
export async function writeOciLayout(dir: string, entries: LayoutEntry[]): Promise<void> {
  await mkdir(join(dir, "blobs", "sha256"), { recursive: true });
  const manifests: object[] = [];
  for (const e of entries) {
    const annotations = { "org.opencontainers.image.ref.name": e.tag };
    if ("image" in e) {
      const m = await putImage(dir, e.image);
      manifests.push({
        mediaType: MediaType.ociManifest,
        digest: sha256Digest(m),
        size: m.length,
        annotations,
      });
      continue;
    }
    const list: object[] = [];
    for (const p of e.platforms) {
      const m = await putImage(dir, p.image);
      list.push({
        mediaType: MediaType.ociManifest,
        digest: sha256Digest(m),
        size: m.length,
        platform: p.platform,
      });
    }
    const index = Buffer.from(
      JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: list }),
    );
    await putBlob(dir, index);
    manifests.push({
      mediaType: MediaType.ociIndex,
      digest: sha256Digest(index),
      size: index.length,
      annotations,
    });
  }
  const top = { schemaVersion: 2, mediaType: MediaType.ociIndex, manifests };
  await writeFile(join(dir, "index.json"), JSON.stringify(top));
  await writeFile(join(dir, "oci-layout"), '{"imageLayoutVersion":"1.0.0"}');
}
