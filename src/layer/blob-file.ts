import { closeSync, constants, fdatasync, fsyncSync, openSync, write, writeSync } from "node:fs";
import { fsFailure } from "./fs-failure.ts";

/**
 * Buffered mode: blob bytes written since the last background flush before another one starts.
 * Small enough that the disk starts early, large enough that the flushes stay a few per second.
 */
const WRITEBACK_BYTES = 16 << 20;

/** Direct mode: the size of one staged write, and how many may be in flight. */
const STAGE_BYTES = 1 << 20;
const STAGES = 4;
const WASM_PAGE = 64 << 10;

/** This thread's page-aligned staging buffers; lent to one blob at a time (see `takeStages`). */
let idleStages: Buffer[] | undefined;
let stagesMade = false;

/**
 * Page-aligned buffers for `O_DIRECT`, or undefined when another blob of this thread holds them
 * or they cannot be made. Node has no aligned allocation; a WebAssembly memory is mapped by
 * V8's page allocator, so its start is page-aligned (a misaligned buffer would only make the
 * first write fail with EINVAL, which falls back to buffered writes).
 */
function takeStages(): Buffer[] | undefined {
  if (!stagesMade) {
    stagesMade = true;
    try {
      const memory = new WebAssembly.Memory({ initial: (STAGE_BYTES * STAGES) / WASM_PAGE });
      idleStages = Array.from({ length: STAGES }, (_, i) =>
        Buffer.from(memory.buffer, i * STAGE_BYTES, STAGE_BYTES),
      );
    } catch {
      idleStages = undefined;
    }
  }
  const stages = idleStages;
  idleStages = undefined;
  return stages;
}

/** Opens `path` with `O_DIRECT`, or returns -1 where the file system refuses it (tmpfs). */
function openDirect(path: string): number {
  try {
    return openSync(path, constants.O_WRONLY | constants.O_DIRECT);
  } catch {
    return -1;
  }
}

/**
 * The blob copy of a layer being applied, written from a worker thread. Two ways (issue #2):
 *
 * - **direct** (the default where the file system allows it): the bytes are staged in
 *   page-aligned 1 MiB buffers and written with `O_DIRECT` on libuv's thread pool, up to four at
 *   once, while the worker goes on extracting. The blob skips the page cache: no copy into it, no
 *   writeback later, and the closing `fsync` has only the last partial MiB and the metadata left
 *   to write. That partial tail goes through an ordinary descriptor.
 * - **buffered**: ordinary writes, and every {@link WRITEBACK_BYTES} an `fdatasync` on the thread
 *   pool, so the disk writes the blob during the extraction instead of all of it in the final
 *   `fsync`.
 *
 * Either way `finish` fsyncs before it resolves (the rename into the store needs a durable file;
 * see content/README.md). A failed write surfaces from a later `write` or from `finish`. Not for
 * concurrent use; `finish` or `abandon` closes it.
 */
export class BlobFile {
  readonly path: string;
  readonly #writebackBytes: number;
  #fd: number;
  #directFd = -1;
  /** Set once a direct write was refused (EINVAL): the rest goes through `#fd`. */
  #refused = false;
  #stages: Buffer[] | undefined;
  #free: Buffer[] = [];
  #stage: Buffer | undefined;
  #staged = 0;
  /** File offset of the stage being filled. */
  #offset = 0;
  #inFlight = new Set<Promise<void>>();
  #unflushed = 0;
  #flushing: Promise<void> | undefined;
  #failure: unknown;

  /**
   * Opens `path` (made empty by the caller) for writing. `direct: false` forces buffered
   * writes; tests may also flush more often.
   */
  constructor(path: string, opts: { writebackBytes?: number; direct?: boolean } = {}) {
    this.path = path;
    this.#writebackBytes = opts.writebackBytes ?? WRITEBACK_BYTES;
    this.#fd = openSync(path, "w");
    if (opts.direct === false) return;
    const stages = takeStages();
    if (stages === undefined) return;
    this.#directFd = openDirect(path);
    if (this.#directFd === -1) {
      idleStages = stages;
      return;
    }
    this.#stages = stages;
    this.#free = [...stages];
  }

  /** True while bytes go out with `O_DIRECT`. */
  get direct(): boolean {
    return this.#directFd !== -1;
  }

