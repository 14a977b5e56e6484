import { constants } from "node:fs";
import { open, realpath } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { type Digest, sha256Digest } from "../digest/digest.ts";
import { imageError } from "../errors.ts";
import { MSG } from "./messages.ts";

/** A manifest this large is not a manifest (125 layers fit in a few KiB). */
export const MAX_MANIFEST_BYTES = 4 << 20;
/** `sha256:` and 64 hex digits: the whole of a valid `.sgn` file. */
const SIGNATURE_LENGTH = 71;

/** A manifest read once: these bytes are hashed, parsed and stored. */
export interface SignedManifest {
  /** The manifest's real path (symlinks resolved). */
  realPath: string;
  bytes: Buffer;
  /** sha256 of `bytes`, equal to the `.sgn` file's content. */
  digest: Digest;
}

/**
 * The signature file of a manifest: its final extension replaced by `.sgn`, in the same
 * directory (`test.manifest` → `test.sgn`, `manifest` → `manifest.sgn`), as iSulad's `load.c`.
 */
export function signaturePath(manifestRealPath: string): string {
  const base = basename(manifestRealPath);
  const dot = base.lastIndexOf(".");
  return join(dirname(manifestRealPath), `${dot < 0 ? base : base.slice(0, dot)}.sgn`);
}

/**
 * Reads the manifest at `file` and checks it against its `.sgn` file, in iSulad's order: the
 * manifest resolves and is a regular file, the signature exists (it may be a symlink) and holds
 * exactly `sha256:<hex>` of the manifest bytes with no trailing newline. Throws
 * `InvalidArgument` with iSulad's messages (`Invalid manifest: ...`, `Manifest's signature file
 * not exist`), and `InvalidArgument` (parse failed) for a manifest over {@link MAX_MANIFEST_BYTES}.
 */
export async function readSignedManifest(file: string): Promise<SignedManifest> {
  let realPath: string;
  try {
    realPath = await realpath(file);
  } catch (err) {
    throw imageError("InvalidArgument", MSG.manifestNotFound, err);
  }
  const manifest = await readRegular(realPath, MAX_MANIFEST_BYTES);
  if (manifest === "not-regular") fail(MSG.manifestNotRegular);

  let sgnPath: string;
  try {
    sgnPath = await realpath(signaturePath(realPath));
  } catch (err) {
    throw imageError("InvalidArgument", MSG.signatureMissing, err);
  }
  const signature = await readRegular(sgnPath, SIGNATURE_LENGTH);
  if (signature === "not-regular" || signature === "too-large") fail(MSG.invalidDigest);

  if (manifest === "too-large") fail(MSG.parseFailed);
  const digest = sha256Digest(manifest);
  if (signature.length !== SIGNATURE_LENGTH || signature.toString("latin1") !== digest) {
    fail(MSG.invalidDigest);
  }
  return { realPath, bytes: manifest, digest };
}

/** The whole file if it is a regular file of at most `limit` bytes. */
async function readRegular(
  path: string,
  limit: number,
): Promise<Buffer | "not-regular" | "too-large"> {
  // O_NONBLOCK: opening a FIFO must not wait for a writer (fstat then says it is no file).
  const fh = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const st = await fh.stat();
    if (!st.isFile()) return "not-regular";
    if (st.size > limit) return "too-large";
    // Room for one byte more than fstat saw: a file that grew meanwhile is refused, not cut.
    const buf = Buffer.alloc(st.size + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await fh.read(buf, length, buf.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length === buf.length) return "too-large";
    }
    return buf.subarray(0, length);
  } finally {
    await fh.close();
  }
}

function fail(message: string): never {
  throw imageError("InvalidArgument", message);
}
