import { imageError } from "../errors.ts";
import { sniffCompression } from "../layer/decompress.ts";
import { decodeHeader, isZeroBlock } from "../layer/tar-header.ts";
import type { Compression } from "../oci/media-types.ts";

const GZIP = [0x1f, 0x8b];
const ZSTD = [0x28, 0xb5, 0x2f, 0xfd];
const XZ = [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00];
const BZIP2 = [0x42, 0x5a, 0x68];

function startsWith(head: Uint8Array, magic: number[]): boolean {
  return head.length >= magic.length && magic.every((b, i) => head[i] === b);
}

/**
 * How a whole archive is compressed, from its first bytes: gzip, zstd, or none (a plain tar, or
 * something that will fail as one). Throws `NotImplemented` for xz and bzip2, which iSulad's
 * libarchive reads but we do not.
 */
export function sniffArchiveCompression(head: Uint8Array): Compression {
  if (startsWith(head, XZ) || startsWith(head, BZIP2)) {
    throw imageError(
      "NotImplemented",
      "xz and bzip2 compressed archives are not supported; use gzip or zstd",
    );
  }
  return sniffCompression(head);
}

/**
 * True when a member's first bytes look like a layer: gzip or zstd data, a valid tar header, or
 * the zero blocks of an empty tar (Docker's empty layer is 1024 zero bytes). `head` should hold
 * at least 512 bytes when the member has them.
 */
export function looksLikeLayer(head: Buffer): boolean {
  if (startsWith(head, GZIP) || startsWith(head, ZSTD)) return true;
  if (head.length < 512) return false;
  if (isZeroBlock(head, 0)) return true;
  try {
    decodeHeader(head, 0, 0);
    return true;
  } catch {
    return false;
  }
}
