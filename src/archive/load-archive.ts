import { type FileHandle, open } from "node:fs/promises";
import { hasCode, ImageError, imageError } from "../errors.ts";
import type { ImageStore } from "../image/image-store.ts";
import type { Lease } from "../image/types.ts";
import type { WhiteoutFormat } from "../layer/types.ts";
import { detectWhiteoutFormat } from "../layer/whiteout.ts";
import { prestartWorkers } from "../layer/worker-pool.ts";
import { normaliseName } from "../reference/normalise.ts";
import { crashPoint } from "../testing/crash-point.ts";
import { sniffArchiveCompression } from "./archive-compression.ts";
import type { ArchiveView } from "./archive-view.ts";
import { IndexedView } from "./archive-view.ts";
import { commitImages } from "./commit-images.ts";
import { planDockerArchive } from "./docker-archive.ts";
import type { ImagePlan } from "./image-plan.ts";
import { type LayerProvider, PassedProvider, RangeProvider } from "./layer-provider.ts";
import { planOciLayout } from "./oci-layout.ts";
import { LAYER_PARALLELISM, type LoadProgress, prepareLayers } from "./prepare-layers.ts";
import { passCompressedArchive } from "./stream-pass.ts";
import { indexTarFile, readExactly } from "./tar-index.ts";

export type { LoadProgress } from "./prepare-layers.ts";

export interface LoadArchiveOptions {
  store: ImageStore;
  /** The archive: a tar, plain or gzip/zstd compressed. */
  file: string;
  /** `--tag`: names the archive's single image instead of its RepoTags. */
  tag?: string;
  signal?: AbortSignal;
  onProgress?: (p: LoadProgress) => void;
  /** Overrides the whiteout format probed in the store (tests). */
  whiteoutFormat?: WhiteoutFormat;
}

export interface LoadArchiveResult {
  /** Each image of the archive, in archive order: 64-hex ID and the normalised names it got. */
  images: { id: string; names: string[] }[];
}

/**
 * Loads every image of a docker-archive (Docker ≥25 and older, skopeo, podman) or OCI-layout
 * archive into the store (README.md lists the shapes and rules). The archive is read once: a
 * plain tar is indexed by its headers and its layers unpacked from their byte ranges in parallel;
 * a compressed one is streamed once. Layers whose chain ID is stored are reused without reading.
 *
 * Verifies JSON shapes, config digests, diffID counts, every diffID (and blob digests a manifest
 * states), names, and the `--tag` rule; everything before the first commit, so bad input leaves
 * the store as it was. Throws `ImageError` with a one-line reason: `InvalidArgument` for bad
 * input, `NotFound` for a missing file, `NotImplemented` for xz/bzip2. Safe to run concurrently,
 * in this and other processes, on one store. Closes the file and releases its lease on every path.
 */
export async function loadArchive(opts: LoadArchiveOptions): Promise<LoadArchiveResult> {
  const fh = await openArchive(opts.file);
  // The probe runs mknod(1), the slowest step before the first layer: it runs while the archive
  // is read. Its scratch folder is in the store, so the load never returns before it settled.
  const probe = opts.whiteoutFormat
    ? Promise.resolve(opts.whiteoutFormat)
    : detectWhiteoutFormat(opts.store.root);
  probe.catch(() => {});
  try {
    const lease = opts.store.lease();
    try {
      const { view, provider, ended, whiteoutFormat } = await readArchive(fh, lease, probe, opts);
      crashPoint("load.archive-read");
      const plans = await explainCut(planArchive(view), ended);
      const names = resolveNames(plans, opts.tag);
      crashPoint("load.planned");
      const prepared = await explainCut(
        prepareLayers({
          plans,
          provider,
          lease,
          whiteoutFormat,
          ...signalOf(opts),
          ...progressOf(opts),
        }),
        ended,
      );
      opts.signal?.throwIfAborted();
      crashPoint("load.prepared");
      return {
        images: commitImages({ store: opts.store, loadLease: lease, plans, names, prepared }),
      };
    } finally {
      await releaseQuietly(lease);
    }
  } catch (err) {
    if (opts.signal?.aborted && !(err instanceof ImageError && err.kind === "Unavailable")) {
      throw imageError("Unavailable", "the load was cancelled", err);
    }
    throw err;
  } finally {
    await probe.catch(() => {});
    await fh.close();
  }
}

/** What {@link readArchive} found, and the whiteout format the layers are unpacked with. */
interface ReadArchive {
  view: ArchiveView;
  provider: LayerProvider;
  ended: boolean;
  whiteoutFormat: WhiteoutFormat;
}

