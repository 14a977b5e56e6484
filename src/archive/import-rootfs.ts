import { spawn } from "node:child_process";
import { open } from "node:fs/promises";
import { digestHex } from "../digest/digest.ts";
import { hasCode, ImageError, imageError } from "../errors.ts";
import type { ImageStore } from "../image/image-store.ts";
import type { NewLayer } from "../image/types.ts";
import { applyLayer } from "../layer/apply-layer.ts";
import type { LayerSource, WhiteoutFormat } from "../layer/types.ts";
import { detectWhiteoutFormat } from "../layer/whiteout.ts";
import type { Platform } from "../oci/types.ts";
import { synthesiseManifest } from "./commit-images.ts";
import { layerMediaType } from "./prepare-layers.ts";

const XZ = [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00];
const BZIP2 = [0x42, 0x5a, 0x68];

/** The history comment of an imported image, Docker's text (it always reads a stream). */
export const IMPORT_COMMENT = "Imported from -";

export interface ImportRootfsOptions {
  store: ImageStore;
  /** A rootfs tarball: plain tar, gzip, xz or zstd (told apart by their first bytes). */
  file: string;
  /** Normalised `repo:tag` to give the image; none leaves it dangling. */
  name?: string;
  /** Written into the config (this machine's, from the caller). */
  platform: Platform;
  /** The config's `created` and history time (tests); now by default. */
  created?: Date;
  signal?: AbortSignal;
  /** Overrides the whiteout format probed in the store (tests). */
  whiteoutFormat?: WhiteoutFormat;
}

/**
 * `isula import`: stores a one-layer image made of a rootfs tarball. The tarball is unpacked by
 * the layer extractor (so hostile names, links through symlinks and truncation fail as they do
 * for any layer) and kept as the layer blob as read; xz is decompressed by the `xz` program
 * (Node has no xz) and kept as the plain tar. The config has this machine's platform, `created`
 * now, the layer's diffID, and one history entry commented `Imported from -` (Docker's).
 *
 * Throws `InvalidArgument` for an empty file, something that is not a tar or a broken
 * compression, `NotImplemented` for bzip2 (and xz without the `xz` program), `NotFound` for a
 * missing file; nothing is stored then. Returns the 64-hex image ID. Safe to run concurrently
 * with anything on the store: the layer is unpacked in the lease's ingest area and committed in
 * one transaction.
 */
