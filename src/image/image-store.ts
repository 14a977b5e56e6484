import { BlobStore } from "../content/blob-store.ts";
import { Trash } from "../content/trash.ts";
import { type Digest, isDigest, isHex64 } from "../digest/digest.ts";
import { imageError } from "../errors.ts";
import { MetadataDb } from "../metadata/metadata-db.ts";
import { crashPoint } from "../testing/crash-point.ts";
import { commitImage } from "./commit-image.ts";
import { deleteImage } from "./delete-image.ts";
import { assertNotEmbeddedName } from "./name-conflict.ts";
import { cleanupOnOpen } from "./store-cleanup.ts";
import type { StoreContext } from "./store-context.ts";
import { createStoreDirs, layerDiffDir, storeLayout } from "./store-layout.ts";
import { StoreLease } from "./store-lease.ts";
import type { CommitImageRequest, ImageRecord, LayerRecord, Lease } from "./types.ts";

const PREFIX_RE = /^[0-9a-f]{3,64}$/;
const contexts = new WeakMap<ImageStore, StoreContext>();

/**
 * The local image store (DESIGN §4, isulad-behaviour §6): records in `metadata.db`, blobs in
 * `blobs/sha256`, layers in `overlay/<id>/diff`, under `<graph>/storage`.
 *
 * Several processes (the daemon, direct-mode CLIs) may open the same store at once: every change
 * is one SQLite write transaction, and every file moved into or out of `blobs/` and `overlay/`
 * is moved while that transaction holds the write lock (see README.md). Within a process, calls
 * are synchronous and so never interleave. The opener calls {@link ImageStore.close}, after
 * releasing its leases.
 */
export class ImageStore {
  /** `<graph>/storage`. */
  readonly root: string;
  readonly #ctx: StoreContext;

  private constructor(ctx: StoreContext) {
    this.#ctx = ctx;
    this.root = ctx.layout.root;
    contexts.set(this, ctx);
  }

  /**
   * Opens the store under `graph`, creating directories (0700) and schema as needed, and cleans
   * what crashed processes left (`store-cleanup.ts`; cheap when there is nothing). Throws
   * `FailedPrecondition` for a database from a newer version, `Unavailable` if another process
   * holds the write lock too long, and file system errors as they come.
   */
  static open(opts: { graph: string }): ImageStore {
    const layout = storeLayout(opts.graph);
    createStoreDirs(layout);
    const db = MetadataDb.open(layout.database);
    try {
      const ctx: StoreContext = {
        layout,
        db,
        blobs: new BlobStore(layout.blobs),
        trash: new Trash(layout.trash),
      };
      crashPoint("open.db-opened");
      cleanupOnOpen(ctx);
      crashPoint("open.cleaned");
      return new ImageStore(ctx);
    } catch (err) {
      db.close();
      throw err;
    }
  }

  /**
   * Opens an existing store for reading only, as it is on disk: no directory is created and no
   * cleanup runs (for checkers and tests). Writes through it throw. The caller closes it.
   */
  static openReadOnly(opts: { graph: string }): ImageStore {
    const layout = storeLayout(opts.graph);
    const db = MetadataDb.open(layout.database, { readonly: true });
    return new ImageStore({
      layout,
      db,
      blobs: new BlobStore(layout.blobs),
      trash: new Trash(layout.trash),
    });
  }

