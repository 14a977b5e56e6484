import assert from "node:assert/strict";
import { createReadStream, existsSync, lstatSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import tarStream from "tar-stream";
import { isProcessAlive } from "../../src/content/process-identity.ts";
import { type Digest, Digester, digestHex, isHex64 } from "../../src/digest/digest.ts";
import { hasCode } from "../../src/errors.ts";
import { ImageStore } from "../../src/image/image-store.ts";
import type { ImageRecord, LayerRecord } from "../../src/image/types.ts";
import { verifyStore } from "../../src/image/verify-store.ts";
import { createDecoder, sniffCompression } from "../../src/layer/decompress.ts";
import { MediaType } from "../../src/oci/media-types.ts";

export interface InvariantOptions {
  /**
   * Whether leases of live processes may exist (a daemon or CLI still running). Default false:
   * after every process ended and a start-up cleanup ran, no lease may remain.
   */
  allowLiveLeases?: boolean;
  /** Skip unpacking each layer blob to re-derive its diffID and file list (faster). */
  shallow?: boolean;
}

/** Entries that may sit in `<graph>/storage` besides the store's own folders. */
const ROOT_ENTRIES = new Set([
  "metadata.db",
  "metadata.db-wal",
  "metadata.db-shm",
  "blobs",
  "ingest",
  "overlay",
  "trash",
  "NEED_CHECK",
  "isulad.lock",
]);

/**
 * Checks every invariant the store promises after a crash and a start-up cleanup, reading the
 * store under `graph` without changing it (read-only database, no cleanup). Returns one line per
 * violation, empty when the store is whole:
 * - everything `verifyStore` checks: image ID = sha256 of the config bytes, every blob's bytes
 *   hash to its name and have the recorded size, layer IDs are chain IDs of parent + diffID,
 *   parents and layer directories exist, image sizes, `rootfs.diff_ids` = the chain, names point
 *   at images, no blob or layer directory without a record;
 * - each layer blob, decompressed, hashes to the recorded diffID and has the recorded diff size,
 *   and every regular file of its tar is in the layer directory with its size (a layer directory
 *   is never half unpacked);
 * - a schema2/OCI manifest names the image's config and exactly its layer blobs (or, for a
 *   layer a pull reused from another compression, a blob the store does not hold);
 * - SQLite's integrity and foreign-key checks pass;
 * - no ingest or trash entry, no stray file among blobs, layers or the store's root;
 * - no lease of a dead process (none at all unless `allowLiveLeases`).
 */
export async function checkStoreInvariants(
  graph: string,
  opts: InvariantOptions = {},
): Promise<string[]> {
  const store = ImageStore.openReadOnly({ graph });
  try {
    const problems = await verifyStore(store);
    const layers = new Map(store.listLayers().map((l) => [l.id, l]));
    if (!opts.shallow) {
      for (const layer of layers.values())
        problems.push(...(await checkLayerContent(store, layer)));
    }
    for (const image of store.listImages()) problems.push(...checkManifest(store, image, layers));
    problems.push(...checkDatabase(join(store.root, "metadata.db"), opts));
    problems.push(...checkFolders(store.root));
    return problems;
  } finally {
    store.close();
  }
}

/** Fails with every violation listed when the store under `graph` breaks an invariant. */
export async function assertStoreInvariants(
  graph: string,
  opts: InvariantOptions & { context?: string } = {},
): Promise<void> {
  const problems = await checkStoreInvariants(graph, opts);
  if (problems.length === 0) return;
  const where = opts.context ? ` (${opts.context})` : "";
  assert.fail(`store invariants broken${where}:\n  ${problems.join("\n  ")}`);
}

/** Re-derives diffID, diff size and the regular files of a layer from its blob. */
async function checkLayerContent(store: ImageStore, layer: LayerRecord): Promise<string[]> {
  const where = `layer "${layer.id}"`;
  let tar: { diffId: Digest; size: number; files: Map<string, number> };
  try {
    tar = await readLayerBlob(store.blobPath(layer.digest));
  } catch (err) {
    if (hasCode(err, "ENOENT")) return []; // verifyStore reports the missing blob
    return [`${where}: blob "${layer.digest}" does not unpack: ${(err as Error).message}`];
  }
  const problems: string[] = [];
  if (tar.diffId !== layer.diffId) {
    problems.push(`${where}: blob decompresses to "${tar.diffId}", not diffID "${layer.diffId}"`);
  }
  if (tar.size !== layer.diffSize) {
    problems.push(`${where}: diff size ${layer.diffSize}, the tar has ${tar.size} bytes`);
  }
  const dir = store.layerDir(layer.id);
  for (const [path, size] of tar.files) {
    const actual = fileSize(join(dir, path));
    if (actual === undefined) problems.push(`${where}: file "${path}" is missing`);
    else if (actual !== size)
      problems.push(`${where}: file "${path}" has ${actual} bytes, not ${size}`);
  }
  return problems;
}

/** Decompresses a layer blob, hashing the tar and listing its regular files with their sizes. */
async function readLayerBlob(
  path: string,
): Promise<{ diffId: Digest; size: number; files: Map<string, number> }> {
  const digester = new Digester();
  const files = new Map<string, number>();
  const extract = tarStream.extract();
  const listed = (async () => {
    for await (const entry of extract) {
      const h = entry.header;
      const name = h.name.replace(/^(\.\/)+/, "").replace(/\/+$/, "");
      const base = name.slice(name.lastIndexOf("/") + 1);
      if (h.type === "file" && !base.startsWith(".wh.")) files.set(name, h.size ?? 0);
      entry.resume();
    }
  })();
  let decoder: ReturnType<typeof createDecoder> | undefined;
  for await (const chunk of createReadStream(path, { highWaterMark: 256 * 1024 })) {
    const buf = chunk as Buffer;
    decoder ??= createDecoder(sniffCompression(buf), (out) => {
      digester.update(out);
      extract.write(Buffer.from(out));
    });
    await decoder.write(buf);
  }
  await decoder?.end();
  extract.end(undefined);
  await listed;
  return { diffId: digester.digest(), size: digester.size, files };
}

function fileSize(path: string): number | undefined {
  try {
    const st = lstatSync(path);
    return st.isFile() ? st.size : -1;
  } catch (err) {
    if (hasCode(err, "ENOENT") || hasCode(err, "ENOTDIR")) return undefined;
    throw err;
  }
}

/** A schema2 or OCI manifest must name the config (image ID) and the chain's layer blobs. */
function checkManifest(
  store: ImageStore,
  image: ImageRecord,
  layers: Map<string, LayerRecord>,
): string[] {
  const schema2 = [MediaType.dockerManifest, MediaType.ociManifest] as string[];
  if (!schema2.includes(image.manifestMediaType)) return [];
  const where = `image "${image.id}"`;
  let doc: { config?: { digest?: string }; layers?: { digest?: string }[] };
  try {
    doc = JSON.parse(store.readBlob(image.digest).toString("utf8"));
  } catch (err) {
    if (err instanceof Error && /not found/.test(err.message)) return [];
    return [`${where}: manifest is not JSON`];
  }
  const chain: string[] = [];
  for (let id = image.topLayer; id !== undefined && chain.length <= layers.size; ) {
    const layer = layers.get(id);
    if (!layer) return []; // verifyStore reports the broken chain
    chain.unshift(layer.digest);
    id = layer.parent;
  }
  const problems: string[] = [];
  if (doc.config?.digest !== `sha256:${image.id}`) {
    problems.push(`${where}: manifest names config "${doc.config?.digest}"`);
  }
  // A pulled image's manifest may name a registry blob the store never fetched: the pull reused
  // a layer stored with other compression (same diffID, other blob; see export-manifest.ts).
  // Then that blob is absent; a manifest naming another stored blob is wrong.
  const named = (doc.layers ?? []).map((l) => l.digest);
  const fits =
    named.length === chain.length &&
    named.every((d, i) => d === chain[i] || (typeof d === "string" && !storedBlob(store, d)));
  if (!fits) problems.push(`${where}: manifest layers are not its layer blobs`);
  return problems;
}

/** SQLite's own checks, and leases: none of a dead process, none at all unless allowed. */
function checkDatabase(file: string, opts: InvariantOptions): string[] {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const problems: string[] = [];
    const integrity = db.pragma("integrity_check", { simple: true });
    if (integrity !== "ok") problems.push(`database integrity: ${String(integrity)}`);
    for (const row of db.pragma("foreign_key_check") as { table: string; parent: string }[]) {
      problems.push(`database: a "${row.table}" row points at a missing "${row.parent}" row`);
    }
    const leases = db.prepare("SELECT id, pid, start_time FROM leases").all() as {
      id: string;
      pid: number;
      start_time: string;
    }[];
    for (const l of leases) {
      const alive = isProcessAlive({ pid: l.pid, startTime: l.start_time });
      if (!alive) problems.push(`lease "${l.id}" of dead process ${l.pid} was not collected`);
      else if (!opts.allowLiveLeases) problems.push(`lease "${l.id}" of process ${l.pid} remains`);
    }
    return problems;
  } finally {
    db.close();
  }
}