export async function importRootfs(opts: ImportRootfsOptions): Promise<{ id: string }> {
  const head = await readHead(opts.file);
  if (head.length === 0) throw imageError("InvalidArgument", "the archive is empty");
  if (startsWith(head, BZIP2)) {
    throw imageError("NotImplemented", "bzip2 compressed tarballs are not supported");
  }
  const xz = startsWith(head, XZ);
  const whiteoutFormat = opts.whiteoutFormat ?? (await detectWhiteoutFormat(opts.store.root));
  const lease = opts.store.lease();
  try {
    const tempDir = lease.tempPath("layer");
    const tempBlob = lease.tempPath("blob");
    const source: LayerSource = xz
      ? { kind: "stream", stream: xzDecompress(opts.file, opts.signal) }
      : { kind: "file", path: opts.file };
    const applied = await applyLayer({
      source,
      target: tempDir,
      blobPath: tempBlob,
      whiteoutFormat,
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    const id = digestHex(applied.diffId);
    // The same rootfs imported before (perhaps compressed otherwise) is reused as stored, so the
    // manifest names the blob the store keeps; our copies go with the lease.
    // Another process may still store this layer (with other compression) between `hold` and
    // the commit, which then keeps its record; our manifest names our blob, which is dropped,
    // as after a pull that reuses a layer. `save` and `push` export a manifest over the stored
    // blobs then (export-manifest.ts); the image ID is the same either way.
    const stored = lease.hold(id);
    const layer: NewLayer = stored
      ? { record: stored }
      : {
          record: {
            id,
            diffId: applied.diffId,
            digest: applied.digest,
            size: applied.size,
            mediaType: layerMediaType(applied.compression),
            diffSize: applied.diffSize,
            whiteoutFormat,
          },
          tempDir,
          tempBlob,
        };
    const config = importConfig(applied.diffId, opts.platform, opts.created ?? new Date());
    const manifest = synthesiseManifest(config, [layer.record]);
    opts.signal?.throwIfAborted();
    const record = opts.store.commitImage({
      lease,
      layers: [layer],
      config,
      manifest: manifest.bytes,
      manifestMediaType: manifest.mediaType,
      names: opts.name === undefined ? [] : [opts.name],
    });
    return { id: record.id };
  } finally {
    await lease.release().catch(() => {});
  }
}

/** The config of an imported image (Docker's shape: empty `config`, one history entry). */
export function importConfig(diffId: string, platform: Platform, created: Date): Buffer {
  const time = created.toISOString();
  const config = {
    architecture: platform.architecture,
    ...(platform.variant ? { variant: platform.variant } : {}),
    os: platform.os,
    created: time,
    config: {},
    rootfs: { type: "layers", diff_ids: [diffId] },
    history: [{ created: time, comment: IMPORT_COMMENT }],
  };
  return Buffer.from(JSON.stringify(config));
}

async function readHead(file: string): Promise<Buffer> {
  let fh: Awaited<ReturnType<typeof open>>;
  try {
    fh = await open(file, "r");
  } catch (err) {
    if (hasCode(err, "ENOENT")) throw imageError("NotFound", `no such file "${file}"`, err);
    if (hasCode(err, "EISDIR")) throw imageError("InvalidArgument", `"${file}" is a directory`);
    throw imageError("PermissionDenied", `opening "${file}": ${(err as Error).message}`, err);
  }
  try {
    const buf = Buffer.alloc(512);
    const { bytesRead } = await fh.read(buf, 0, 512, 0);
    return buf.subarray(0, bytesRead);
  } catch (err) {
    if (hasCode(err, "EISDIR")) throw imageError("InvalidArgument", `"${file}" is a directory`);
    throw err;
  } finally {
    await fh.close();
  }
}

function startsWith(head: Uint8Array, magic: number[]): boolean {
  return head.length >= magic.length && magic.every((b, i) => head[i] === b);
}

/**
 * The decompressed bytes of an xz file, from `xz -dc`. When xz fails (corrupt or truncated
 * input) the iteration throws `InvalidArgument` with xz's own message after its output ends;
 * when the consumer stops early, xz is killed.
 */
async function* xzDecompress(file: string, signal?: AbortSignal): AsyncGenerator<Uint8Array> {
  const child = spawn("xz", ["-dc", "--", file], { stdio: ["ignore", "pipe", "pipe"], signal });
  let stderr = "";
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (s: string) => {
    if (stderr.length < 4096) stderr += s;
  });
  const exited = new Promise<{ code: number | null; error?: Error }>((resolve) => {
    child.once("error", (error) => resolve({ code: null, error }));
    child.once("close", (code) => resolve({ code }));
  });
  let finished = false;
  try {
    for await (const chunk of child.stdout) yield chunk as Buffer;
    const { code, error } = await exited;
    finished = true;
    if (error !== undefined) throw xzSpawnError(error);
    if (code !== 0) {
      const reason = stderr.trim().split("\n")[0]?.replace(/^xz: /, "") || `xz exited with ${code}`;
      throw imageError("InvalidArgument", `decompressing xz: ${reason}`);
    }
  } catch (err) {
    if (err instanceof ImageError) throw err;
    const { error } = await exited;
    throw error !== undefined ? xzSpawnError(error) : err;
  } finally {
    if (!finished) child.kill("SIGKILL");
  }
}

function xzSpawnError(err: Error): ImageError {
  if (hasCode(err, "ENOENT")) {
    return imageError("NotImplemented", "xz tarballs need the xz program (Debian: xz-utils)", err);
  }
  return imageError("Internal", `running xz: ${err.message}`, err);
}
