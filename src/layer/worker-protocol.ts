import type { ErrorKind } from "../errors.ts";
import type { LayerJob } from "./layer-job.ts";
import type { AppliedLayer } from "./types.ts";

/** Messages from the main thread to a layer worker. */
export type ToWorker =
  /** Start a job; `abort` holds one Int32 the main thread sets to 1 to cancel. */
  | { type: "job"; id: number; job: LayerJob; abort: SharedArrayBuffer }
  /** Blob bytes of a stream job: the first `length` bytes of `data` (transferred, not copied). */
  | { type: "chunk"; id: number; data: ArrayBuffer; length: number }
  | { type: "end"; id: number }
  /** Wakes a job waiting for stream bytes so it can fail and clean up. */
  | { type: "abort"; id: number };

/**
 * Messages from a layer worker: one `ack` per stream chunk consumed, handing its buffer back
 * (transferred) for the main thread to refill, then `done` or `failed`.
 */
export type FromWorker =
  | { type: "ack"; id: number; data: ArrayBuffer }
  | { type: "done"; id: number; result: AppliedLayer }
  | { type: "failed"; id: number; kind: ErrorKind; message: string };
