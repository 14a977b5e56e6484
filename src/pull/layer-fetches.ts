import { imageError } from "../errors.ts";
import type { Lease, NewLayer } from "../image/types.ts";
import { crashPoint } from "../testing/crash-point.ts";

/**
 * A layer fetched and unpacked into temp paths of its fetch's own lease; without temp paths when
 * another process stored it meanwhile (the fetch's lease then holds it).
 */
export interface FetchedLayer {
  record: NewLayer["record"];
  tempDir?: string;
  tempBlob?: string;
}

/** One pull's share of an in-flight fetch. */
export interface FetchShare {
  /** Settles with the fetched layer, or rejects with the fetch's error or this share's abort. */
  readonly result: Promise<FetchedLayer>;
  /** True when another pull of this process had started the fetch. */
  readonly joined: boolean;
  /**
   * Gives the share back. The last share to go aborts a fetch still running, waits for it to
   * settle, and releases the fetch's lease (its temp paths that no commit moved away).
   */
  release(): Promise<void>;
}

interface Entry {
  lease: Lease;
  controller: AbortController;
  result: Promise<FetchedLayer>;
  settled: boolean;
  refs: number;
  listeners: Set<(received: number) => void>;
}

/** In-flight fetches of this process, by store root and chain ID (DESIGN §3). */
const inFlight = new Map<string, Entry>();

/**
 * Joins the fetch of layer `chainId` into `store` that another pull of this process is running,
 * or starts one with `start`. The fetch runs under its own lease (from `newLease`) and its own
 * abort signal, so one pull giving up (cancelled, or failed on another layer) never breaks the
 * fetch for the others; it is aborted only when every share is released. `onBytes` hears the
 * fetch's progress. A failed fetch leaves the map at once, so a later pull starts afresh.
 *
 * Safe to call from concurrent pulls of one process; other processes are met one level down, by
 * the blob claims of `claimed-fetch.ts`.
 */
export function shareFetch(opts: {
  storeRoot: string;
  chainId: string;
  newLease: () => Lease;
  start: (ctx: {
    lease: Lease;
    signal: AbortSignal;
    onBytes: (n: number) => void;
  }) => Promise<FetchedLayer>;
  onBytes?: (received: number) => void;
  signal?: AbortSignal;
}): FetchShare {
  const key = `${opts.storeRoot}\0${opts.chainId}`;
  let entry = inFlight.get(key);
  const joined = entry !== undefined;
  if (entry === undefined) entry = startEntry(key, opts);
  const own = entry;
  own.refs++;
  if (opts.onBytes) own.listeners.add(opts.onBytes);

  let released = false;
  return {
    joined,
    result: raceAbort(own.result, opts.signal),
    async release() {
      if (released) return;
      released = true;
      if (opts.onBytes) own.listeners.delete(opts.onBytes);
      if (--own.refs > 0) return;
      if (inFlight.get(key) === own) inFlight.delete(key);
      if (!own.settled) own.controller.abort(imageError("Unavailable", "pull cancelled"));
      await own.result.catch(() => undefined);
      crashPoint("pull.fetch-settled");
      await own.lease.release();
    },
  };
}

function startEntry(key: string, opts: Parameters<typeof shareFetch>[0]): Entry {
  const controller = new AbortController();
  const listeners = new Set<(n: number) => void>();
  const lease = opts.newLease();
  const entry: Entry = {
    lease,
    controller,
    settled: false,
    refs: 0,
    listeners,
    result: Promise.resolve().then(() =>
      opts.start({
        lease,
        signal: controller.signal,
        onBytes: (n) => {
          for (const l of listeners) l(n);
        },
      }),
    ),
  };
  inFlight.set(key, entry);
  entry.result.then(
    () => {
      entry.settled = true;
    },
    () => {
      entry.settled = true;
      if (inFlight.get(key) === entry) inFlight.delete(key);
    },
  );
  return entry;
}

/** `work`, or a rejection as soon as `signal` aborts (the work itself carries on). */
function raceAbort<T>(work: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return work;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () =>
      reject(imageError("Unavailable", "the pull was cancelled", signal.reason));
    if (signal.aborted) return onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(
      (v) => {
        signal.removeEventListener("abort", onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener("abort", onAbort);
        reject(e);
      },
    );
  });
}

/** Number of fetches in flight in this process (tests). */
export function fetchesInFlight(): number {
  return inFlight.size;
}
