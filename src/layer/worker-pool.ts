import { existsSync } from "node:fs";
import { availableParallelism, cpus } from "node:os";
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
  /**
   * Called by a borrower that streams bytes in: `true` when the worker has consumed all it was
   * sent and waits for more (the source is slower than the worker), `false` once bytes go again.
   */
  starved(waiting: boolean): void;
}

interface Slot {
  worker: Worker;
  lease: WorkerLease | undefined;
  /** Since when the borrower's worker has been waiting for bytes, if it is. */
  starvedSince?: number;
  /** Milliseconds spent waiting for bytes during this lease, up to `starvedSince`. */
  starvedMs: number;
  /** `starvedTotal` at the previous look of {@link growForStarved}. */
  starvedSeen: number;
  /** Terminated by the pool (an extra worker no longer needed): its exit is no failure. */
  retired?: boolean;
}

interface Waiter {
  atMost: number;
  take(slot: Slot): void;
}

const slots: Slot[] = [];
const waiters: Waiter[] = [];
const size = Math.max(1, availableParallelism());

/**
 * How often, while jobs wait for a worker, the pool looks whether busy workers wait for bytes.
 * A worker that waited at least half of the last look's interval counts as starved.
 */
const STARVED_CHECK_MS = 100;
let starvedCheck: NodeJS.Timeout | undefined;
/** The machine's idle and total CPU time at the previous look. */
let cpuSeen = cpuTimes();

/** Idle and total milliseconds of all CPUs since boot. */
function cpuTimes(): { idle: number; total: number } {
  let idle = 0;
  let total = 0;
  for (const { times } of cpus()) {
    idle += times.idle;
    total += times.user + times.nice + times.sys + times.idle + times.irq;
  }
  return { idle, total };
}

/** CPUs the machine left idle since the previous look (another process may use them too). */
function idleCpus(): number {
  const now = cpuTimes();
  const idle = now.idle - cpuSeen.idle;
  const total = now.total - cpuSeen.total;
  cpuSeen = now;
  return total > 0 ? (idle / total) * cpus().length : 0;
}

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
 * Borrows a layer worker: an idle one or a new one while fewer than `availableParallelism()`
 * are busy, else the first to come free. Workers start lazily, are reused, and are unref'd while
 * idle so they never keep the process alive. Rejects with the abort error when `signal` fires
 * while waiting.
 *
 * `atMost` (when larger than the CPU count) lets a waiting job have an extra worker while a
 * busy one is starved (see `WorkerLease.starved`): a streamed layer holds its worker while its
 * bytes arrive, so on a slow network the layers would otherwise download one CPU's worth at a
 * time. Busy workers that are not starved never outnumber the CPUs: on a fast source extra
 * workers only fight over them (issue #3: 3 workers on 2 CPUs pulled 15% slower, with 25 MB
 * more memory, than 2). An extra worker ends when it comes free.
 */
export function acquireWorker(signal?: AbortSignal, atMost = size): Promise<WorkerLease> {
  if (busyCount() < size) {
    const idle = slots.find((s) => s.lease === undefined);
    return Promise.resolve(lend(idle ?? startSlot()));
  }
  return new Promise((resolve, reject) => {
    const waiter: Waiter = {
      atMost,
      take: (slot) => {
        signal?.removeEventListener("abort", onAbort);
        resolve(lend(slot));
      },
    };
    const onAbort = () => {
      waiters.splice(waiters.indexOf(waiter), 1);
      reject(abortError(signal as AbortSignal));
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    waiters.push(waiter);
    watchStarved();
  });
}

function busyCount(): number {
  return slots.filter((s) => s.lease !== undefined).length;
}

function starvedTotal(slot: Slot, now: number): number {
  return slot.starvedMs + (slot.starvedSince === undefined ? 0 : now - slot.starvedSince);
}

/** Starts the periodic look of {@link growForStarved} while jobs wait. */
function watchStarved(): void {
  if (starvedCheck !== undefined) return;
  const now = performance.now();
  for (const slot of slots) slot.starvedSeen = starvedTotal(slot, now);
  cpuSeen = cpuTimes();
  starvedCheck = setInterval(growForStarved, STARVED_CHECK_MS);
  starvedCheck.unref();
}

/**
 * Gives waiting jobs a worker for each busy worker that waited for bytes at least half of the
 * last interval, beyond the CPU count but within their `atMost`, as far as the machine has idle
 * CPUs: a worker also starves when the source is short of CPU (a registry on this machine),
 * and another worker would only take more from it.
 */
function growForStarved(): void {
  if (waiters.length === 0) {
    clearInterval(starvedCheck);
    starvedCheck = undefined;
    for (const idle of slots.filter((s) => s.lease === undefined).slice(size)) retire(idle);
    return;
  }
  const now = performance.now();
  let starved = 0;
  for (const slot of slots) {
    const total = starvedTotal(slot, now);
    if (slot.lease !== undefined && total - slot.starvedSeen >= STARVED_CHECK_MS / 2) starved++;
    slot.starvedSeen = total;
  }
  starved = Math.min(starved, Math.round(idleCpus()));
  for (let i = 0; i < waiters.length; ) {
    const busy = busyCount();
    const waiter = waiters[i] as Waiter;
    if (busy >= size + starved || busy >= waiter.atMost) {
      i++;
      continue;
    }
    waiters.splice(i, 1);
    waiter.take(slots.find((s) => s.lease === undefined) ?? startSlot());
  }
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
  const slot: Slot = { worker, lease: undefined, starvedMs: 0, starvedSeen: 0 };
  worker.on("message", (msg: FromWorker) => slot.lease?.onMessage(msg));
  let failure: Error | undefined;
  worker.on("error", (err) => {
    failure = err;
  });
  worker.on("exit", (code) => {
    const at = slots.indexOf(slot);
    if (at !== -1) slots.splice(at, 1);
    const err = failure ?? new Error(`exited with code ${code}`);
    slot.lease?.onExit(imageError("Internal", `layer worker stopped: ${err.message}`, err));
    if (slot.retired) return;
    // A waiter would otherwise wait for a slot that will not come back.
    const waiter = waiters.shift();
    if (waiter) waiter.take(startSlot());
  });
  worker.unref();
  slots.push(slot);
  return slot;
}

function lend(slot: Slot): WorkerLease {
  slot.worker.ref();
  slot.starvedSince = undefined;
  slot.starvedMs = 0;
  slot.starvedSeen = 0;
  let released = false;
  const lease: WorkerLease = {
    post: (msg, transfer) => slot.worker.postMessage(msg, transfer),
    onMessage: () => {},
    onExit: () => {},
    starved(waiting) {
      if (released || waiting === (slot.starvedSince !== undefined)) return;
      const now = performance.now();
      if (waiting) slot.starvedSince = now;
      else {
        slot.starvedMs += now - (slot.starvedSince as number);
        slot.starvedSince = undefined;
      }
    },
    release() {
      if (released) return;
      released = true;
      slot.lease = undefined;
      slot.starvedSince = undefined;
      if (!slots.includes(slot)) return;
      const waiter = busyCount() < size ? waiters.shift() : undefined;
      if (waiter) waiter.take(slot);
      else if (slots.length > size && waiters.length === 0) retire(slot);
      else slot.worker.unref();
    },
  };
  slot.lease = lease;
  return lease;
}

/** Ends an extra worker that came free: the CPU count is what a pool keeps. */
function retire(slot: Slot): void {
  slot.retired = true;
  slots.splice(slots.indexOf(slot), 1);
  slot.worker.unref();
  void slot.worker.terminate();
}
