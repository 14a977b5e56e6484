import { mkdir, open, rm } from "node:fs/promises";
import { ImageError, imageError } from "../errors.ts";
import { fsFailure } from "./fs-failure.ts";
import type { LayerJob } from "./layer-job.ts";
import { removeLayerDirectory } from "./remove-layer.ts";
import type { AppliedLayer, ApplyLayerOptions } from "./types.ts";
import { abortError, acquireWorker, type WorkerLease } from "./worker-pool.ts";
import type { FromWorker } from "./worker-protocol.ts";
import { noteShortLivedBytes } from "./young-garbage.ts";

/**
 * Stream bytes go to the worker in buffers of this size, `POOL` of them per layer: one being
 * filled, one being applied, the rest queued in the worker.
 */
const CHUNK = 512 * 1024;
const POOL = 6;

let lastId = 0;

/**
 * Applies one layer blob into `opts.target`, in one streaming pass on a pooled worker thread:
 * the blob bytes are hashed (and written to `blobPath`, fsync'd), decompressed by their magic
 * (gzip, zstd, or plain tar), hashed again (diffID) and extracted; then `expectedDigest` and
 * `expectedDiffId` are verified.
 *
 * Errors (`ImageError`): `AlreadyExists` when `target` or `blobPath` exists (they are left alone);
 * `InvalidArgument` for a malformed or hostile tar (escaping names, writing through symlinks,
 * foreign hardlinks, truncation) or a digest mismatch; `NotImplemented` for tar features layers
 * do not use (sparse files, non-UTF-8 names); `PermissionDenied` when a device node, overlay
 * whiteout or privileged xattr needs root; `Unavailable` when `signal` aborts. On every failure
 * `target` and `blobPath` are removed completely before the promise rejects.
 *
 * Safe to call concurrently: layers run in parallel, up to one per CPU (more for a job with
 * `workers` while streamed layers wait for their bytes), the rest queue. A
 * `stream` source is consumed here; if the job ends before the stream does, a Node stream is
 * destroyed and another iterable gets `return()`. A `file` source is opened and closed by the
 * worker.
 */
export async function applyLayer(opts: ApplyLayerOptions): Promise<AppliedLayer> {
  const { signal } = opts;
  if (signal?.aborted) throw abortError(signal);
  await createExclusive(opts);
  try {
    const lease = await acquireWorker(signal, opts.workers);
    try {
      return await runJob(lease, opts);
    } finally {
      lease.release();
    }
  } catch (err) {
    // The worker removed them already unless it died; this is cheap when they are gone.
    removeLayerDirectory(opts.target);
    if (opts.blobPath !== undefined) await rm(opts.blobPath, { force: true });
    throw err;
  }
}

async function createExclusive(opts: ApplyLayerOptions): Promise<void> {
  try {
    await mkdir(opts.target, { mode: 0o755 });
  } catch (err) {
    throw fsFailure(err, `creating layer directory ${JSON.stringify(opts.target)}`);
  }
  if (opts.blobPath === undefined) return;
  try {
    await (await open(opts.blobPath, "wx", 0o644)).close();
  } catch (err) {
    await rm(opts.target, { recursive: true, force: true });
    throw fsFailure(err, `creating blob file ${JSON.stringify(opts.blobPath)}`);
  }
}

function runJob(lease: WorkerLease, opts: ApplyLayerOptions): Promise<AppliedLayer> {
  const id = ++lastId;
  const abortFlag = new SharedArrayBuffer(4);
  const { source, signal } = opts;
  const job: LayerJob = {
    source: source.kind === "file" ? { ...source, start: source.start ?? 0 } : { kind: "stream" },
    target: opts.target,
    whiteoutFormat: opts.whiteoutFormat,
    blobPath: opts.blobPath,
    expectedDigest: opts.expectedDigest,
    expectedDiffId: opts.expectedDiffId,
  };
  return new Promise<AppliedLayer>((resolve, reject) => {
    let feeder: StreamFeeder | undefined;
    const stop = () => {
      Atomics.store(new Int32Array(abortFlag), 0, 1);
      lease.post({ type: "abort", id });
    };
    const settle = (err: unknown, result?: AppliedLayer) => {
      signal?.removeEventListener("abort", stop);
      feeder?.close();
      if (err === undefined) resolve(result as AppliedLayer);
      else if (signal?.aborted) reject(abortError(signal));
      else reject(feeder?.failure ?? err);
    };
    lease.onMessage = (msg: FromWorker) => {
      if (msg.id !== id) return;
      if (msg.type === "ack") feeder?.acked(msg.data);
      else if (msg.type === "done") settle(undefined, msg.result);
      else settle(new ImageError(msg.kind, msg.message));
    };
    lease.onExit = (err) => settle(err);
    lease.post({ type: "job", id, job, abort: abortFlag });
    signal?.addEventListener("abort", stop, { once: true });
    if (signal?.aborted) stop();
    if (source.kind === "stream") {
      feeder = new StreamFeeder(lease, id, source.stream, stop);
      void feeder.run();
    }
  });
}