  /**
   * Appends `chunk` (copied before the returned promise settles, so the caller may reuse it).
   * Returns a promise only when it must wait: for a free stage, or for a background flush.
   */
  write(chunk: Uint8Array): Promise<void> | undefined {
    if (this.#failure !== undefined) throw this.#failed("writing");
    if (this.#directFd === -1) return this.#writeBuffered(chunk);
    const done = this.#stageBytes(chunk, 0);
    return done === chunk.length ? undefined : this.#stageRest(chunk, done);
  }

  /** Copies from `chunk[from]` into free stages; returns where it stopped (no stage free). */
  #stageBytes(chunk: Uint8Array, from: number): number {
    let off = from;
    while (off < chunk.length) {
      this.#stage ??= this.#free.pop();
      const stage = this.#stage;
      if (stage === undefined) break;
      const n = Math.min(STAGE_BYTES - this.#staged, chunk.length - off);
      stage.set(chunk.subarray(off, off + n), this.#staged);
      this.#staged += n;
      off += n;
      if (this.#staged === STAGE_BYTES) this.#submit();
    }
    return off;
  }

  async #stageRest(chunk: Uint8Array, from: number): Promise<void> {
    let off = from;
    while (off < chunk.length) {
      if (this.#inFlight.size === 0) throw new Error("blob file: no stage free and none in flight");
      await Promise.race(this.#inFlight);
      if (this.#failure !== undefined) throw this.#failed("writing");
      off = this.#stageBytes(chunk, off);
    }
  }

  /** Writes the full stage at its offset on the thread pool; the stage is free again after. */
  #submit(): void {
    const stage = this.#stage as Buffer;
    const offset = this.#offset;
    this.#stage = undefined;
    this.#staged = 0;
    this.#offset += STAGE_BYTES;
    if (this.#refused) {
      this.#writeStage(stage, offset);
      this.#free.push(stage);
      return;
    }
    const job = new Promise<void>((resolve) => {
      write(this.#directFd, stage, 0, STAGE_BYTES, offset, (err) => {
        if (err) this.#directFailed(err, stage, offset);
        this.#inFlight.delete(job);
        this.#free.push(stage);
        resolve();
      });
    });
    this.#inFlight.add(job);
  }

  /** EINVAL means this file system (or buffer) cannot do `O_DIRECT`: write it buffered. */
  #directFailed(err: NodeJS.ErrnoException, stage: Buffer, offset: number): void {
    if (err.code !== "EINVAL") {
      this.#failure ??= err;
      return;
    }
    this.#refused = true;
    this.#writeStage(stage, offset);
  }

  #writeStage(stage: Buffer, offset: number): void {
    try {
      writeAll(this.#fd, stage, STAGE_BYTES, offset);
    } catch (err) {
      this.#failure ??= err;
    }
  }

  #writeBuffered(chunk: Uint8Array): Promise<void> | undefined {
    try {
      writeAll(this.#fd, chunk, chunk.length, null);
    } catch (err) {
      throw fsFailure(err, `writing blob ${JSON.stringify(this.path)}`);
    }
    this.#unflushed += chunk.length;
    if (this.#unflushed < this.#writebackBytes) return undefined;
    // The worker's loop runs synchronously between chunks: only a turn of the event loop
    // lets the completion of the previous flush (run on the thread pool) be seen.
    if (this.#flushing) return new Promise((resolve) => setImmediate(resolve));
    this.#unflushed = 0;
    this.#flushing = new Promise<void>((resolve) => {
      fdatasync(this.#fd, (err) => {
        if (err) this.#failure ??= err;
        this.#flushing = undefined;
        resolve();
      });
    });
    return undefined;
  }

  /**
   * Waits for the writes in flight, writes the staged tail, fsyncs the file and closes it;
   * throws what failed.
   */
  async finish(): Promise<void> {
    await this.#settle();
    try {
      if (this.#failure !== undefined) throw this.#failure;
      if (this.#directFd !== -1) {
        // The partial last stage cannot go out with O_DIRECT (its length is not aligned).
        if (this.#staged > 0) writeAll(this.#fd, this.#stage as Buffer, this.#staged, this.#offset);
      }
      fsyncSync(this.#fd);
    } catch (err) {
      throw fsFailure(err, `flushing blob ${JSON.stringify(this.path)}`);
    } finally {
      this.#close();
    }
  }

  /** Closes the file on a failure path, once no write or flush uses its descriptors any more. */
  async abandon(): Promise<void> {
    await this.#settle();
    try {
      this.#close();
    } catch {
      // The failure being reported matters more than a failed close.
    }
  }

  async #settle(): Promise<void> {
    await this.#flushing;
    await Promise.all(this.#inFlight);
  }

  #failed(doing: string) {
    return fsFailure(this.#failure, `${doing} blob ${JSON.stringify(this.path)}`);
  }

  #close(): void {
    if (this.#stages !== undefined) idleStages = this.#stages;
    this.#stages = undefined;
    const fds = [this.#fd, this.#directFd].filter((fd) => fd !== -1);
    this.#fd = -1;
    this.#directFd = -1;
    for (const fd of fds) closeSync(fd);
  }
}

/** Writes `length` bytes of `buf` at `position` (null: the current offset), looping on short writes. */
function writeAll(fd: number, buf: Uint8Array, length: number, position: number | null): void {
  let off = 0;
  while (off < length) {
    const n = writeSync(fd, buf, off, length - off, position === null ? null : position + off);
    off += n;
  }
}