/** Leftovers: ingest and trash entries, temp files beside blobs and layers, stray entries. */
function checkFolders(root: string): string[] {
  const problems: string[] = [];
  const list = (rel: string) => {
    try {
      return readdirSync(join(root, rel));
    } catch (err) {
      if (hasCode(err, "ENOENT")) return [];
      throw err;
    }
  };
  for (const name of list("ingest")) {
    // Blob claim files (src/content/blob-claim.ts) included: nothing holds one once every
    // operation has ended, and start-up cleanup removes those that nobody holds.
    problems.push(`ingest entry "${name}" left behind`);
  }
  for (const name of list("trash")) problems.push(`trash entry "${name}" left behind`);
  for (const name of list(join("blobs", "sha256"))) {
    if (!isHex64(name) || !statSync(join(root, "blobs", "sha256", name)).isFile()) {
      problems.push(`stray entry "blobs/sha256/${name}"`);
    }
  }
  for (const name of list("blobs")) {
    if (name !== "sha256") problems.push(`stray entry "blobs/${name}"`);
  }
  for (const name of list("overlay")) {
    const entries = isHex64(name) ? list(join("overlay", name)) : [];
    if (!isHex64(name) || entries.join(",") !== "diff") {
      problems.push(`stray entry "overlay/${name}" (holds: ${entries.join(", ") || "nothing"})`);
    }
  }
  for (const name of list("")) {
    if (!ROOT_ENTRIES.has(name)) problems.push(`stray entry "${name}" in the store's root`);
  }
  return problems;
}

function storedBlob(store: ImageStore, d: string): boolean {
  return /^sha256:[0-9a-f]{64}$/.test(d) && existsSync(store.blobPath(d as Digest));
}

/** The path of a stored blob, for tests that corrupt blobs by name. */
export function blobFile(graph: string, d: Digest): string {
  return join(graph, "storage", "blobs", "sha256", digestHex(d));
}
