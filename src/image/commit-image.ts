import { mkdirSync, renameSync, rmdirSync } from "node:fs";
import { relative, sep } from "node:path";
import { fsyncDir, removeTree } from "../content/durable-fs.ts";
import { chainId, type Digest, digestHex } from "../digest/digest.ts";
import { imageError } from "../errors.ts";
import { crashPoint } from "../testing/crash-point.ts";
import { type Undo, undoAll } from "./file-moves.ts";
import { nowRfc3339Nano, readConfigFacts } from "./image-config.ts";
import { assertNotEmbeddedName } from "./name-conflict.ts";
import type { StoreContext } from "./store-context.ts";
import { layerDiffDir, layerHome } from "./store-layout.ts";
import { StoreLease } from "./store-lease.ts";
import type { CommitImageRequest, ImageRecord, NewLayer } from "./types.ts";

/**
 * Stores an image and its new layers: see `ImageStore.commitImage` for the contract. Blob bytes
 * of config and manifest are written and fsync'd before the transaction; every rename into
 * `blobs/` and `overlay/` happens inside it, under the write lock.
 */
export function commitImage(ctx: StoreContext, req: CommitImageRequest): ImageRecord {
  const lease = req.lease;
  if (!(lease instanceof StoreLease) || !lease.belongsTo(ctx)) {
    throw imageError("InvalidArgument", "committing image: lease is not active in this store");
  }
  const dropped: string[] = [];
  try {
    checkChain(ctx, req);
    const facts = readConfigFacts(req.config);
    checkDiffIds(req, facts.diffIds);
    const configTemp = lease.tempPath("config");
    const manifestTemp = lease.tempPath("manifest");
    const configDigest = ctx.blobs.writeTemp(configTemp, req.config);
    const manifestDigest = ctx.blobs.writeTemp(manifestTemp, req.manifest);
    crashPoint("commit.temps-written");

    const trashed: string[] = [];
    const image = ctx.db.immediate(() => {
      const st: PlaceState = { now: nowRfc3339Nano(), undo: [], dropped, trashed };
      try {
        crashPoint("commit.tx-begun");
        const existing = checkExisting(ctx, req, digestHex(configDigest));
        for (const name of req.names) assertNotEmbeddedName(ctx, name);
        const diffTotal = placeLayers(ctx, req.layers, st);
        if (req.keepLease) for (const l of req.layers) ctx.db.leases.hold(lease.id, l.record.id);
        crashPoint("commit.layers-placed");
        placeBlob(ctx, configTemp, configDigest, st);
        crashPoint("commit.config-placed");
        // A stored image keeps its manifest (its record is not rewritten): placing this one
        // would leave a blob no record names (found by the archive fuzz run, issue #6).
        if (!existing) placeBlob(ctx, manifestTemp, manifestDigest, st);
        crashPoint("commit.manifest-placed");
        syncDirs(ctx, req.layers, trashed.length > 0);
        crashPoint("commit.dirs-synced");
        const image = recordImage(ctx, req, existing, {
          id: digestHex(configDigest),
          digest: manifestDigest,
          size: req.config.length + req.manifest.length + diffTotal,
          created: facts.created,
          labels: facts.labels,
          loaded: st.now,
        });
        crashPoint("commit.records-written");
        return image;
      } catch (err) {
        undoAll(st.undo);
        throw err;
      }
    });
    crashPoint("commit.committed");
    ctx.trash.empty(trashed);
    crashPoint("commit.trash-emptied");
    return image;
  } finally {
    for (const path of dropped) removeTree(path);
    crashPoint("commit.dropped-removed");
    if (!req.keepLease) lease.releaseSync();
  }
}

/** Checks that the layers form one chain, base first, each ID its chain ID; temps in ingest. */
function checkChain(ctx: StoreContext, req: CommitImageRequest): void {
  let parent: string | undefined;
  for (const { record, tempDir, tempBlob } of req.layers) {
    const parentDigest = parent === undefined ? undefined : (`sha256:${parent}` as Digest);
    const expected = digestHex(chainId(parentDigest, record.diffId));
    if (record.id !== expected || record.parent !== parent) {
      throw imageError(
        "InvalidArgument",
        `committing image: layer "${record.id}" is not chain ID "${expected}" of its parent`,
      );
    }
    for (const temp of [tempDir, tempBlob]) {
      if (temp === undefined) continue;
      const rel = relative(ctx.layout.ingest, temp);
      if (rel === "" || rel.startsWith("..") || rel.includes(sep)) {
        throw imageError(
          "InvalidArgument",
          `committing image: "${temp}" is not in the ingest area`,
        );
      }
    }
    parent = record.id;
  }
}

