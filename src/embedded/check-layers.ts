import { createReadStream } from "node:fs";
import { open, realpath, stat } from "node:fs/promises";
import { createHash } from "../digest/digest.ts";
import { imageError } from "../errors.ts";
import {
  type CheckedLayer,
  DIR_LAYER_MEDIA_TYPE,
  type EmbeddedLayer,
  SQUASHFS_LAYER_MEDIA_TYPE,
} from "./manifest-types.ts";
import { MSG } from "./messages.ts";

/** The first four bytes of a squashfs image (its little-endian magic 0x73717368). */
const SQUASHFS_MAGIC = Buffer.from("hsqs", "latin1");
const DIGEST_RE = /^sha256:[a-f0-9]{64}$/;
/** Errors of `realpath` that mean "there is no such layer" (iSulad reports them all alike). */
const MISSING_CODES = new Set(["ENOENT", "ENOTDIR", "ELOOP", "ENAMETOOLONG", "EACCES"]);

/**
 * Checks every layer as iSulad does (isulad-behaviour §7.1, `lim.c` order per layer: size, media
 * type, path in host, file type, digest, path in container), and returns where each really is.
 * `manifestDir` is the manifest's real directory: layers 1..n are resolved against it, symlinks
 * followed, and must stay inside it. Squashfs layers 1..n must also start with the squashfs
 * magic (our addition). Reads the layer files (digests), writes nothing. Throws
 * `InvalidArgument` with iSulad's message for the first rule broken.
 */
export async function checkLayers(
  layers: readonly EmbeddedLayer[],
  manifestDir: string,
  signal?: AbortSignal,
): Promise<CheckedLayer[]> {
  const out: CheckedLayer[] = [];
  for (const [index, layer] of layers.entries()) {
    signal?.throwIfAborted();
    if (layer.size !== undefined && layer.size < 0) fail(MSG.layerSize);
    const kind = layerKind(layer.mediaType);
    const checked = await checkPathInHost(index, kind, layer.pathInHost, manifestDir);
    await checkDigest(index, checked, layer.digest, signal);
    checkPathInContainer(index, layer.pathInContainer);
    out.push(checked);
  }
  return out;
}

function layerKind(mediaType: string | undefined): CheckedLayer["kind"] {
  if (mediaType === SQUASHFS_LAYER_MEDIA_TYPE) return "squashfs";
  if (mediaType === DIR_LAYER_MEDIA_TYPE) return "dir";
  return fail(MSG.layerMediaType);
}

/** Layer 0: an absolute block device (squashfs) or `/` (dir). Others: relative, inside `dir`. */
async function checkPathInHost(
  index: number,
  kind: CheckedLayer["kind"],
  pathInHost: string | undefined,
  dir: string,
): Promise<CheckedLayer> {
  const path = pathInHost ?? "";
  let realPath: string;
  if (index === 0) {
    if (!path.startsWith("/")) fail(MSG.firstAbsolute);
    if (kind === "dir" && path !== "/") fail(MSG.firstRoot);
    realPath = await resolveLayer(path);
  } else {
    if (path === "" || path.startsWith("/")) fail(MSG.otherRelative);
    // Not path.join: it would fold `link/..` before the kernel follows `link`.
    realPath = await resolveLayer(`${dir}/${path}`);
    const inside = dir === "/" || realPath === dir || realPath.startsWith(`${dir}/`);
    if (!inside) fail(MSG.layerMissing);
  }

  const st = await stat(realPath);
  if (index === 0 && kind === "squashfs") {
    if (!st.isBlockDevice()) fail(MSG.notBlockDevice);
    return { kind, realPath, size: 0 };
  }
  if (kind === "dir") {
    if (!st.isDirectory()) fail(MSG.notDirectory);
    return { kind, realPath, size: 0 };
  }
  if (!st.isFile()) fail(MSG.notRegular);
  if (!(await hasSquashfsMagic(realPath))) fail(MSG.notSquashfs);
  return { kind, realPath, size: st.size };
}

async function resolveLayer(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? "";
    if (MISSING_CODES.has(code)) throw imageError("InvalidArgument", MSG.layerMissing, err);
    throw err;
  }
}

async function hasSquashfsMagic(path: string): Promise<boolean> {
  const fh = await open(path, "r");
  try {
    const head = Buffer.alloc(SQUASHFS_MAGIC.length);
    const { bytesRead } = await fh.read(head, 0, head.length, 0);
    return bytesRead === head.length && head.equals(SQUASHFS_MAGIC);
  } finally {
    await fh.close();
  }
}

/** An empty or absent digest means no check; otherwise only layers 1..n of squashfs may have one. */
async function checkDigest(
  index: number,
  layer: CheckedLayer,
  digest: string | undefined,
  signal?: AbortSignal,
) {
  if (digest === undefined || digest === "") return;
  if (index === 0) fail(MSG.firstDigest);
  if (layer.kind === "dir") fail(MSG.dirDigest);
  if (!DIGEST_RE.test(digest)) fail(MSG.layerDigest);
  if ((await sha256File(layer.realPath, signal)) !== digest) fail(MSG.layerDigest);
}

/** The file's digest; a fired `signal` stops the read (an `AbortError`). */
async function sha256File(path: string, signal?: AbortSignal): Promise<string> {
  const hash = createHash("sha256");
  const stream = createReadStream(path, signal ? { signal } : {});
  for await (const chunk of stream) hash.update(chunk as Buffer);
  return `sha256:${hash.digest("hex")}`;
}

function checkPathInContainer(index: number, path: string | undefined): void {
  if (index === 0) {
    if (path !== undefined && path !== "") fail(MSG.firstContainerPath);
    return;
  }
  if (path === undefined || !path.startsWith("/")) fail(MSG.otherContainerPath);
}

function fail(message: string): never {
  throw imageError("InvalidArgument", message);
}
