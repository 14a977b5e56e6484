import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { imageError } from "../errors.ts";
import type { FromWorker, ToWorker } from "./worker-protocol.ts";

/** One worker, lent to one layer job at a time. */
export interface WorkerLease {
  post(msg: ToWorker, transfer?: ArrayBuffer[]): void;
  /** Set by the borrower; called for each message of the worker while the lease lasts. */
  onMessage: (msg: FromWorker) => void;
  /** Set by the borrower; called if the worker dies during the lease. */
  onExit: (err: Error) => void;
  /** Gives the worker back; call exactly once, after `done` or `failed`, or after `onExit`. */
  release(): void;
}

interface Slot {
  worker: Worker;
  lease: WorkerLease | undefined;
}

const slots: Slot[] = [];
const waiters: Array<(slot: Slot) => void> = [];
const size = Math.max(1, availableParallelism());

/**
 * The worker script: `layer-worker.mjs` of the bundle when running from dist (beside this module,
 * or one level up when the bundler put this module in a chunk folder); from source,
 * `worker.ts` beside this file. tsx registers its loader in the main thread only on Node 20 (the
 * inherited `--import tsx` does nothing in a worker), so a small module registers it first.
 */
function workerUrl(): URL {
  const self = import.meta.url;
  if (!self.endsWith(".ts")) {
    const beside = new URL("./layer-worker.mjs", self);
    return existsSync(beside) ? beside : new URL("../layer-worker.mjs", self);
  }
  const api = JSON.stringify(import.meta.resolve("tsx/esm/api"));
  const entry = JSON.stringify(new URL("./worker.ts", self).href);
  const boot = `import { register } from ${api}; register(); await import(${entry});`;
  return new URL(`data:text/javascript,${encodeURIComponent(boot)}`);
}

/**
 * Borrows a layer worker: an idle one, a new one while fewer than `availableParallelism()` (or
 * `atMost`, when larger) run, or the first to come free. Workers start lazily, are reused, and are unref'd while idle so they
 * never keep the process alive. Rejects with the abort error when `signal` fires while waiting.
 */
export function acquireWorker(signal?: AbortSignal, atMost = size): Promise<WorkerLease> {
  const idle = slots.find((s) => s.lease === undefined);
  if (idle) return Promise.resolve(lend(idle));
  if (slots.length < Math.max(size, atMost)) return Promise.resolve(lend(startSlot()));
  return new Promise((resolve, reject) => {
    const take = (slot: Slot) => {
      signal?.removeEventListener("abort", onAbort);
      resolve(lend(slot));
    };
    const onAbort = () => {
      waiters.splice(waiters.indexOf(take), 1);
      reject(abortError(signal as AbortSignal));
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    waiters.push(take);
  });
}

/**
 * Starts idle workers now, up to `count` (and the pool's size), so that their start-up overlaps
 * the caller's own preparation (opening an archive, probing the store) instead of delaying the
 * first layer. They are unref'd like any idle worker, so they never keep the process alive.
 */
export function prestartWorkers(count: number): void {
  const want = Math.min(count, size);
  while (slots.length < want) startSlot();
}

/** The error a layer job rejects with when its signal fires. */
export function abortError(signal: AbortSignal) {
  return imageError("Unavailable", "applying layer: aborted", signal.reason);
}

/**
 * A small young generation makes a worker collect short-lived buffers (gunzip allocates a fresh
 * 256 KiB one per output chunk) soon after they die, instead of letting tens of MB of them pile
 * up outside the V8 heap between collections (issue #3).
 */
const WORKER_LIMITS = { maxYoungGenerationSizeMb: 3 };

function startSlot(): Slot {
  const worker = new Worker(workerUrl(), { resourceLimits: WORKER_LIMITS });
  const slot: Slot = { worker, lease: undefined };
  worker.on("message", (msg: FromWorker) => slot.lease?.onMessage(msg));
  let failure: Error | undefined;
  worker.on("error", (err) => {
    failure = err;
  });
  worker.on("exit", (code) => {
    slots.splice(slots.indexOf(slot), 1);
    const err = failure ?? new Error(`exited with code ${code}`);
    slot.lease?.onExit(imageError("Internal", `layer worker stopped: ${err.message}`, err));
    // A waiter would otherwise wait for a slot that will not come back.
    const waiter = waiters.shift();
    if (waiter) waiter(startSlot());
  });
  worker.unref();
  slots.push(slot);
  return slot;
}

function lend(slot: Slot): WorkerLease {
  slot.worker.ref();
  let released = false;
  const lease: WorkerLease = {
    post: (msg, transfer) => slot.worker.postMessage(msg, transfer),
    onMessage: () => {},
    onExit: () => {},
    release() {
      if (released) return;
      released = true;
      slot.lease = undefined;
      if (!slots.includes(slot)) return;
      const waiter = waiters.shift();
      if (waiter) waiter(slot);
      else slot.worker.unref();
    },
  };
  slot.lease = lease;
  return lease;
}
