import { exportManifest } from "../archive/export-manifest.ts";
import { runLimited } from "../archive/prepare-layers.ts";
import type { Digest } from "../digest/digest.ts";
import type { ImageStore } from "../image/image-store.ts";
import type { ImageRecord } from "../image/types.ts";
import { isNondistributableLayer } from "../oci/media-types.ts";
import type { ImageManifest } from "../oci/types.ts";
import { progressId } from "../pull/types.ts";
import { mountSources, storedBlob } from "./push-sources.ts";
import type { PushOutcome, PushProgress, PushTarget } from "./types.ts";

export interface PushImageOptions {
  store: ImageStore;
  /** The stored image to push. */
  record: ImageRecord;
  target: PushTarget;
  /** The tag (or `sha256:` digest) to put the manifest under. */
  reference: string;
  /** Layers uploaded at once (the daemon's `max-concurrent-downloads`, as for pull). */
  maxConcurrentUploads: number;
  signal?: AbortSignal;
  onProgress?: (p: PushProgress) => void;
}

/** Mount attempts per blob before uploading it. */
const MAX_MOUNT_TRIES = 3;

/**
 * Pushes a stored image (Docker's order): every layer is reported `preparing`, those beyond
 * the limit `waiting`; then for each layer, up to `maxConcurrentUploads` at once,
 * the registry's copy is kept when `HEAD` finds it (`exists`), else the blob is mounted from
 * another repository of the same registry that one of the store's images is named in
 * (`mounted`), else uploaded as stored (`pushed`); a non-distributable layer that the manifest
 * gives `urls` for is not uploaded at all (`skipped`, Docker's rule: the registry's clients
 * fetch it from there); then the config the same way, then the
 * manifest (the stored one when it still fits, see `exportManifest`) under `reference`.
 * The layers are held by a lease while they are read. Throws the target's errors (`ImageError`
 * kinds `Unauthenticated`, `PermissionDenied`, `Unavailable`, ...), `NotFound` for a blob
 * missing from the store. Pushing is idempotent: a failed push can simply be run again.
 */
export async function pushImage(opts: PushImageOptions): Promise<PushOutcome> {
  const { store, record, target, signal } = opts;
  const sig = signal && { signal };
  await target.ping(signal);
  const lease = store.lease();
  try {
    const layers = store.imageLayers(record);
    for (const l of layers) lease.hold(l.id);
    const manifest = exportManifest(store, record, layers);
    const sources = mountSources(store, record, target);

    const send = async (digest: Digest, size: number, report: boolean) => {
      const id = progressId(digest);
      const tell = (p: Omit<PushProgress, "id" | "total">): void => {
        if (report) opts.onProgress?.({ id, total: size, ...p });
      };
      if (await target.hasBlob(digest, signal)) return tell({ current: size, status: "exists" });
      for (const from of (sources.get(digest) ?? []).slice(0, MAX_MOUNT_TRIES)) {
        if (await target.mountBlob(digest, from, signal))
          return tell({ current: size, status: "mounted", from });
      }
      const blob = await storedBlob(store, digest, size);
      tell({ current: 0, status: "pushing" });
      await target.uploadBlob(blob, {
        ...sig,
        onBytes: (current) => tell({ current, status: "pushing" }),
      });
      tell({ current: size, status: "pushed" });
    };

    const foreign = foreignLayers(manifest.bytes);
    const skip = async (digest: Digest, size: number) =>
      opts.onProgress?.({ id: progressId(digest), current: 0, total: size, status: "skipped" });
    const jobs = new Map<string, () => Promise<void>>();
    const queued: PushProgress[] = [];
    for (const l of layers) {
      if (jobs.has(l.digest)) continue;
      const job = foreign.has(l.digest) ? skip : send;
      jobs.set(l.digest, () => job(l.digest, l.size, true));
      queued.push({ id: progressId(l.digest), current: 0, total: l.size, status: "preparing" });
    }
    // Docker's first states: every layer "Preparing", then those beyond the upload limit
    // "Waiting" (the jobs start in this order).
    for (const p of queued) opts.onProgress?.(p);
    for (const p of queued.slice(Math.max(1, opts.maxConcurrentUploads)))
      opts.onProgress?.({ ...p, status: "waiting" });
    await runLimited(jobs, opts.maxConcurrentUploads, signal);
    await send(`sha256:${record.id}`, record.configSize, false);
    const digest = await target.putManifest({ reference: opts.reference, ...manifest, ...sig });
    return { digest, size: manifest.bytes.length, reference: opts.reference };
  } finally {
    await lease.release();
  }
}

/**
 * The layers of the manifest to push that are non-distributable and say where they live. The
 * manifest is `exportManifest`'s: a schema2 or OCI image manifest that was checked when stored,
 * or one built here.
 */
function foreignLayers(manifest: Buffer): Set<Digest> {
  const { layers } = JSON.parse(manifest.toString("utf8")) as ImageManifest;
  const foreign = layers.filter(
    (l) => (l.urls?.length ?? 0) > 0 && isNondistributableLayer(l.mediaType),
  );
  return new Set(foreign.map((l) => l.digest));
}
