import { imageError } from "../errors.ts";
import { markTransient } from "./retry.ts";
import type { TransferOptions } from "./transfer-options.ts";

/** A response body: something we can iterate and destroy. */
export interface DestroyableBody extends AsyncIterable<Uint8Array> {
  destroy(err?: Error): unknown;
}

/**
 * Yields `body`'s chunks, destroying it with a transient `Unavailable` error when, over a window
 * of `lowSpeedSeconds` spent *waiting for the network*, fewer than `lowSpeedBytesPerSecond *
 * lowSpeedSeconds` bytes arrived (curl's low-speed limit, which iSulad sets). Time the consumer
 * spends with a chunk does not count, so a slow disk downstream never looks like a slow server.
 */
export async function* watchSpeed(
  body: DestroyableBody,
  t: TransferOptions,
  what: string,
): AsyncGenerator<Uint8Array> {
  const windowMs = t.lowSpeedSeconds * 1000;
  const minBytes = t.lowSpeedBytesPerSecond * t.lowSpeedSeconds;
  const stall = () =>
    markTransient(
      imageError(
        "Unavailable",
        `${what}: fewer than ${t.lowSpeedBytesPerSecond} bytes/s for ${t.lowSpeedSeconds} s`,
      ),
    );
  const it = body[Symbol.asyncIterator]();
  let waited = 0;
  let bytes = 0;
  try {
    for (;;) {
      const started = Date.now();
      const timer = setTimeout(
        () => {
          if (bytes < minBytes) body.destroy(stall());
        },
        Math.max(0, windowMs - waited),
      );
      let r: IteratorResult<Uint8Array>;
      try {
        r = await it.next();
      } finally {
        clearTimeout(timer);
      }
      waited += Date.now() - started;
      if (r.done) return;
      bytes += r.value.length;
      if (waited >= windowMs) {
        if (bytes < minBytes) throw stall();
        waited = 0;
        bytes = 0;
      }
      yield r.value;
    }
  } finally {
    await it.return?.();
  }
}
