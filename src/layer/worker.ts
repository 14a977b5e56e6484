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

const post = (msg: FromWorker) => port.postMessage(msg);

port.on("message", (msg: ToWorker) => {
  switch (msg.type) {
    case "job":
      void run(msg.id, msg.job, new Int32Array(msg.abort));
      break;
    case "chunk":
    case "end": {
      const chunk = msg.type === "chunk" ? Buffer.from(msg.data) : null;
      if (waiting) {
        if (chunk) post({ type: "ack", id: msg.id });
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

function streamChunks(id: number): NextChunk {
  return () => {
    if (queue.length > 0) {
      const chunk = queue.shift() as Buffer | null;
      if (chunk) post({ type: "ack", id });
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
