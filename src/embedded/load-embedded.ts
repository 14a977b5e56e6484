import { dirname } from "node:path";
import { digestHex } from "../digest/digest.ts";
import { nowRfc3339Nano } from "../image/image-config.ts";
import type { ImageStore } from "../image/image-store.ts";
import { checkLayers } from "./check-layers.ts";
import { checkManifest } from "./check-manifest.ts";
import { type EmbeddedImageRow, putEmbeddedImage } from "./embedded-store.ts";
import { parseEmbeddedManifest } from "./parse-manifest.ts";
import { readSignedManifest } from "./read-manifest.ts";

/** What `loadEmbeddedImage` stored (or found already stored). */
export interface EmbeddedLoadResult {
  row: EmbeddedImageRow;
  /** False when this very manifest, from this very path, was stored already (a no-op). */
  inserted: boolean;
}

/**
 * Loads the embedded image described by the manifest at `file` (isulad-behaviour §7.3): resolve
 * the manifest's real path, check its `.sgn` signature, parse it, check every rule of §7.1
 * (layer files included), then record it. The manifest bytes are read once and stored verbatim;
 * layer files are referenced in place, never copied. The image size is the sum of the file sizes
 * of squashfs layers 1..n (directory layers count 0: they are host directories the image does
 * not own, and their contents change).
 *
 * Any failure leaves the store as it was. Throws `InvalidArgument` with iSulad's messages for a
 * bad manifest, signature or layer, and `AlreadyExists` for a name conflict (see
 * `putEmbeddedImage`). Safe to call concurrently, also from several processes.
 */
export async function loadEmbeddedImage(opts: {
  store: ImageStore;
  file: string;
  /** Cancels the load: checked between layers and hash chunks, and before the record is put. */
  signal?: AbortSignal;
}): Promise<EmbeddedLoadResult> {
  const manifest = await readSignedManifest(opts.file);
  const parsed = parseEmbeddedManifest(manifest.bytes);
  const name = checkManifest(parsed);
  const layers = await checkLayers(parsed.layers, dirname(manifest.realPath), opts.signal);
  // The last moment to stop: the record is put in one transaction, whole or not at all.
  opts.signal?.throwIfAborted();

  return putEmbeddedImage(opts.store, {
    name,
    id: digestHex(manifest.digest),
    manifestPath: manifest.realPath,
    manifest: manifest.bytes,
    created: parsed.created as string,
    size: layers.reduce((sum, l) => sum + l.size, 0),
    mountString: parsed.layers[0]?.pathInHost ?? "",
    loaded: nowRfc3339Nano(),
  });
}
