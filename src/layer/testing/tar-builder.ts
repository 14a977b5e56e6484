import { spawnSync } from "node:child_process";
import { gzipSync } from "node:zlib";

/** One entry to put in a test tar. Unset fields get plain defaults (0644/0755, root, mtime 1e9). */
export interface TarSpec {
  name: string;
  type?: "file" | "dir" | "symlink" | "link" | "char" | "block" | "fifo";
  /** Raw typeflag byte, overriding `type` (e.g. "S" for a GNU sparse entry). */
  typeflag?: string;
  body?: Uint8Array | string;
  /** Header size field, when it should lie about the body. */
  size?: number | bigint;
  mode?: number;
  uid?: number;
  gid?: number;
  mtime?: number;
  linkname?: string;
  devmajor?: number;
  devminor?: number;
  /** Written as PAX `SCHILY.xattr.<name>` records, byte-exact. */
  xattrs?: Record<string, Uint8Array | string>;
  /** Extra PAX records for this entry. */
  pax?: Record<string, Uint8Array | string>;
  /** How a name or link name over 100 bytes is stored; default `pax`. */
  longNames?: "pax" | "gnu";
}

const TYPEFLAGS = {
  file: "0",
  link: "1",
  symlink: "2",
  char: "3",
  block: "4",
  dir: "5",
  fifo: "6",
};
const enc = new TextEncoder();

const bytes = (v: Uint8Array | string) => (typeof v === "string" ? enc.encode(v) : v);

/**
 * Builds a tar archive in memory, ustar headers with PAX or GNU long-name extensions as needed.
 * `endMarker: false` leaves out the two zero blocks. Numbers too large for octal are written in
 * GNU base-256. For hostile archives, combine `header`, `paxBody` and `pad` directly.
 */
export function buildTar(entries: TarSpec[], opts: { endMarker?: boolean } = {}): Buffer {
  const parts: Uint8Array[] = [];
  for (const e of entries) parts.push(...entryBlocks(e));
  if (opts.endMarker !== false) parts.push(new Uint8Array(1024));
  return Buffer.concat(parts);
}

function entryBlocks(e: TarSpec): Uint8Array[] {
  const out: Uint8Array[] = [];
  const body = bytes(e.body ?? "");
  const pax: Array<[string, Uint8Array]> = [];
  let name = e.name;
  let linkname = e.linkname ?? "";
  const long = (s: string) => enc.encode(s).length > 100;
  if (long(name) || long(linkname)) {
    if (e.longNames === "gnu") {
      if (long(name)) out.push(...gnuLong("L", name));
      if (long(linkname)) out.push(...gnuLong("K", linkname));
    } else {
      if (long(name)) pax.push(["path", enc.encode(name)]);
      if (long(linkname)) pax.push(["linkpath", enc.encode(linkname)]);
    }
    name = long(name) ? name.slice(0, 99) : name;
    linkname = long(linkname) ? linkname.slice(0, 99) : linkname;
  }
  for (const [k, v] of Object.entries(e.xattrs ?? {})) pax.push([`SCHILY.xattr.${k}`, bytes(v)]);
  for (const [k, v] of Object.entries(e.pax ?? {})) pax.push([k, bytes(v)]);
  if (pax.length > 0) {
    const records = paxBody(pax);
    out.push(header({ name: "PaxHeader", typeflag: "x", size: records.length }), ...pad(records));
  }
  const type = e.type ?? "file";
  out.push(
    header({
      name,
      typeflag: e.typeflag ?? TYPEFLAGS[type],
      size: e.size ?? body.length,
      mode: e.mode ?? (type === "dir" ? 0o755 : 0o644),
      uid: e.uid,
      gid: e.gid,
      mtime: e.mtime,
      linkname,
      devmajor: e.devmajor,
      devminor: e.devminor,
    }),
    ...pad(body),
  );
  return out;
}

function gnuLong(flag: "L" | "K", value: string): Uint8Array[] {
  const data = Buffer.concat([enc.encode(value), new Uint8Array(1)]);
  return [header({ name: "././@LongLink", typeflag: flag, size: data.length }), ...pad(data)];
}

/** PAX records `"<len> <key>=<value>\n"` with correct lengths. */
export function paxBody(records: Array<[string, Uint8Array | string]>): Buffer {
  const parts: Uint8Array[] = [];
  for (const [key, value] of records) {
    const rest = Buffer.concat([enc.encode(` ${key}=`), bytes(value), enc.encode("\n")]);
    let len = rest.length + 1;
    while (String(len).length + rest.length !== len) len += 1;
    parts.push(enc.encode(String(len)), rest);
  }
  return Buffer.concat(parts);
}

/** `data` followed by zeros up to a whole number of 512-byte blocks. */
export function pad(data: Uint8Array): Uint8Array[] {
  const rest = (512 - (data.length % 512)) % 512;
  return rest === 0 ? [data] : [data, new Uint8Array(rest)];
}

/** Fields of one raw ustar header; `size` may be a bigint or negative to build hostile ones. */
export interface HeaderFields {
  name: string;
  typeflag: string;
  size?: number | bigint;
  mode?: number;
  uid?: number;
  gid?: number;
  mtime?: number;
  linkname?: string;
  devmajor?: number;
  devminor?: number;
  /** Corrupts the checksum when set. */
  badChecksum?: boolean;
}

/** One 512-byte ustar header block with a valid checksum (unless `badChecksum`). */
export function header(f: HeaderFields): Buffer {
  const b = Buffer.alloc(512);
  b.write(f.name, 0, 100, "utf8");
  number(b, 100, 8, f.mode ?? 0o644);
  number(b, 108, 8, f.uid ?? 0);
  number(b, 116, 8, f.gid ?? 0);
  number(b, 124, 12, f.size ?? 0);
  number(b, 136, 12, f.mtime ?? 1_000_000_000);
  b.write(f.typeflag, 156, 1, "latin1");
  b.write(f.linkname ?? "", 157, 100, "utf8");
  b.write("ustar\u000000", 257, 8, "latin1");
  b.write("root", 265, 32, "latin1");
  b.write("root", 297, 32, "latin1");
  number(b, 329, 8, f.devmajor ?? 0);
  number(b, 337, 8, f.devminor ?? 0);
  b.fill(0x20, 148, 156);
  let sum = 0;
  for (const x of b) sum += x;
  b.write(
    `${(f.badChecksum ? sum + 1 : sum).toString(8).padStart(6, "0")}\u0000 `,
    148,
    8,
    "latin1",
  );
  return b;
}

/** Octal when it fits, GNU base-256 otherwise (two's complement for negatives). */
function number(b: Buffer, off: number, len: number, value: number | bigint): void {
  const v = BigInt(value);
  if (v >= 0n && v < 8n ** BigInt(len - 1)) {
    b.write(`${v.toString(8).padStart(len - 1, "0")}\u0000`, off, len, "latin1");
    return;
  }
  let x = v < 0n ? (1n << BigInt(8 * len)) + v : v;
  for (let i = off + len - 1; i > off; i -= 1) {
    b[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  b[off] = v < 0n ? 0xff : 0x80;
}

/** gzip of `data` (node:zlib). */
export function gzipTar(data: Uint8Array): Buffer {
  return gzipSync(data);
}

/** zstd of `data`, made by the `zstd` command line tool (independent of our decoder). */
export function zstdTar(data: Uint8Array): Buffer {
  const r = spawnSync("zstd", ["-q", "-c", "-3"], { input: data, maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`zstd failed: ${r.stderr}`);
  return r.stdout;
}
