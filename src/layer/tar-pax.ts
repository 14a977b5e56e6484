import { imageError } from "../errors.ts";
import { decodeName } from "./tar-header.ts";
import type { TarEntry } from "./tar-reader.ts";

/**
 * Parses the records of a PAX extended header (`"<len> <key>=<value>\n"`, `len` counting the
 * whole record in bytes). Values stay raw bytes, so binary xattrs survive; an empty value is
 * kept (it means "unset" to the caller). Throws `InvalidArgument` when a record's length lies.
 */
export function parsePaxRecords(body: Buffer, at: number): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  let pos = 0;
  while (pos < body.length && body[pos] !== 0) {
    const space = body.indexOf(0x20, pos);
    const digits = space === -1 ? "" : body.toString("latin1", pos, space);
    const len = /^[0-9]{1,9}$/.test(digits) ? Number(digits) : -1;
    const end = pos + len;
    if (len <= digits.length + 1 || end > body.length || body[end - 1] !== 0x0a) {
      throw imageError("InvalidArgument", `invalid PAX record at offset ${at + pos}`);
    }
    const eq = body.indexOf(0x3d, space + 1);
    if (eq === -1 || eq >= end - 1 || eq === space + 1) {
      throw imageError("InvalidArgument", `invalid PAX record at offset ${at + pos}`);
    }
    out.set(body.toString("utf8", space + 1, eq), body.subarray(eq + 1, end - 1));
    pos = end;
  }
  return out;
}

/** Overrides header fields with PAX records; an empty value means "use the header's". */
export function applyPax(e: TarEntry, records: Map<string, Buffer>, at: number): void {
  for (const [key, value] of records) {
    if (value.length === 0) continue;
    if (key.startsWith("SCHILY.xattr.")) {
      e.xattrs ??= new Map();
      e.xattrs.set(key.slice(13), value);
      continue;
    }
    if (key.startsWith("LIBARCHIVE.xattr.")) {
      e.xattrs ??= new Map();
      e.xattrs.set(decodeXattrName(key, at), Buffer.from(value.toString("latin1"), "base64"));
      continue;
    }
    if (key.startsWith("GNU.sparse.")) {
      throw imageError("NotImplemented", `tar entry at offset ${at} is a GNU sparse file`);
    }
    switch (key) {
      case "path":
        e.name = decodeName(value, "entry name");
        break;
      case "linkpath":
        e.linkname = decodeName(value, "link name");
        break;
      case "size":
        e.size = paxNumber(value, key, at, true);
        break;
      case "uid":
        e.uid = paxNumber(value, key, at, true);
        break;
      case "gid":
        e.gid = paxNumber(value, key, at, true);
        break;
      case "mtime":
        e.mtime = paxNumber(value, key, at, false);
        break;
      case "atime":
        e.atime = paxNumber(value, key, at, false);
        break;
    }
  }
}

/** libarchive percent-encodes xattr names; a malformed escape is refused, not thrown raw. */
function decodeXattrName(key: string, at: number): string {
  try {
    return decodeURIComponent(key.slice(17));
  } catch (err) {
    throw imageError(
      "InvalidArgument",
      `invalid PAX record ${JSON.stringify(key)} at offset ${at}`,
      err,
    );
  }
}

function paxNumber(value: Buffer, key: string, at: number, integer: boolean): number {
  const s = value.toString("latin1");
  const ok = integer ? /^[0-9]{1,16}$/.test(s) : /^-?[0-9]{1,16}(\.[0-9]*)?$/.test(s);
  const n = Number(s);
  if (!ok || !Number.isSafeInteger(Math.trunc(n))) {
    throw imageError("InvalidArgument", `invalid PAX ${key} ${JSON.stringify(s)} at offset ${at}`);
  }
  return n;
}
