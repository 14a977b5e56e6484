import { posix } from "node:path";
import { imageError } from "../errors.ts";

/** What an archive member is, as far as finding manifests, configs and layers needs. */
export type MemberKind = "file" | "symlink" | "hardlink" | "dir" | "other";

/** How links between archive members are described, for `resolveMemberName`. */
export interface MemberLinks {
  kind(name: string): MemberKind | undefined;
  linkname(name: string): string;
}

const MAX_HOPS = 16;

/**
 * The canonical form of a member name or a path named by `manifest.json`: no `./` or leading `/`,
 * no trailing `/`, `.` and `..` folded. Throws `InvalidArgument` for a path that leaves the archive
 * (`../x`), as iSulad refuses it with "Illegal directory".
 */
export function cleanMemberName(name: string): string {
  const cleaned = posix.normalize(`/${name}`).slice(1).replace(/\/+$/, "");
  if (posix.normalize(name).startsWith("../") || name === "..") {
    throw imageError("InvalidArgument", `path "${name}" points outside the archive`);
  }
  return cleaned;
}

/**
 * Follows symlinks (relative to the link's folder; older Docker writes `../<id>/layer.tar`) and
 * hardlinks (named from the archive root) to the regular file a name stands for. Returns the
 * resolved name, or undefined when the chain ends nowhere. Throws `InvalidArgument` for a link
 * that leaves the archive or a loop.
 */
export function resolveMemberName(links: MemberLinks, name: string): string | undefined {
  let current = cleanMemberName(name);
  for (let hop = 0; hop <= MAX_HOPS; hop++) {
    const kind = links.kind(current);
    if (kind === undefined) return undefined;
    if (kind === "file") return current;
    if (kind === "symlink") {
      const target = links.linkname(current);
      const base = target.startsWith("/") ? "" : posix.dirname(current);
      current = cleanMemberName(posix.join(base, target));
    } else if (kind === "hardlink") {
      current = cleanMemberName(links.linkname(current));
    } else {
      return undefined;
    }
  }
  throw imageError("InvalidArgument", `too many links resolving "${name}" in the archive`);
}