  /**
   * Runs the open-time cleanup again (`store-cleanup.ts`). A long-lived opener (the daemon) calls
   * it now and then: another process killed in the middle of a change (an `rmi` that had moved
   * files into the trash before its COMMIT) leaves records naming files in the trash, which
   * only a cleanup puts back. Cheap when there is nothing to do; safe while other processes work.
   */
  recover(): void {
    cleanupOnOpen(this.#ctx);
  }

  /** Closes the database. Leases not yet released stay pinned until this process exits. */
  close(): void {
    this.#ctx.db.close();
  }

  /** Every image, names in the order added; unsorted. */
  listImages(): ImageRecord[] {
    return this.#ctx.db.snapshot(() => this.#ctx.db.images.list());
  }

  /** The image with this 64-hex ID. */
  getImage(id: string): ImageRecord | undefined {
    if (!isHex64(id)) return undefined;
    return this.#ctx.db.snapshot(() => this.#ctx.db.images.get(id));
  }

  /** The image holding this exact normalised name (`repo:tag` or `repo@sha256:...`). */
  findByName(name: string): ImageRecord | undefined {
    const { images } = this.#ctx.db;
    return this.#ctx.db.snapshot(() => {
      const id = images.nameOwner(name);
      return id === undefined ? undefined : images.get(id);
    });
  }

  /** The one image whose ID starts with `prefix` (3-64 lowercase hex); ambiguous → undefined. */
  findByIdPrefix(prefix: string): ImageRecord | undefined {
    if (!PREFIX_RE.test(prefix)) return undefined;
    const { images } = this.#ctx.db;
    return this.#ctx.db.snapshot(() => {
      const ids = images.idsWithPrefix(prefix);
      return ids.length === 1 ? images.get(ids[0] as string) : undefined;
    });
  }

  /** Images whose manifest digest is `digest`, by ID. */
  findByDigest(digest: Digest): ImageRecord[] {
    if (!isDigest(digest)) return [];
    return this.#ctx.db.snapshot(() => this.#ctx.db.images.byDigest(digest));
  }

  getLayer(id: string): LayerRecord | undefined {
    return isHex64(id) ? this.#ctx.db.layers.get(id) : undefined;
  }

  /** Every stored layer, unsorted (for checks and tools, not hot paths). */
  listLayers(): LayerRecord[] {
    return this.#ctx.db.layers.list();
  }

  /**
   * The image's layers, base first, following parents from its top layer. `Internal` when a
   * layer of the chain has no record (the store is damaged; `verifyStore` says more).
   */
  imageLayers(image: ImageRecord): LayerRecord[] {
    const out: LayerRecord[] = [];
    for (let id = image.topLayer; id !== undefined; ) {
      const layer = this.#ctx.db.layers.get(id);
      if (!layer) throw imageError("Internal", `image "${image.id}": layer "${id}" is missing`);
      out.push(layer);
      id = layer.parent;
    }
    return out.reverse();
  }

  /** `<root>/overlay/<id>/diff`. */
  layerDir(id: string): string {
    return layerDiffDir(this.#ctx.layout, id);
  }

  blobPath(d: Digest): string {
    return this.#ctx.blobs.path(d);
  }

  /** A stored blob's bytes; `NotFound` when absent. Not re-verified. */
  readBlob(d: Digest): Buffer {
    return this.#ctx.blobs.read(d);
  }

  /** Starts a lease for a load or pull (see `Lease`); the caller releases it. */
  lease(): Lease {
    return StoreLease.begin(this.#ctx);
  }

  /**
   * Stores an image with its layers in one write transaction, and releases `req.lease` (on
   * failure too, which removes its temp files). Layers already stored (perhaps by another process
   * meanwhile) are reused and the temp copies dropped; new ones have their blob and directory
   * renamed in. An image already stored is kept and only gains names. Each name moves off any
   * image holding it. Throws `InvalidArgument` (lease not active here, broken chain, diffIDs not
   * those of the config, temp paths outside the ingest area, config not JSON) and
   * `FailedPrecondition` (a layer neither stored nor given, or the ID stored with another top
   * layer), `AlreadyExists` (a name held by an embedded image).
   */
  commitImage(req: CommitImageRequest): ImageRecord {
    return commitImage(this.#ctx, req);
  }

  /**
   * Gives the image the name, moving it off any other image (which may become dangling).
   * `NotFound` when there is no such image, `AlreadyExists` when an embedded image holds the name.
   */
  addName(imageId: string, name: string): void {
    this.#ctx.db.immediate(() => {
      crashPoint("tag.tx-begun");
      if (!this.#ctx.db.images.get(imageId)) {
        throw imageError("NotFound", `image "${imageId}" not found`);
      }
      assertNotEmbeddedName(this.#ctx, name);
      this.#ctx.db.images.putName(name, imageId);
      crashPoint("tag.name-put");
    });
    crashPoint("tag.committed");
  }

  /**
   * Takes a name off its image (the image stays). `NotFound` when no image has it. With `seen`,
   * the image as the caller read it: the name goes only if the image still has exactly those
   * names (another process may have moved this name or removed the image's other tags since),
   * and `false` says it did not, so the caller decides again.
   */
  removeName(name: string, seen?: Pick<ImageRecord, "id" | "names">): boolean {
    return this.#ctx.db.immediate(() => {
      if (seen !== undefined) {
        const now = this.#ctx.db.images.get(seen.id);
        if (!seen.names.includes(name) || !sameNames(now, seen)) return false;
      }
      crashPoint("untag.deleting");
      if (!this.#ctx.db.images.deleteName(name)) {
        throw imageError("NotFound", `image name "${name}" not found`);
      }
      return true;
    });
  }

  /**
   * Deletes an image and collects its unused layers and blobs; see `delete-image.ts`. With
   * `seen`, only while the image has exactly the names the caller read: a name another process
   * gave it since is never deleted with it; `undefined` says so.
   */
  deleteImage(id: string): { removedLayers: string[] };
  deleteImage(
    id: string,
    seen: Pick<ImageRecord, "names">,
  ): { removedLayers: string[] } | undefined;
  deleteImage(
    id: string,
    seen?: Pick<ImageRecord, "names">,
  ): { removedLayers: string[] } | undefined {
    const guard = seen && ((now: ImageRecord | undefined) => sameNames(now, seen));
    return deleteImage(this.#ctx, id, guard);
  }
}

/** The internals of an open store, for this folder's checkers and tests, and `embedded/`. */
export function storeContext(store: ImageStore): StoreContext {
  return contexts.get(store) as StoreContext;
}

/** True when `now` exists and has the same names as `seen` (in any order). */
function sameNames(now: Pick<ImageRecord, "names"> | undefined, seen: Pick<ImageRecord, "names">) {
  if (now === undefined || now.names.length !== seen.names.length) return false;
  const names = new Set(now.names);
  return seen.names.every((n) => names.has(n));
}
