import { imageError } from "../errors.ts";
import { BLOCK, decodeHeader, decodeName, isZeroBlock, type RawHeader } from "./tar-header.ts";
import { applyPax, parsePaxRecords } from "./tar-pax.ts";

/** The kinds of entries a layer holds. */
export type EntryType = "file" | "link" | "symlink" | "char" | "block" | "dir" | "fifo";

/** One tar entry after PAX and GNU long-name records were applied. */
export interface TarEntry {
  type: EntryType;
  /** As in the archive; not yet cleaned or confined. */
  name: string;
  linkname: string;
  size: number;
  mode: number;
  uid: number;
  gid: number;
  /** Seconds since the epoch, possibly fractional (PAX). */
  mtime: number;
  atime: number;
  devmajor: number;
  devminor: number;
  /** From `SCHILY.xattr.*` (and `LIBARCHIVE.xattr.*`) PAX records, values byte-exact. */
  xattrs: Map<string, Buffer> | undefined;
  /** Offset of the entry's header in the tar stream, for messages. */
  offset: number;
}

/** Receives the entries of a tar stream, in order: `entry`, then `data` for its body, `end`. */
export interface TarVisitor {
  entry(e: TarEntry): void;
  /** Body bytes of a regular file; the buffer is only valid during the call. */
  data(chunk: Buffer): void;
  entryEnd(): void;
}

/** PAX keys that only make sense for one entry, ignored in global headers. */
const PER_ENTRY = new Set(["path", "linkpath", "size"]);

/**
 * Extended headers and long names are read into memory; this bounds those pending for one
 * entry together, so a run of headers with distinct keys cannot exhaust memory.
 */
const MAX_META = 1 << 20;

/**
 * Global PAX records apply to every later entry (each entry costs a pass over them): a few are
 * normal (`comment`, `mtime`), thousands are an attack.
 */
const MAX_GLOBAL_RECORDS = 64;

/**
 * Bytes accepted after the end-of-archive blocks. Writers pad to their record size (10 KiB for
 * GNU tar's default); a compressed stream that goes on and on after the end is a bomb: its bytes
 * would only be inflated and hashed, for as long as the attacker likes.
 */
const MAX_TRAILING = 8 << 20;

enum State {
  Header,
  Body,
  Meta,
  Padding,
  Done,
}

const TYPES: Record<number, EntryType> = {
  0: "file",
  48: "file",
  55: "file",
  49: "link",
  50: "symlink",
  51: "char",
  52: "block",
  53: "dir",
  54: "fifo",
  68: "dir", // GNU dumpdir: a directory whose body lists its contents
};

/**
 * A synchronous, streaming tar reader: feed it chunks with `push` and it calls the visitor as
 * entries complete. It reads POSIX ustar (prefix), PAX `x`/`g` records (parsed by byte length,
 * values kept as bytes), GNU `L`/`K` long names and base-256 numbers. Truncation follows GNU
 * tar: the stream may stop after a complete member (body and padding) without its two zero
 * blocks, after one zero block, or inside the zero blocks; a member whose header, body or
 * padding is cut short is an `InvalidArgument` error from `end` (GNU tar: "Unexpected EOF").
 * Unlike GNU tar, a last body with no padding at all is accepted: umoci writes layers so.
 * Bytes after the end-of-archive blocks are ignored, up to `MAX_TRAILING`. Not safe for
 * concurrent use.
 */
export class TarReader {
  readonly #visitor: TarVisitor;
  #state = State.Header;
  #offset = 0;
  /** A partial header or a meta body being accumulated. */
  #partial: Buffer = Buffer.allocUnsafe(BLOCK);
  #partialLen = 0;
  #remaining = 0;
  #padding = 0;
  #zeroBlocks = 0;
  #meta: { type: number; at: number; buf: Buffer } | undefined;
  #pax: Map<string, Buffer> | undefined;
  #globalPax = new Map<string, Buffer>();
  /** Bytes seen after the end-of-archive blocks. */
  #trailing = 0;
  /** Bytes of extended headers and long names read since the last entry. */
  #metaBytes = 0;
  #longName: Buffer | undefined;
  #longLink: Buffer | undefined;
  #isFile = false;
  #visiting = false;

  constructor(visitor: TarVisitor) {
    this.#visitor = visitor;
  }

