import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

/**
 * Bytes of short-lived buffers a thread may leave behind before it collects them. V8 frees a
 * dead `ArrayBuffer`'s memory only when a collection finds it, and it starts a young collection
 * for that reason only once the young generation's buffers pass about 32 MB, whatever
 * `maxYoungGenerationSizeMb` says. A stream of 256 KiB gunzip outputs or 64 KiB socket reads
 * allocates so little on the JS heap that no collection comes sooner: each thread then holds up
 * to ~32 MB of dead buffers, the main thread and every busy layer worker alike (issue #3).
 */
export const YOUNG_GARBAGE_BYTES = 8 << 20;

type Collect = (opts: { type: "minor" }) => void;

let since = 0;
let collect: Collect | undefined;
let loaded = false;

/**
 * Notes that this thread just allocated `bytes` of buffers it drops soon (decompressed output,
 * a socket's chunks) and, every {@link YOUNG_GARBAGE_BYTES} of them, runs a young-generation
 * collection (a few hundred microseconds on a small young generation) so their memory goes back
 * before more piles up. Counting is per thread. Never throws: where the collector cannot be
 * reached, nothing happens.
 */
export function noteShortLivedBytes(bytes: number): void {
  since += bytes;
  if (since < YOUNG_GARBAGE_BYTES) return;
  since = 0;
  if (!loaded) {
    loaded = true;
    collect = loadCollector();
  }
  collect?.({ type: "minor" });
}

/**
 * V8's `gc` function, without starting node with `--expose-gc`: the flag, set now, gives the
 * function to contexts made afterwards, and a fresh context hands it over. This thread's global
 * scope does not get `gc`; a worker started later finds one on its own (nothing calls it).
 */
function loadCollector(): Collect | undefined {
  try {
    setFlagsFromString("--expose-gc");
    const gc: unknown = runInNewContext("typeof gc === 'function' ? gc : undefined");
    return typeof gc === "function" ? (gc as Collect) : undefined;
  } catch {
    return undefined;
  }
}
