import type { FileHandle } from "node:fs/promises";
import { imageError } from "../errors.ts";
import { BLOCK, decodeHeader, decodeName, isZeroBlock } from "../layer/tar-header.ts";
import { parsePaxRecords } from "../layer/tar-pax.ts";
import {
  cleanMemberName,
  type MemberKind,
  type MemberLinks,
  resolveMemberName,
} from "./member-path.ts";

/** One member of a plain tar file: where its body lies, and what it links to. */
export interface TarMember {
  name: string;
  kind: MemberKind;
  /** Offset of the first body byte in the file. */
  start: number;
  size: number;
  linkname: string;
}

/** Upper bound for a PAX or GNU long-name body; real ones are a few hundred bytes. */
const MAX_META_BODY = 1 << 20;

/**
 * The members of a plain (uncompressed) tar file, found by reading only the headers and seeking
 * past every body, so indexing a multi-gigabyte archive reads a few kilobytes.
 */
export class TarIndex implements MemberLinks {
  readonly members = new Map<string, TarMember>();
  /** True when the end-of-archive blocks were found (false: the file may be cut short). */
  ended = false;

  kind(name: string): MemberKind | undefined {
    return this.members.get(name)?.kind;
  }

  linkname(name: string): string {
    return this.members.get(name)?.linkname ?? "";
  }

  /** The regular file a name stands for after following links, or undefined. */
  resolve(name: string): TarMember | undefined {
    const resolved = resolveMemberName(this, name);
    return resolved === undefined ? undefined : this.members.get(resolved);
  }
}

/**
 * Indexes the tar file open in `fh` (of `fileSize` bytes). Handles ustar prefixes, GNU long names
 * (`L`/`K`), PAX `path`/`linkpath`/`size`, base-256 sizes and a missing or cut end-of-archive
 * marker. Throws `InvalidArgument` for a file that is not a tar (bad checksum, empty) or is
 * truncated: a member whose header, body or padding is cut short (GNU tar's rule; a last body
 * with no padding at all is accepted, as umoci writes it).
 * A later member with the same name replaces an earlier one, as extraction would.
 */
export async function indexTarFile(fh: FileHandle, fileSize: number): Promise<TarIndex> {
  if (fileSize === 0) throw imageError("InvalidArgument", "the archive is empty");
  if (fileSize < BLOCK) throw imageError("InvalidArgument", "the file is not a tar archive");
  const index = new TarIndex();
  const block = Buffer.alloc(BLOCK);
  let pos = 0;
  let pax = new Map<string, Buffer>();
  let longName: Buffer | undefined;
  let longLink: Buffer | undefined;
  let bodyEnd = 0;

  while (pos + BLOCK <= fileSize) {
    await readExactly(fh, block, pos);
    if (isZeroBlock(block, 0)) {
      index.ended = true;
      return index;
    }
    const header = decodeFirst(block, pos);
    const paxSize = pax.get("size")?.toString("latin1");
    const size = paxSize !== undefined ? Number(paxSize) : header.size;
    const start = pos + BLOCK;
    if (!Number.isSafeInteger(size) || size < 0 || start + size > fileSize) {
      throw imageError("InvalidArgument", "archive is truncated");
    }
    pos = start + Math.ceil(size / BLOCK) * BLOCK;
    bodyEnd = start + size;

    const type = String.fromCharCode(header.typeflag || 0x30);
    if (type === "x" || type === "L" || type === "K") {
      const body = await readBody(fh, start, size);
      if (type === "x") pax = parsePaxRecords(body, start);
      else if (type === "L") longName = trimNul(body);
      else longLink = trimNul(body);
      continue;
    }
    if (type === "g") continue;

    const name = pax.get("path") ?? longName ?? header.name;
    const linkname = pax.get("linkpath") ?? longLink ?? header.linkname;
    pax = new Map();
    longName = undefined;
    longLink = undefined;
    addMember(index, {
      name: decodeName(name, "archive member"),
      kind: kindOf(type),
      start,
      size,
      linkname: decodeName(linkname, "link target"),
    });
  }
  // A last body without any padding is whole (umoci writes such tars); cut padding is not.
  const unpadded = pos > fileSize && bodyEnd === fileSize;
  if ((pos > fileSize && !unpadded) || !(await zerosTo(fh, pos, fileSize))) {
    throw imageError("InvalidArgument", "archive is truncated");
  }
  return index;
}

/**
 * True when the bytes from `pos` to the end of the file (less than a block) are zeros: a cut
 * end-of-archive block, which GNU tar accepts. Anything else is a cut header.
 */
async function zerosTo(fh: FileHandle, pos: number, fileSize: number): Promise<boolean> {
  if (pos >= fileSize) return true;
  const rest = Buffer.alloc(fileSize - pos);
  await readExactly(fh, rest, pos);
  return rest.every((b) => b === 0);
}

/** Decodes a header; a bad first header means the file is no tar at all, so say that. */
function decodeFirst(block: Buffer, pos: number) {
  try {
    return decodeHeader(block, 0, pos);
  } catch (err) {
    if (pos === 0) throw imageError("InvalidArgument", "the file is not a tar archive", err);
    throw err;
  }
}

function addMember(index: TarIndex, member: TarMember): void {
  let name: string;
  try {
    name = cleanMemberName(member.name);
  } catch {
    return; // a member outside the archive root can never be named by a manifest; ignore it
  }
  if (name !== "") index.members.set(name, { ...member, name });
}

function kindOf(type: string): MemberKind {
  switch (type) {
    case "0":
    case "7":
      return "file";
    case "1":
      return "hardlink";
    case "2":
      return "symlink";
    case "5":
      return "dir";
    default:
      return "other";
  }
}

async function readBody(fh: FileHandle, start: number, size: number): Promise<Buffer> {
  if (size > MAX_META_BODY) throw imageError("InvalidArgument", "tar extended header is too large");
  const body = Buffer.alloc(size);
  await readExactly(fh, body, start);
  return body;
}

function trimNul(body: Buffer): Buffer {
  const end = body.indexOf(0);
  return end < 0 ? body : body.subarray(0, end);
}

/** Fills `buf` from `position`; a short read means the file shrank under us (truncated). */
export async function readExactly(fh: FileHandle, buf: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < buf.length) {
    const { bytesRead } = await fh.read(buf, done, buf.length - done, position + done);
    if (bytesRead === 0) throw imageError("InvalidArgument", "archive is truncated");
    done += bytesRead;
  }
}
