// Worker-thread entry: runs layer jobs posted by `worker-pool.ts` with synchronous fs calls.
// Bundled to dist/layer-worker.mjs by scripts/build.mjs.
import { closeSync, openSync, readSync } from "node:fs";
import { parentPort } from "node:worker_threads";
import { ImageError, imageError } from "../errors.ts";
import { fsFailure } from "./fs-failure.ts";
import { type LayerJob, type NextChunk, runLayerJob } from "./layer-job.ts";
import type { FromWorker, ToWorker } from "./worker-protocol.ts";

const READ_SIZE = 1 << 20;
const port = parentPort;
if (port === null) throw new Error("layer worker must run in a worker thread");

/** Chunks of the current stream job, and a reader waiting for one. */
let queue: Array<Buffer | null> = [];
let waiting: { resolve(b: Buffer | null): void; reject(e: unknown): void } | undefined;
let cancelled = false;
/** The buffer of the chunk the job holds now; handed back when it asks for the next one. */
let lent: ArrayBuffer | undefined;

const post = (msg: FromWorker, transfer?: ArrayBuffer[]) => port.postMessage(msg, transfer);

port.on("message", (msg: ToWorker) => {
  switch (msg.type) {
    case "job":
      void run(msg.id, msg.job, new Int32Array(msg.abort));
      break;
    case "chunk":
    case "end": {
      const chunk = msg.type === "chunk" ? Buffer.from(msg.data, 0, msg.length) : null;
      if (waiting) {
        lent = chunk?.buffer as ArrayBuffer | undefined;
        waiting.resolve(chunk);
        waiting = undefined;
      } else queue.push(chunk);
      break;
    }
    case "abort":
      cancelled = true;
      waiting?.reject(imageError("Unavailable", "applying layer: aborted"));
      waiting = undefined;
  }
});

async function run(id: number, job: LayerJob, abort: Int32Array): Promise<void> {
  queue = [];
  waiting = undefined;
  cancelled = false;
  lent = undefined;
  const aborted = () => cancelled || Atomics.load(abort, 0) !== 0;
  const file = job.source.kind === "file" ? openRange(job.source) : undefined;
  try {
    const next = file ? file.next : streamChunks(id);
    const result = await runLayerJob(job, next, aborted);
    post({ type: "done", id, result });
  } catch (err) {
    const kind = err instanceof ImageError ? err.kind : "Internal";
    const message = err instanceof Error ? err.message : String(err);
    post({ type: "failed", id, kind, message });
  } finally {
    file?.close();
  }
}

/**
 * Hands out the chunks of a stream job. The job is done with a chunk once it asks for the next
 * (the `NextChunk` contract), so that is when its buffer goes back to the main thread: the
 * buffers circulate between the threads instead of being allocated there and freed here.
 */
function streamChunks(id: number): NextChunk {
  return () => {
    if (lent !== undefined) post({ type: "ack", id, data: lent }, [lent]);
    lent = undefined;
    if (queue.length > 0) {
      const chunk = queue.shift() as Buffer | null;
      lent = chunk?.buffer as ArrayBuffer | undefined;
      return chunk;
    }
    return new Promise((resolve, reject) => {
      waiting = { resolve, reject };
    });
  };
}

/** Reads `[start, end)` of a file in 1 MiB chunks into one reused buffer. */
function openRange(src: { path: string; start: number; end?: number }) {
  let fd = -1;
  const buf = Buffer.allocUnsafe(READ_SIZE);
  let pos = src.start;
  const next: NextChunk = () => {
    try {
      if (fd === -1) fd = openSync(src.path, "r");
      const want = src.end === undefined ? READ_SIZE : Math.min(READ_SIZE, src.end - pos);
      if (want <= 0) return null;
      const n = readSync(fd, buf, 0, want, pos);
      pos += n;
      if (n > 0) return buf.subarray(0, n);
      if (src.end === undefined) return null;
      throw imageError(
        "InvalidArgument",
        `layer source ${JSON.stringify(src.path)} ends at ${pos}, before ${src.end}`,
      );
    } catch (err) {
      throw fsFailure(err, `reading layer source ${JSON.stringify(src.path)}`);
    }
  };
  return { next, close: () => fd !== -1 && closeSync(fd) };
}
