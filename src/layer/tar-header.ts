import { isUtf8 } from "node:buffer";
import { imageError } from "../errors.ts";

/** Size of a tar block; headers are one block, bodies are padded to a whole number of them. */
export const BLOCK = 512;

/** The raw fields of one 512-byte tar header, before PAX and GNU long-name overrides. */
export interface RawHeader {
  /** name, joined with the ustar prefix when the header is POSIX ustar. */
  name: Buffer;
  linkname: Buffer;
  typeflag: number;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  /** Only GNU headers carry an access time (in the bytes ustar uses for the prefix). */
  atime: number | undefined;
  devmajor: number;
  devminor: number;
}

const USTAR = Buffer.from("ustar\0", "latin1");
const GNU = Buffer.from("ustar  \0", "latin1");

/** True when the 512 bytes at `off` are all zero (an end-of-archive block). */
export function isZeroBlock(buf: Buffer, off: number): boolean {
  for (let i = off; i < off + BLOCK; i += 1) if (buf[i] !== 0) return false;
  return true;
}

/**
 * Decodes the header block at `buf[off..off+512]`; `at` is its offset in the tar stream, used in
 * messages. Verifies the checksum. Throws `InvalidArgument` for a bad checksum or number field.
 */
export function decodeHeader(buf: Buffer, off: number, at: number): RawHeader {
  checkChecksum(buf, off, at);
  const magic = buf.subarray(off + 257, off + 265);
  const gnu = magic.equals(GNU);
  const ustar = !gnu && magic.subarray(0, 6).equals(USTAR);
  let name = cString(buf, off, 100);
  if (ustar && buf[off + 345] !== 0) {
    name = Buffer.concat([cString(buf, off + 345, 155), Buffer.from("/"), name]);
  }
  const num = (start: number, len: number, field: string) =>
    readNumber(buf, off + start, len, field, at);
  return {
    name,
    linkname: cString(buf, off + 157, 100),
    typeflag: buf[off + 156] ?? 0,
    mode: num(100, 8, "mode") & 0o7777,
    uid: num(108, 8, "uid"),
    gid: num(116, 8, "gid"),
    size: num(124, 12, "size"),
    mtime: num(136, 12, "mtime"),
    atime: gnu && buf[off + 345] !== 0 ? num(345, 12, "atime") : undefined,
    devmajor: ustar || gnu ? num(329, 8, "devmajor") : 0,
    devminor: ustar || gnu ? num(337, 8, "devminor") : 0,
  };
}

function cString(buf: Buffer, start: number, len: number): Buffer {
  const end = buf.indexOf(0, start);
  return buf.subarray(start, end === -1 || end > start + len ? start + len : end);
}

function checkChecksum(buf: Buffer, off: number, at: number): void {
  const stored = readNumber(buf, off + 148, 8, "checksum", at);
  // The checksum field counts as eight spaces. This runs once per entry: two plain loops around
  // the field, and the signed sum (old tars) only when the unsigned one does not match.
  let unsigned = 8 * 0x20;
  for (let i = off; i < off + 148; i += 1) unsigned += buf[i] as number;
  for (let i = off + 156; i < off + BLOCK; i += 1) unsigned += buf[i] as number;
  if (stored === unsigned) return;
  let signed = unsigned;
  for (let i = off; i < off + BLOCK; i += 1) {
    if ((i < off + 148 || i >= off + 156) && (buf[i] as number) > 127) signed -= 256;
  }
  if (stored !== signed) {
    throw imageError("InvalidArgument", `invalid tar header checksum at offset ${at}`);
  }
}

/**
 * Reads a numeric header field: octal text (NUL or space terminated), or GNU base-256 when the
 * first byte has its high bit set. Negative and unsafe-integer values are refused.
 */
function readNumber(buf: Buffer, start: number, len: number, field: string, at: number): number {
  const first = buf[start] as number;
  if (first & 0x80) {
    if (first === 0xff) throw badField(field, at, "negative");
    let v = first & 0x7f;
    for (let i = start + 1; i < start + len; i += 1) {
      v = v * 256 + (buf[i] as number);
      if (v > Number.MAX_SAFE_INTEGER) throw badField(field, at, "too large");
    }
    return v;
  }
  let i = start;
  const end = start + len;
  while (i < end && (buf[i] === 0x20 || buf[i] === 0)) i += 1;
  let v = 0;
  for (; i < end; i += 1) {
    const c = buf[i] as number;
    if (c === 0x20 || c === 0) break;
    if (c < 0x30 || c > 0x37) throw badField(field, at, "not an octal number");
    v = v * 8 + (c - 0x30);
  }
  return v;
}

function badField(field: string, at: number, why: string) {
  return imageError("InvalidArgument", `invalid tar header at offset ${at}: ${field} is ${why}`);
}

/** Decodes a name from the archive; names that are not UTF-8 cannot be kept byte-exact. */
export function decodeName(bytes: Buffer, what: string): string {
  if (!isUtf8(bytes)) {
    throw imageError(
      "NotImplemented",
      `${what} ${JSON.stringify(bytes.toString("latin1"))} is not UTF-8; such names are not supported`,
    );
  }
  return bytes.toString("utf8");
}
