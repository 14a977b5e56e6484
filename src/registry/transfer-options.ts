/** Transfer tuning of the registry client; every field has an iSulad-like default. */
export interface TransferOptions {
  /** Attempts per request on resets, 5xx, truncated or stalled bodies (iSulad: 5). */
  attempts: number;
  /** First back-off delay; doubled per attempt up to `maxRetryDelayMs`. */
  retryDelayMs: number;
  maxRetryDelayMs: number;
  /** Abort a body that delivers fewer than this many bytes per second... */
  lowSpeedBytesPerSecond: number;
  /** ...over this many seconds (iSulad: 1024 B/s over 30 s). */
  lowSpeedSeconds: number;
  /** TCP + TLS connect timeout (iSulad: 30 s). */
  connectTimeoutMs: number;
  /** Time to wait for response headers. */
  headersTimeoutMs: number;
}

export const DEFAULT_TRANSFER: TransferOptions = {
  attempts: 5,
  retryDelayMs: 500,
  maxRetryDelayMs: 8000,
  lowSpeedBytesPerSecond: 1024,
  lowSpeedSeconds: 30,
  connectTimeoutMs: 30_000,
  headersTimeoutMs: 60_000,
};

/** Bounds of untrusted bodies read into memory. */
export const LIMITS = {
  manifest: 4 * 1024 * 1024,
  token: 1024 * 1024,
  config: 8 * 1024 * 1024,
  errorBody: 64 * 1024,
} as const;
