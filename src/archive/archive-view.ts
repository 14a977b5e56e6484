import type { FileHandle } from "node:fs/promises";
import { imageError } from "../errors.ts";
import type { MemberKind, MemberLinks } from "./member-path.ts";
import { resolveMemberName } from "./member-path.ts";
import { readExactly, type TarIndex } from "./tar-index.ts";

/** Upper bound for one JSON member (manifest.json, index.json, a config, a manifest). */
export const MAX_JSON_MEMBER = 16 << 20;

/**
 * Read access to the small members of an archive, by name, whichever way the archive was read.
 * Names are as `manifest.json` or a descriptor gives them; links are followed.
 */
export interface ArchiveView {
  /** The regular member a name stands for after following links, or undefined. */
  resolve(name: string): string | undefined;
  /** Reads a small member whole. Throws `InvalidArgument` if it is missing or too large. */
  read(name: string): Promise<Buffer>;
}

/** A view over a plain tar file: members are read by offset from the open file. */
export class IndexedView implements ArchiveView {
  constructor(
    private readonly fh: FileHandle,
    readonly index: TarIndex,
  ) {}

  resolve(name: string): string | undefined {
    return this.index.resolve(name)?.name;
  }

  async read(name: string): Promise<Buffer> {
    const member = this.index.resolve(name);
    if (!member) throw missing(name);
    if (member.size > MAX_JSON_MEMBER) throw tooLarge(name);
    const buf = Buffer.alloc(member.size);
    await readExactly(this.fh, buf, member.start);
    return buf;
  }
}

/** What the single pass over a compressed archive kept of each member. */
export interface PassedMember {
  kind: MemberKind;
  linkname: string;
  /** The bytes, for small members that do not look like layers. */
  body?: Buffer;
}

/** A view over the members kept while streaming a compressed archive once. */
export class BufferedView implements ArchiveView, MemberLinks {
  readonly members = new Map<string, PassedMember>();

  kind(name: string): MemberKind | undefined {
    return this.members.get(name)?.kind;
  }

  linkname(name: string): string {
    return this.members.get(name)?.linkname ?? "";
  }

  resolve(name: string): string | undefined {
    return resolveMemberName(this, name);
  }

  async read(name: string): Promise<Buffer> {
    const resolved = this.resolve(name);
    if (resolved === undefined) throw missing(name);
    const body = this.members.get(resolved)?.body;
    if (!body) throw tooLarge(name);
    return body;
  }
}

function missing(name: string) {
  return imageError("InvalidArgument", `"${name}" is missing from the archive`);
}

function tooLarge(name: string) {
  return imageError(
    "InvalidArgument",
    `"${name}" in the archive is not a JSON document or is too large`,
  );
}