  /**
   * Feeds the next bytes; the buffer may be reused by the caller once this returns. Returns how
   * many of them belong to the archive: all of them until the end-of-archive blocks have been
   * read, fewer in the chunk that holds the end, none after. Throws `InvalidArgument` once more
   * than `MAX_TRAILING` bytes follow the end-of-archive blocks.
   */
  push(chunk: Buffer): number {
    let pos = 0;
    while (pos < chunk.length && this.#state !== State.Done) {
      pos = this.#step(chunk, pos);
    }
    this.#trailing += chunk.length - pos;
    if (this.#trailing > MAX_TRAILING) {
      throw imageError(
        "InvalidArgument",
        `tar stream goes on for more than ${MAX_TRAILING} bytes after its end (a decompression bomb?)`,
      );
    }
    return pos;
  }

  /** True once the two end-of-archive blocks have been read. */
  get ended(): boolean {
    return this.#state === State.Done;
  }

  /**
   * Declares the end of the stream; throws when it stops inside a member's header, body or
   * padding. Returns how many zero bytes the last block lacks when the stream stopped inside a
   * zero block or before an unpadded last body's padding (0 otherwise): a stricter parser fed
   * the same bytes may need them to finish the block.
   */
  end(): number {
    if (this.#state === State.Done) return 0;
    // umoci 0.4 ends its layers right after the last body, unpadded: GNU tar refuses that, but
    // nothing is lost. A padding begun and then cut is a cut stream.
    const unpadded = this.#state === State.Padding && this.#remaining === this.#padding;
    const inHeader = this.#state === State.Header;
    const partial = this.#partial.subarray(0, inHeader ? this.#partialLen : 0);
    if (!(inHeader || unpadded) || !partial.every((b) => b === 0) || this.#pendingMeta()) {
      throw imageError("InvalidArgument", `tar stream is truncated at offset ${this.#offset}`);
    }
    this.#state = State.Done;
    if (unpadded) return this.#remaining;
    return this.#partialLen === 0 ? 0 : BLOCK - this.#partialLen;
  }

  #pendingMeta(): boolean {
    return this.#pax !== undefined || this.#longName !== undefined || this.#longLink !== undefined;
  }

