import { closeSync, fdatasync, fsyncSync, openSync, writeSync } from "node:fs";
import { fsFailure } from "./fs-failure.ts";

/**
 * Blob bytes written since the last background flush before another one starts. Small enough
 * that the disk starts early, large enough that the flushes stay a few per second.
 */
const WRITEBACK_BYTES = 16 << 20;

/**
 * The blob copy of a layer being applied, written with synchronous calls from a worker thread.
 * Every {@link WRITEBACK_BYTES} an `fdatasync` runs on libuv's thread pool while the worker goes
 * on extracting, so the disk writes the blob during the extraction instead of all of it in the
 * final `fsync` (which the rename into the store still needs; see content/README.md). Not for
 * concurrent use; `finish` or `abandon` closes it.
 */
export class BlobFile {
  readonly path: string;
  readonly #writebackBytes: number;
  #fd: number;
  #unflushed = 0;
  #flushing: Promise<void> | undefined;
  #failure: unknown;

  /** Opens `path` (made empty by the caller) for writing; tests may flush more often. */
  constructor(path: string, writebackBytes = WRITEBACK_BYTES) {
    this.path = path;
    this.#writebackBytes = writebackBytes;
    this.#fd = openSync(path, "w");
  }

  /**
   * Appends `chunk`. Resolves at once unless a background flush is still running after another
   * {@link WRITEBACK_BYTES}: then it yields to the event loop so the flush can be collected.
   */
  write(chunk: Uint8Array): Promise<void> | undefined {
    try {
      let off = 0;
      while (off < chunk.length) off += writeSync(this.#fd, chunk, off, chunk.length - off);
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

  /** Waits for the background flush, fsyncs the file and closes it; throws what failed. */
  async finish(): Promise<void> {
    await this.#flushing;
    try {
      if (this.#failure !== undefined) throw this.#failure;
      fsyncSync(this.#fd);
    } catch (err) {
      throw fsFailure(err, `flushing blob ${JSON.stringify(this.path)}`);
    } finally {
      this.#close();
    }
  }

  /** Closes the file on a failure path, once no flush uses its descriptor any more. */
  async abandon(): Promise<void> {
    await this.#flushing;
    try {
      this.#close();
    } catch {
      // The failure being reported matters more than a failed close.
    }
  }

  #close(): void {
    const fd = this.#fd;
    if (fd === -1) return;
    this.#fd = -1;
    closeSync(fd);
  }
}