/**
 * Copies a stream's chunks into 512 KiB buffers and transfers them to the worker, which hands
 * each back once consumed. The `POOL` buffers of a layer are allocated once and reused: fresh
 * buffers, allocated here and freed on the worker's thread, fragmented the main thread's malloc
 * heap (issue #3). A failing source stops the worker through `stop`.
 */
class StreamFeeder {
  failure: ImageError | undefined;
  #closed = false;
  #allocated = 0;
  #sent = 0;
  #acked = 0;
  #ended = false;
  readonly #free: Uint8Array[] = [];
  #wake: (() => void) | undefined;
  readonly #iterator: AsyncIterator<Uint8Array>;
  readonly #stream: AsyncIterable<Uint8Array>;
  readonly lease: WorkerLease;
  readonly id: number;
  readonly stop: () => void;

  constructor(lease: WorkerLease, id: number, stream: AsyncIterable<Uint8Array>, stop: () => void) {
    this.lease = lease;
    this.id = id;
    this.stop = stop;
    this.#stream = stream;
    this.#iterator = stream[Symbol.asyncIterator]();
  }

  async run(): Promise<void> {
    let buf: Uint8Array | undefined;
    let used = 0;
    // Until the first bytes come, the worker waits for the source too.
    this.lease.starved(true);
    try {
      for (;;) {
        const r = await this.#iterator.next();
        if (this.#closed) return;
        if (r.done) break;
        const chunk = r.value;
        // The source's chunks (a socket's reads) are dead once copied into our buffers.
        noteShortLivedBytes(chunk.length);
        for (let off = 0; off < chunk.length; ) {
          buf ??= await this.#take();
          if (buf === undefined) return;
          const n = Math.min(CHUNK - used, chunk.length - off);
          buf.set(chunk.subarray(off, off + n), used);
          used += n;
          off += n;
          if (used < CHUNK) continue;
          this.#send(buf, used);
          buf = undefined;
          used = 0;
        }
      }
      if (buf !== undefined && used > 0) this.#send(buf, used);
      this.#ended = true;
      this.lease.starved(false);
      this.lease.post({ type: "end", id: this.id });
    } catch (err) {
      if (this.#closed) return;
      const message = err instanceof Error ? err.message : String(err);
      this.failure =
        err instanceof ImageError
          ? err
          : imageError("Unavailable", `reading layer: ${message}`, err);
      this.stop();
    }
  }

  /** A free buffer, waiting for the worker to hand one back if all are out; undefined once closed. */
  async #take(): Promise<Uint8Array | undefined> {
    while (this.#free.length === 0 && this.#allocated === POOL && !this.#closed) {
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
    }
    if (this.#closed) return undefined;
    const free = this.#free.pop();
    if (free !== undefined) return free;
    this.#allocated += 1;
    return new Uint8Array(CHUNK);
  }

  #send(buf: Uint8Array, length: number): void {
    const data = buf.buffer as ArrayBuffer;
    this.lease.post({ type: "chunk", id: this.id, data, length }, [data]);
    this.#sent += 1;
    this.lease.starved(false);
  }

  /**
   * Takes back a buffer the worker has consumed. The worker hands a buffer back when it asks for
   * the next chunk, so once all are back it is waiting for the source (the pool may then lend a
   * waiting job another worker).
   */
  acked(data: ArrayBuffer): void {
    this.#acked += 1;
    if (this.#acked === this.#sent && !this.#ended) this.lease.starved(true);
    this.#free.push(new Uint8Array(data));
    this.#wake?.();
    this.#wake = undefined;
  }

  /**
   * Stops feeding and closes the source; called once the job has ended either way. A Node stream
   * is destroyed: its iterator's `return` would wait for a pending read that may never finish.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#wake?.();
    const destroy = (this.#stream as { destroy?: unknown }).destroy;
    if (typeof destroy === "function") destroy.call(this.#stream);
    else this.#iterator.return?.().catch(() => {});
  }
}
