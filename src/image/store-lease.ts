import { join } from "node:path";
import { removeTree } from "../content/durable-fs.ts";
import { ingestEntryName } from "../content/ingest.ts";
import { currentProcess } from "../content/process-identity.ts";
import { isHex64, randomHex } from "../digest/digest.ts";
import { imageError } from "../errors.ts";
import { crashPoint } from "../testing/crash-point.ts";
import { nowRfc3339Nano } from "./image-config.ts";
import type { StoreContext } from "./store-context.ts";
import type { LayerRecord, Lease } from "./types.ts";

/**
 * The store's {@link Lease}: a `leases` row naming this process (pid and start time), plus one
 * `lease_layers` row per held layer. Another process's `deleteImage` reads those rows under the
 * write lock, so a layer held here is never collected, and its ingest sweep spares the temp paths
 * named after this process. Not shared between processes; use from one async context at a time.
 */
export class StoreLease implements Lease {
  readonly id: string;
  readonly #ctx: StoreContext;
  readonly #temps = new Set<string>();
  #next = 0;
  #released = false;

  private constructor(ctx: StoreContext, id: string) {
    this.#ctx = ctx;
    this.id = id;
  }

  /** Starts a lease (one short write transaction). */
  static begin(ctx: StoreContext): StoreLease {
    const id = randomHex(8);
    const self = currentProcess();
    crashPoint("lease.creating");
    ctx.db.leases.insert({
      id,
      pid: self.pid,
      startTime: self.startTime,
      created: nowRfc3339Nano(),
    });
    crashPoint("lease.created");
    return new StoreLease(ctx, id);
  }

  /** True when this lease belongs to the store of `ctx` and has not been released. */
  belongsTo(ctx: StoreContext): boolean {
    return this.#ctx === ctx && !this.#released;
  }

  /**
   * Pins the layer if stored and returns its record; undefined if not stored. Runs under the
   * write lock so that it orders cleanly against another process deleting the layer: either the
   * delete came first (undefined: fetch the layer again) or the pin did (the layer stays).
   * `FailedPrecondition` after release.
   */
  hold(chainId: string): LayerRecord | undefined {
    this.#checkActive("holding a layer");
    if (!isHex64(chainId)) return undefined;
    return this.#ctx.db.immediate(() => {
      const layer = this.#ctx.db.layers.get(chainId);
      if (layer) this.#ctx.db.leases.hold(this.id, chainId);
      crashPoint(layer ? "lease.layer-held" : "lease.layer-absent");
      return layer;
    });
  }

  /** A fresh path in the ingest area, named after this process and lease; nothing is created. */
  tempPath(hint: string): string {
    this.#checkActive("making a temp path");
    const name = ingestEntryName(currentProcess(), `${this.id}.${this.#next++}`, hint);
    const path = join(this.#ctx.layout.ingest, name);
    this.#temps.add(path);
    return path;
  }

  /** Ends the lease; see {@link StoreLease.releaseSync}. */
  async release(): Promise<void> {
    this.releaseSync();
  }

  /**
   * Removes the temp paths that are still in the ingest area (committed ones were renamed away),
   * then deletes the lease rows, which unpins its layers. Idempotent. If the process dies first,
   * the next store open sees a dead owner and does the same.
   */
  releaseSync(): void {
    if (this.#released) return;
    this.#released = true;
    crashPoint("lease.releasing");
    for (const path of this.#temps) removeTree(path);
    this.#temps.clear();
    crashPoint("lease.temps-removed");
    this.#ctx.db.leases.delete(this.id);
    crashPoint("lease.released");
  }

  #checkActive(doing: string): void {
    if (this.#released) {
      throw imageError("FailedPrecondition", `${doing}: lease "${this.id}" was released`);
    }
  }
}
