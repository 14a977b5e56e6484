import { randomBytes } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { open, rename, rm, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { pipeline } from "node:stream/promises";
import tarStream from "tar-stream";
import { type Digest, digestHex, sha256Digest } from "../digest/digest.ts";
import { hasCode, imageError } from "../errors.ts";
import type { ImageStore } from "../image/image-store.ts";
import type { ImageRecord, Lease } from "../image/types.ts";
import { MediaType } from "../oci/media-types.ts";
import type { Descriptor } from "../oci/types.ts";
import { remoteTarget } from "../reference/normalise.ts";
import { parseReference } from "../reference/parse-reference.ts";
import { exportManifest } from "./export-manifest.ts";

export interface SaveArchiveOptions {
  store: ImageStore;
  /** The images to write, each with the names (`repo:tag`) to record for it, possibly none. */
  images: { record: ImageRecord; names: string[] }[];
  /** Path of the archive to write; replaced atomically. */
  output: string;
  signal?: AbortSignal;
}

/** Every member of the archive except the blobs, which are streamed from the store. */
interface Layout {
  blobs: Map<Digest, { size: number; bytes?: Buffer }>;
  items: { Config: string; RepoTags: string[] | null; Layers: string[] }[];
  index: Descriptor[];
}

const MTIME = new Date(0);

/**
 * Writes the images as a docker-archive in Docker ≥25's layout: every blob under
 * `blobs/sha256/<hex>` exactly as stored (config, manifest, original layer blobs, so digests
 * round-trip; the manifest is `exportManifest`'s, which differs from the stored one only when a
 * pull reused a layer stored with other compression), `manifest.json` (Config, RepoTags, Layers) for docker-archive readers, and
 * `index.json` + `oci-layout` for OCI readers. `podman load`, `skopeo` and `loadArchive` read it.
 *
 * The archive is written to a temp file beside `output`, fsync'd and renamed over it; on any
 * failure the temp file is removed and `output` is untouched. The images' layers are held by a
 * lease while writing. Throws `NotFound` when a blob is missing from the store, `Unavailable` on
 * abort, and file system errors as they come.
 */
export async function saveArchive(opts: SaveArchiveOptions): Promise<void> {
  if (opts.images.length === 0) throw imageError("InvalidArgument", "saving: no images given");
  const lease = opts.store.lease();
  const temp = join(
    dirname(opts.output),
    `.${basename(opts.output)}.${randomBytes(6).toString("hex")}.tmp`,
  );
  try {
    const layout = planLayout(opts.store, lease, opts.images);
    await writeTar(opts.store, layout, temp, opts.signal);
    const fh = await open(temp, "r+");
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(temp, opts.output);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  } finally {
    await lease.release();
  }
}

function planLayout(store: ImageStore, lease: Lease, images: SaveArchiveOptions["images"]): Layout {
  const layout: Layout = { blobs: new Map(), items: [], index: [] };
  for (const { record, names } of images) {
    const layers = store.imageLayers(record);
    for (const layer of layers) lease.hold(layer.id);
    const config = store.readBlob(`sha256:${record.id}`);
    const manifest = exportManifest(store, record, layers);
    const manifestDigest = sha256Digest(manifest.bytes);
    layout.blobs.set(`sha256:${record.id}`, { size: config.length, bytes: config });
    layout.blobs.set(manifestDigest, { size: manifest.bytes.length, bytes: manifest.bytes });
    for (const l of layers) layout.blobs.set(l.digest, { size: l.size });

    // Full names, as skopeo writes them: podman reads a short RepoTag as `localhost/<name>`.
    const tags = names.filter((n) => !n.includes("@")).map(fullName);
    layout.items.push({
      Config: blobName(`sha256:${record.id}`),
      RepoTags: tags.length > 0 ? tags : null,
      Layers: layers.map((l) => blobName(l.digest)),
    });
    const desc: Descriptor = {
      mediaType: manifest.mediaType,
      digest: manifestDigest,
      size: manifest.bytes.length,
    };
    if (tags.length === 0) layout.index.push(desc);
    for (const tag of tags) layout.index.push({ ...desc, annotations: indexAnnotations(tag) });
  }
  return layout;
}

/** `busybox:1.0` → `docker.io/library/busybox:1.0`. */
function fullName(name: string): string {
  const t = remoteTarget(parseReference(name));
  return `${t.host}/${t.repository}:${t.tag ?? "latest"}`;
}

/** Docker's annotations: the full name for containerd, the tag alone as the OCI ref name. */
function indexAnnotations(full: string): Record<string, string> {
  return {
    "io.containerd.image.name": full,
    "org.opencontainers.image.ref.name": full.slice(full.lastIndexOf(":") + 1),
  };
}

function blobName(d: Digest): string {
  return `blobs/sha256/${digestHex(d)}`;
}

async function writeTar(store: ImageStore, layout: Layout, temp: string, signal?: AbortSignal) {
  const pack = tarStream.pack();
  const out = createWriteStream(temp, { flags: "wx", mode: 0o644 });
  const writing = pipeline(pack, out, ...(signal ? [{ signal }] : []));
  writing.catch(() => {}); // awaited below; an early failure also fails the entry writes
  try {
    await addEntry(pack, { name: "blobs/", type: "directory" });
    await addEntry(pack, { name: "blobs/sha256/", type: "directory" });
    for (const [d, blob] of layout.blobs) {
      signal?.throwIfAborted();
      if (blob.bytes) await addEntry(pack, { name: blobName(d) }, blob.bytes);
      else await addFile(pack, blobName(d), await storedBlob(store, d, blob.size));
    }
    const index = { schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: layout.index };
    await addEntry(pack, { name: "index.json" }, Buffer.from(JSON.stringify(index)));
    await addEntry(pack, { name: "manifest.json" }, Buffer.from(JSON.stringify(layout.items)));
    await addEntry(pack, { name: "oci-layout" }, Buffer.from('{"imageLayoutVersion":"1.0.0"}'));
    pack.finalize();
  } catch (err) {
    pack.destroy(err as Error);
    await writing.catch(() => {});
    throw err;
  }
  await writing;
}

/** The stored blob's path, checked to have the size the manifest gives. */
async function storedBlob(store: ImageStore, d: Digest, size: number): Promise<string> {
  const path = store.blobPath(d);
  try {
    const st = await stat(path);
    if (st.size !== size)
      throw imageError("Internal", `blob "${d}" in the store has ${st.size} bytes, not ${size}`);
  } catch (err) {
    if (hasCode(err, "ENOENT"))
      throw imageError("NotFound", `blob "${d}" is missing from the store`, err);
    throw err;
  }
  return path;
}

function addEntry(
  pack: tarStream.Pack,
  h: { name: string; type?: "directory" },
  body?: Buffer,
): Promise<void> {
  const header = { ...h, mode: h.type === "directory" ? 0o755 : 0o644, mtime: MTIME };
  return new Promise((resolve, reject) =>
    pack.entry(header, body ?? "", (err) => (err ? reject(err) : resolve())),
  );
}

/** Streams a file into the archive as one member (the size was checked against the manifest). */
async function addFile(pack: tarStream.Pack, name: string, path: string): Promise<void> {
  const { size } = await stat(path);
  const entry = pack.entry({ name, size, mode: 0o644, mtime: MTIME });
  await pipeline(createReadStream(path), entry);
}
