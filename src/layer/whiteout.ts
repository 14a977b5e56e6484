import { execFile } from "node:child_process";
import { mkdtemp, rm, rmdir } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { setAttribute, setAttributeSync } from "@napi-rs/xattr";
import { imageError } from "../errors.ts";
import { baseOf, parentOf } from "./extract-paths.ts";
import type { LayerWriter } from "./extract-writer.ts";
import type { TarEntry } from "./tar-reader.ts";
import { WHITEOUT_PROBE_PREFIX, type WhiteoutFormat } from "./types.ts";

/** Prefix of whiteout marker names (AUFS convention, used by Docker and OCI layers). */
export const WHITEOUT_PREFIX = ".wh.";
/** Marker that makes its directory opaque: lower layers' contents are hidden. */
export const OPAQUE_MARKER = ".wh..wh..opq";
/** The xattr overlayfs reads to treat a directory as opaque. */
export const OPAQUE_XATTR = "trusted.overlay.opaque";

/**
 * Turns a `.wh.` marker entry into its overlayfs form: `.wh..wh..opq` sets
 * `trusted.overlay.opaque=y` on its directory; `.wh.<name>` becomes a 0/0 character device
 * `<name>` owned like the marker (made in the writer's mknod batch). Other `.wh..wh.` names are
 * AUFS bookkeeping (hardlink dirs) with no overlay meaning and are dropped, as Docker does.
 * Throws `InvalidArgument` for a marker that names nothing.
 */
export function applyOverlayWhiteout(writer: LayerWriter, rel: string, e: TarEntry): void {
  const base = baseOf(rel);
  const dir = parentOf(rel);
  if (base === OPAQUE_MARKER) {
    writer.ensureDir(dir);
    setAttributeSync(writer.abs(dir), OPAQUE_XATTR, "y");
    return;
  }
  if (base.startsWith(`${WHITEOUT_PREFIX}${WHITEOUT_PREFIX}`)) return;
  const name = base.slice(WHITEOUT_PREFIX.length);
  if (name === "" || name === "." || name === "..") {
    throw imageError("InvalidArgument", `whiteout ${JSON.stringify(e.name)} names nothing`);
  }
  const target = dir === "" ? name : `${dir}/${name}`;
  writer.addSpecial(target, "char", 0, 0, { ...e, mode: 0, xattrs: undefined });
}

const probes = new Map<string, Promise<WhiteoutFormat>>();

/**
 * Which whiteout format this process can write in `dir` (an existing directory on the file
 * system layers will live on): `overlay` when it can both make a 0/0 character device and set a
 * `trusted.*` xattr there (root, or a capable user namespace), `aufs` otherwise. Probed once per
 * directory and cached; safe to call concurrently. Leaves nothing behind in `dir`.
 */
export function detectWhiteoutFormat(dir: string): Promise<WhiteoutFormat> {
  let probe = probes.get(dir);
  if (probe === undefined) {
    probe = probeOverlay(dir);
    probes.set(dir, probe);
  }
  return probe;
}

async function probeOverlay(dir: string): Promise<WhiteoutFormat> {
  const scratch = await mkdtemp(join(dir, `${WHITEOUT_PROBE_PREFIX}${process.pid}-`));
  try {
    await setAttribute(scratch, `${OPAQUE_XATTR}-probe`, "y");
    await promisify(execFile)("mknod", ["--", join(scratch, "wh"), "c", "0", "0"]);
    return "overlay";
  } catch {
    // Any refusal (EPERM, EOPNOTSUPP, no mknod binary) means overlay whiteouts cannot be made.
    return "aufs";
  } finally {
    // The probe made at most the node `wh`: two calls, not a recursive walk.
    await rm(join(scratch, "wh"), { force: true });
    await rmdir(scratch);
  }
}