/**
 * Opens the archive's members the way its compression allows: a plain tar is indexed (headers
 * only) and its layers are read later from their byte ranges; a compressed one is streamed once
 * now, unpacking what looks like a layer into temp paths of `lease`. Layer workers start as soon
 * as the archive looks like one, so their start-up overlaps the indexing and the probe.
 */
async function readArchive(
  fh: FileHandle,
  lease: Lease,
  probe: Promise<WhiteoutFormat>,
  opts: LoadArchiveOptions,
): Promise<ReadArchive> {
  const { size } = await fh.stat();
  if (size === 0) throw imageError("InvalidArgument", "the archive is empty");
  const head = Buffer.alloc(Math.min(size, 512));
  await readExactly(fh, head, 0);
  const compression = sniffArchiveCompression(head);
  prestartWorkers(LAYER_PARALLELISM);
  if (compression === "none") {
    const index = await indexTarFile(fh, size);
    const whiteoutFormat = await probe;
    const provider = new RangeProvider(opts.file, index, whiteoutFormat);
    return { view: new IndexedView(fh, index), provider, ended: index.ended, whiteoutFormat };
  }
  const whiteoutFormat = await probe;
  const { file, signal } = opts;
  const passed = await passCompressedArchive({
    file,
    compression,
    lease,
    whiteoutFormat,
    ...(signal ? { signal } : {}),
  });
  const provider = new PassedProvider((n) => passed.view.resolve(n), passed.layers, whiteoutFormat);
  return { view: passed.view, provider, ended: true, whiteoutFormat };
}

/**
 * A plain tar that stops without its end-of-archive blocks and lacks a member it names was most
 * likely cut short (a copy interrupted): say so rather than naming the member.
 */
async function explainCut<T>(work: Promise<T>, ended: boolean): Promise<T> {
  try {
    return await work;
  } catch (err) {
    const missing =
      err instanceof ImageError && /missing from the archive|no manifest.json/.test(err.message);
    if (!ended && missing) throw imageError("InvalidArgument", "archive is truncated", err);
    throw err;
  }
}

async function openArchive(file: string): Promise<FileHandle> {
  let fh: FileHandle;
  try {
    fh = await open(file, "r");
  } catch (err) {
    if (hasCode(err, "ENOENT")) throw imageError("NotFound", `file "${file}" does not exist`, err);
    if (hasCode(err, "EISDIR"))
      throw imageError("InvalidArgument", `"${file}" is a directory`, err);
    throw err;
  }
  if ((await fh.stat()).isDirectory()) {
    await fh.close();
    throw imageError("InvalidArgument", `"${file}" is a directory`);
  }
  return fh;
}

/** `manifest.json` wins (docker-archive, Docker ≥25 included); else `index.json` (OCI layout). */
async function planArchive(view: ArchiveView): Promise<ImagePlan[]> {
  if (view.resolve("manifest.json") !== undefined) return planDockerArchive(view);
  if (view.resolve("index.json") !== undefined) return planOciLayout(view);
  throw imageError("InvalidArgument", "no manifest.json or index.json found in the archive");
}

/**
 * The names each image gets: the normalised `--tag` (only for an archive of one image with at
 * most one name, iSulad's rule and message), else every name the archive gives, normalised.
 */
export function resolveNames(plans: ImagePlan[], tag: string | undefined): string[][] {
  if (tag !== undefined) {
    if (plans.length !== 1 || (plans[0]?.names.length ?? 0) > 1) {
      throw imageError(
        "InvalidArgument",
        "Can not use --tag option because more than one image found in tar archive",
      );
    }
    return [[normalise(tag, "invalid tag")]];
  }
  return plans.map((p) =>
    p.names.map((n) =>
      normalise(n, `invalid image name in ${p.from === "manifest.json" ? "RepoTags" : p.from}`),
    ),
  );
}

function normalise(name: string, what: string): string {
  try {
    return normaliseName(name);
  } catch (err) {
    if (err instanceof ImageError && err.kind === "InvalidArgument") {
      throw imageError("InvalidArgument", `${what} "${name}"`, err);
    }
    throw err;
  }
}

/** Releases the lease; a failure to do so must not hide the load's own result or error. */
async function releaseQuietly(lease: Lease): Promise<void> {
  try {
    await lease.release();
  } catch {
    // The lease's process is still alive, so nothing else collects it; the next open does.
  }
}

function signalOf(opts: { signal?: AbortSignal }) {
  return opts.signal ? { signal: opts.signal } : {};
}

function progressOf(opts: { onProgress?: (p: LoadProgress) => void }) {
  return opts.onProgress ? { onProgress: opts.onProgress } : {};
}