  #step(chunk: Buffer, pos: number): number {
    const avail = chunk.length - pos;
    switch (this.#state) {
      case State.Header: {
        if (this.#partialLen === 0 && avail >= BLOCK) {
          this.#offset += BLOCK;
          this.#header(chunk, pos, this.#offset - BLOCK);
          return pos + BLOCK;
        }
        const n = Math.min(avail, BLOCK - this.#partialLen);
        chunk.copy(this.#partial, this.#partialLen, pos, pos + n);
        this.#partialLen += n;
        this.#offset += n;
        if (this.#partialLen === BLOCK) {
          this.#partialLen = 0;
          this.#header(this.#partial, 0, this.#offset - BLOCK);
        }
        return pos + n;
      }
      case State.Body: {
        const n = Math.min(avail, this.#remaining);
        if (this.#isFile) this.#visitor.data(chunk.subarray(pos, pos + n));
        this.#advance(n);
        if (this.#remaining === 0) this.#finishBody();
        return pos + n;
      }
      case State.Meta: {
        const meta = this.#meta as { buf: Buffer };
        const n = Math.min(avail, this.#remaining);
        chunk.copy(meta.buf, meta.buf.length - this.#remaining, pos, pos + n);
        this.#advance(n);
        if (this.#remaining === 0) this.#finishMeta();
        return pos + n;
      }
      case State.Padding: {
        const n = Math.min(avail, this.#remaining);
        this.#advance(n);
        if (this.#remaining === 0) this.#state = State.Header;
        return pos + n;
      }
      default:
        return chunk.length;
    }
  }

  #advance(n: number): void {
    this.#remaining -= n;
    this.#offset += n;
  }

  /** Handles one header block; `at` is its offset in the stream. */
  #header(buf: Buffer, off: number, at: number): void {
    if (isZeroBlock(buf, off)) {
      this.#zeroBlocks += 1;
      if (this.#zeroBlocks === 2) this.#state = State.Done;
      return;
    }
    if (this.#zeroBlocks > 0) {
      throw imageError("InvalidArgument", `invalid tar: lone zero block before offset ${at}`);
    }
    const raw = decodeHeader(buf, off, at);
    const t = raw.typeflag;
    if (t === 0x78 || t === 0x67 || t === 0x4c || t === 0x4b) {
      this.#metaBytes += raw.size;
      if (this.#metaBytes > MAX_META) {
        throw imageError("InvalidArgument", `tar extended header at offset ${at} is too large`);
      }
      this.#meta = { type: t, at, buf: Buffer.allocUnsafe(raw.size) };
      this.#enterBody(raw.size, State.Meta);
      if (raw.size === 0) this.#finishMeta();
      return;
    }
    const entry = this.#resolve(raw, at);
    this.#visiting = t !== 0x56; // a volume label is skipped
    if (this.#visiting && TYPES[t] === undefined) throw unsupportedType(t, entry.name);
    this.#isFile = entry.type === "file";
    if (this.#visiting) this.#visitor.entry(entry);
    this.#enterBody(entry.size, State.Body);
    if (entry.size === 0) this.#finishBody();
  }

  #enterBody(size: number, state: State): void {
    this.#state = state;
    this.#remaining = size;
    this.#padding = (BLOCK - (size % BLOCK)) % BLOCK;
  }

  #finishBody(): void {
    if (this.#visiting) this.#visitor.entryEnd();
    this.#toPadding();
  }

  #toPadding(): void {
    this.#state = this.#padding > 0 ? State.Padding : State.Header;
    this.#remaining = this.#padding;
  }

  #finishMeta(): void {
    const meta = this.#meta as { type: number; at: number; buf: Buffer };
    this.#meta = undefined;
    if (meta.type === 0x4c) this.#longName = cut(meta.buf);
    else if (meta.type === 0x4b) this.#longLink = cut(meta.buf);
    else {
      const records = parsePaxRecords(meta.buf, meta.at + BLOCK);
      if (meta.type === 0x67) {
        // A global name or size would rename or resize every entry: only metadata is kept.
        for (const [k, v] of records) if (!PER_ENTRY.has(k)) this.#globalPax.set(k, v);
        if (this.#globalPax.size > MAX_GLOBAL_RECORDS) {
          throw imageError(
            "InvalidArgument",
            `tar global header at offset ${meta.at} brings more than ${MAX_GLOBAL_RECORDS} records`,
          );
        }
      } else this.#pax = new Map([...(this.#pax ?? []), ...records]);
    }
    this.#toPadding();
  }

  /** Applies global PAX, local PAX and GNU long names to a raw header. */
  #resolve(raw: RawHeader, at: number): TarEntry {
    const pax = this.#globalPax.size > 0 ? new Map(this.#globalPax) : undefined;
    const records = pax ?? this.#pax;
    if (pax && this.#pax) for (const [k, v] of this.#pax) pax.set(k, v);
    const entry: TarEntry = {
      type: TYPES[raw.typeflag] ?? "file",
      name: decodeName(this.#longName ?? raw.name, "entry name"),
      // Only links use it; other entries may carry anything there.
      linkname: isLink(raw.typeflag) ? decodeName(this.#longLink ?? raw.linkname, "link name") : "",
      size: raw.size,
      mode: raw.mode,
      uid: raw.uid,
      gid: raw.gid,
      mtime: raw.mtime,
      atime: raw.atime ?? raw.mtime,
      devmajor: raw.devmajor,
      devminor: raw.devminor,
      xattrs: undefined,
      offset: at,
    };
    this.#pax = undefined;
    this.#longName = undefined;
    this.#longLink = undefined;
    this.#metaBytes = 0;
    if (records) applyPax(entry, records, at);
    // Old (v7) archives mark directories by a trailing slash on a regular entry.
    if (raw.typeflag === 0 && entry.name.endsWith("/")) entry.type = "dir";
    return entry;
  }
}

function isLink(typeflag: number): boolean {
  return typeflag === 0x31 || typeflag === 0x32;
}

function cut(buf: Buffer): Buffer {
  const nul = buf.indexOf(0);
  return nul === -1 ? buf : buf.subarray(0, nul);
}

function unsupportedType(t: number, name: string) {
  const flag = JSON.stringify(String.fromCharCode(t));
  return imageError(
    "NotImplemented",
    `tar entry ${JSON.stringify(name)} has unsupported type ${flag}`,
  );
}
