import { setTimeout as sleep } from "node:timers/promises";
import type { TransferOptions } from "./transfer-options.ts";

const transient = new WeakSet<object>();

/** Marks an error as worth retrying (reset, 5xx, truncated or stalled body); returns it. */
export function markTransient<E extends Error>(err: E): E {
  transient.add(err);
  return err;
}

/** True when `err` was marked by `markTransient`. */
export function isTransient(err: unknown): boolean {
  return typeof err === "object" && err !== null && transient.has(err);
}

/** Back-off before attempt `attempt` (1 = the first retry): doubling, capped. */
export function retryDelay(attempt: number, t: TransferOptions): number {
  return Math.min(t.retryDelayMs * 2 ** (attempt - 1), t.maxRetryDelayMs);
}

/** What `withRetry` reports before each retry. */
export type RetryNotice = (attempt: number, err: unknown) => void;

/**
 * Runs `fn` up to `t.attempts` times while it throws transient errors, sleeping with back-off in
 * between; other errors and the last transient one are rethrown. The signal aborts the wait.
 */
export async function withRetry<T>(
  fn: (attempt: number) => Promise<T>,
  t: TransferOptions,
  opts: { signal?: AbortSignal; onRetry?: RetryNotice } = {},
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (!isTransient(err) || attempt >= t.attempts) throw err;
      opts.onRetry?.(attempt, err);
      await sleep(retryDelay(attempt, t), undefined, { signal: opts.signal });
    }
  }
}
