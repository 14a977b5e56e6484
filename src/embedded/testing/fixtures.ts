import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  DIR_LAYER_MEDIA_TYPE,
  EMBEDDED_MANIFEST_MEDIA_TYPE,
  SQUASHFS_LAYER_MEDIA_TYPE,
} from "../manifest-types.ts";
import { signaturePath } from "../read-manifest.ts";

/**
 * Embedded image fixtures built by the tests: real squashfs files (`mksquashfs`, Debian
 * `squashfs-tools`), directory layers, manifests and their `.sgn` files.
 */

/** `sha256:<hex>` of a file's bytes or of a buffer. */
export function sha256Of(fileOrBytes: string | Buffer): string {
  const bytes = typeof fileOrBytes === "string" ? readFileSync(fileOrBytes) : fileOrBytes;
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

/** Builds `<dir>/<name>` as a squashfs image holding `files` (relative path → content). */
export function makeSquashfs(dir: string, name: string, files: Record<string, string>): string {
  const src = mkdtempSync(join(tmpdir(), "sqfs-src-"));
  try {
    for (const [rel, content] of Object.entries(files)) {
      mkdirSync(join(src, rel, ".."), { recursive: true });
      writeFileSync(join(src, rel), content);
    }
    const out = join(dir, name);
    execFileSync("mksquashfs", [src, out, "-noappend", "-quiet", "-no-progress", "-all-root"], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    return out;
  } finally {
    rmSync(src, { recursive: true, force: true });
  }
}

/** A plain manifest document; tests change fields with spread or edit its text. */
export type ManifestDoc = Record<string, unknown> & { layers?: Record<string, unknown>[] };

/**
 * The image directory the tests start from: `app.img` and `platform.img` (squashfs), `conf/` (a
 * directory layer), and `test.manifest` naming them with layer 0 = `/` (a dir layer, which needs
 * no block device). Returns the directory and the manifest document.
 */
export function makeImageDir(root: string, name = "test:v1"): { dir: string; doc: ManifestDoc } {
  const dir = join(root, "img");
  mkdirSync(join(dir, "conf"), { recursive: true });
  writeFileSync(join(dir, "conf", "app.conf"), "debug=false\n");
  const app = makeSquashfs(dir, "app.img", { "home/app": "app binary\n" });
  makeSquashfs(dir, "platform.img", { "lib/platform.so": "platform\n" });
  const doc: ManifestDoc = {
    schemaVersion: 1,
    mediaType: EMBEDDED_MANIFEST_MEDIA_TYPE,
    imageName: name,
    created: "2018-03-01T15:55:44.322987811Z",
    config: { ENV: ["a=b", "c=d e"], ENTRYPOINT: [], WORKDIR: "/" },
    layers: [
      dirLayer("/", ""),
      squashfsLayer("app.img", "/home/home", sha256Of(app)),
      squashfsLayer("platform.img", "/usr/platform"),
      dirLayer("conf", "/etc/app"),
    ],
  };
  return { dir, doc };
}

export function squashfsLayer(pathInHost: string, pathInContainer: string, digest = "") {
  return { mediaType: SQUASHFS_LAYER_MEDIA_TYPE, size: 0, digest, pathInHost, pathInContainer };
}

export function dirLayer(pathInHost: string, pathInContainer: string) {
  return { mediaType: DIR_LAYER_MEDIA_TYPE, size: 0, digest: "", pathInHost, pathInContainer };
}

/**
 * Writes `<dir>/<base>.manifest` (a document, pretty-printed like iSulad's example, or raw text)
 * and, unless `sgn` is false, `<dir>/<base>.sgn` holding `sha256:<hex>` of it with no newline
 * (or the text given). Returns the manifest's path.
 */
export function writeManifest(
  dir: string,
  doc: ManifestDoc | string,
  opts: { base?: string; file?: string; sgn?: string | false } = {},
): string {
  const text = typeof doc === "string" ? doc : `${JSON.stringify(doc, null, 4)}\n`;
  const file = join(dir, opts.file ?? `${opts.base ?? "test"}.manifest`);
  writeFileSync(file, text);
  if (opts.sgn !== false)
    writeFileSync(signaturePath(file), opts.sgn ?? sha256Of(Buffer.from(text)));
  return file;
}