function checkDiffIds(req: CommitImageRequest, diffIds: string[] | undefined): void {
  if (diffIds === undefined) return;
  const ours = req.layers.map((l) => l.record.diffId);
  if (diffIds.length !== ours.length || diffIds.some((d, i) => d !== ours[i])) {
    throw imageError("InvalidArgument", "committing image: layers do not match rootfs.diff_ids");
  }
}

interface PlaceState {
  now: string;
  undo: Undo;
  /** Temp copies not needed after all (another process stored the same layer first). */
  dropped: string[];
  /** Trash entries to empty after COMMIT. */
  trashed: string[];
}

/** Inserts the layers not yet stored, moving their files in; returns the sum of diff sizes. */
function placeLayers(ctx: StoreContext, layers: NewLayer[], st: PlaceState): number {
  let total = 0;
  for (const { record, tempDir, tempBlob } of layers) {
    const stored = ctx.db.layers.get(record.id);
    if (stored) {
      total += stored.diffSize;
      if (tempDir) st.dropped.push(tempDir);
      if (tempBlob) st.dropped.push(tempBlob);
      continue;
    }
    if (tempDir === undefined || tempBlob === undefined) {
      throw imageError(
        "FailedPrecondition",
        `committing image: layer "${record.id}" is not stored and has no files`,
      );
    }
    placeBlob(ctx, tempBlob, record.digest, st);
    crashPoint("commit.layer-blob-placed");
    placeLayerDir(ctx, record.id, tempDir, st);
    ctx.db.layers.insert({ ...record, created: st.now });
    crashPoint("commit.layer-recorded");
    total += record.diffSize;
  }
  return total;
}

/** Moves a blob in unless stored already (another layer or image may share it). */
function placeBlob(ctx: StoreContext, temp: string, d: Digest, st: PlaceState): void {
  if (ctx.blobs.commit(temp, d)) st.undo.push(() => renameSync(ctx.blobs.path(d), temp));
  else st.dropped.push(temp);
}

function placeLayerDir(ctx: StoreContext, id: string, tempDir: string, st: PlaceState): void {
  const home = layerHome(ctx.layout, id);
  // No record, and we hold the write lock, so no other process is placing this layer: anything
  // at `home` was left by a writer that died before its COMMIT. Move it aside.
  const stale = ctx.trash.moveIn(home, { kind: "layer", key: id });
  if (stale) st.trashed.push(stale);
  mkdirSync(home, { mode: 0o700 });
  st.undo.push(() => rmdirSync(home));
  crashPoint("commit.layer-home-made");
  renameSync(tempDir, layerDiffDir(ctx.layout, id));
  st.undo.push(() => renameSync(layerDiffDir(ctx.layout, id), tempDir));
}

/** Makes this transaction's renames durable before its records commit. */
function syncDirs(ctx: StoreContext, layers: NewLayer[], usedTrash: boolean): void {
  fsyncDir(ctx.blobs.dir);
  fsyncDir(ctx.layout.overlay);
  for (const { record, tempDir } of layers) {
    if (tempDir !== undefined) fsyncDir(layerHome(ctx.layout, record.id));
  }
  if (usedTrash) ctx.trash.sync();
}

interface ImageFacts {
  id: string;
  digest: Digest;
  size: number;
  created: string;
  labels: Record<string, string>;
  loaded: string;
}

/** The stored image of this ID, if any; `FailedPrecondition` if its top layer differs. */
function checkExisting(ctx: StoreContext, req: CommitImageRequest, id: string): boolean {
  const existing = ctx.db.images.get(id);
  const top = req.layers.at(-1)?.record.id ?? "";
  if (existing && (existing.topLayer ?? "") !== top) {
    throw imageError(
      "FailedPrecondition",
      `committing image "${id}": stored with top layer "${existing.topLayer ?? ""}", not "${top}"`,
    );
  }
  return existing !== undefined;
}

/** Inserts the image (unless `existing`) and gives it its names. */
function recordImage(
  ctx: StoreContext,
  req: CommitImageRequest,
  existing: boolean,
  f: ImageFacts,
): ImageRecord {
  const topLayer = req.layers.at(-1)?.record.id;
  if (!existing) {
    ctx.db.images.insert({
      id: f.id,
      names: [],
      ...(topLayer === undefined ? {} : { topLayer }),
      digest: f.digest,
      manifestMediaType: req.manifestMediaType,
      configSize: req.config.length,
      manifestSize: req.manifest.length,
      size: f.size,
      created: f.created,
      loaded: f.loaded,
      labels: f.labels,
    });
  }
  for (const name of new Set(req.names)) ctx.db.images.putName(name, f.id);
  return ctx.db.images.get(f.id) as ImageRecord;
}
