import { gzipSync } from "node:zlib";
import { compress as zstdCompress } from "zstd-napi";
import { type Digest, sha256Digest } from "../../src/digest/digest.ts";
import { buildTar, type TarSpec } from "../../src/layer/testing/tar-builder.ts";
import type { Compression } from "../../src/oci/media-types.ts";
import type { ImageConfig } from "../../src/oci/types.ts";

export type { TarSpec } from "../../src/layer/testing/tar-builder.ts";

/** A layer ready to place in an archive: the tar, and its blob as it will be stored. */
export interface BuiltLayer {
  /** The uncompressed tar bytes. */
  tar: Buffer;
  diffId: Digest;
  /** The blob bytes (the tar, compressed as asked). */
  blob: Buffer;
  digest: Digest;
  compression: Compression;
}

/** An image: its config bytes (whose sha256 is the image ID) and its layers. */
export interface BuiltImage {
  config: Buffer;
  configDigest: Digest;
  /** 64 hex: sha256 of the config bytes. */
  id: string;
  layers: BuiltLayer[];
}

/** Compresses bytes as a layer or an archive may be. */
export function compressBytes(data: Buffer, compression: Compression): Buffer {
  if (compression === "gzip") return gzipSync(data);
  if (compression === "zstd") return zstdCompress(data);
  return data;
}

/**
 * Builds a layer from entries (packed by the layer folder's tar builder: root-owned, fixed
 * mtimes, PAX for long names) or from ready tar bytes, compressed as asked.
 */
export async function buildLayer(
  entries: TarSpec[] | Buffer,
  compression: Compression = "none",
): Promise<BuiltLayer> {
  const tar = Buffer.isBuffer(entries) ? entries : buildTar(entries);
  const blob = compressBytes(tar, compression);
  return { tar, diffId: sha256Digest(tar), blob, digest: sha256Digest(blob), compression };
}

/** Options of `buildImage`; everything has a deterministic default. */
export interface ImageOptions {
  layers: BuiltLayer[];
  created?: string;
  labels?: Record<string, string>;
  cmd?: string[];
  /** Overrides the diff_ids written in the config (to build a mismatching image). */
  diffIds?: Digest[];
  /** Extra top-level fields, to make two otherwise equal images differ. */
  extra?: Record<string, unknown>;
}

/** Builds an image config with rootfs.diff_ids, history and labels; ID = sha256 of its bytes. */
export function buildImage(opts: ImageOptions): BuiltImage {
  const created = opts.created ?? "2024-01-02T03:04:05.123456789Z";
  const config: ImageConfig = {
    architecture: "amd64",
    os: "linux",
    created,
    config: {
      Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
      Cmd: opts.cmd ?? ["/bin/sh"],
      Labels: opts.labels ?? null,
    },
    rootfs: { type: "layers", diff_ids: opts.diffIds ?? opts.layers.map((l) => l.diffId) },
    history: opts.layers.map((_, i) => ({ created, created_by: `layer ${i}` })),
    ...opts.extra,
  };
  const bytes = Buffer.from(JSON.stringify(config));
  const configDigest = sha256Digest(bytes);
  return { config: bytes, configDigest, id: configDigest.slice(7), layers: opts.layers };
}

/** A small two-layer image used by many tests; `seed` makes distinct but similar images. */
export async function sampleImage(
  compression: Compression = "none",
  seed = "a",
): Promise<BuiltImage> {
  const base = await buildLayer(
    [
      { name: "etc/", type: "dir" },
      { name: "etc/os-release", body: `ID=test-${seed}\n` },
      { name: "bin/", type: "dir" },
      { name: "bin/sh", body: "#!fake shell\n", mode: 0o755 },
    ],
    compression,
  );
  const top = await buildLayer(
    [
      { name: "app/", type: "dir" },
      { name: "app/hello.txt", body: `hello ${seed}\n` },
      { name: "app/link", type: "symlink", linkname: "hello.txt" },
    ],
    compression,
  );
  return buildImage({ layers: [base, top], labels: { seed } });
}
