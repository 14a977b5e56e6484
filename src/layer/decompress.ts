import { createRequire } from "node:module";
import { createGunzip } from "node:zlib";
import { Decompress as PureZstd } from "fzstd";
import { imageError } from "../errors.ts";
import type { Compression } from "../oci/media-types.ts";

/**
 * Receives decompressed bytes; the buffer is only valid during the call. A sink that returns a
 * promise asks for backpressure (any other result is ignored): the decoder produces nothing more until it settles (a
 * rejection fails the decoder), so one input chunk's output is never all buffered at once.
 */
export type Sink = (chunk: Buffer) => unknown;

/**
 * A push decompressor. `write` may return a promise (gzip runs on the libuv pool); the caller
 * awaits it before reusing the chunk's memory. `end` throws when the stream is truncated.
 */
export interface Decoder {
  write(chunk: Buffer): void | Promise<void>;
  end(): void | Promise<void>;
  destroy(): void;
}

/** Detects compression from the first bytes: gzip `1f 8b`, zstd `28 b5 2f fd`, else none. */
export function sniffCompression(head: Uint8Array): Compression {
  if (head[0] === 0x1f && head[1] === 0x8b) return "gzip";
  if (head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd) return "zstd";
  return "none";
}

/**
 * A decoder for `compression` that hands its output to `sink`. zstd uses zstd-napi, or the
 * pure-JS fzstd when the native module does not load (or `nativeZstd` is false, for tests).
 */
export function createDecoder(
  compression: Compression,
  sink: Sink,
  opts: { nativeZstd?: boolean } = {},
): Decoder {
  if (compression === "gzip") return gunzipDecoder(sink);
  if (compression === "zstd") {
    return opts.nativeZstd === false ? pureZstdDecoder(sink) : zstdDecoder(sink);
  }
  return { write: (chunk) => backpressure(sink(chunk)), end() {}, destroy() {} };
}

function gunzipDecoder(sink: Sink): Decoder {
  const gz = createGunzip({ chunkSize: 256 * 1024 });
  let failure: unknown;
  const fail = (err: unknown) => {
    failure ??= err;
    gz.destroy(err as Error);
  };
  gz.on("data", (out: Buffer) => {
    if (failure !== undefined) return;
    try {
      const waiting = backpressure(sink(out));
      if (waiting === undefined) return;
      // zlib stops inflating once its output buffer is full, so pausing holds back the rest.
      gz.pause();
      waiting.then(() => gz.resume(), fail);
    } catch (err) {
      fail(err);
    }
  });
  const failed = new Promise<never>((_, reject) => {
    gz.on("error", (err) => reject(failure ?? badData("gzip", err)));
  });
  failed.catch(() => {});
  const settle = (ok: Promise<void>) =>
    Promise.race([ok, failed]).then(() => {
      if (failure !== undefined) throw failure;
    });
  return {
    write: (chunk) => settle(new Promise((resolve) => gz.write(chunk, () => resolve()))),
    // 'end' (not the end callback) comes after the last 'data' event.
    end: () =>
      settle(
        new Promise((resolve) => {
          gz.once("end", resolve);
          gz.end();
        }),
      ),
    destroy: () => gz.destroy(),
  };
}

function zstdDecoder(sink: Sink): Decoder {
  const native = loadNativeZstd();
  if (native === undefined) return pureZstdDecoder(sink);
  const dctx = new native.DCtx();
  const out = Buffer.allocUnsafe(1 << 20);
  let frameOpen = false;
  // Synchronous unless the sink asks for backpressure; then each 1 MiB of output waits.
  const write = (chunk: Buffer): void | Promise<void> => {
    let src = chunk;
    for (;;) {
      let r: [number, number, number];
      try {
        r = dctx.decompressStream(out, src);
      } catch (err) {
        throw badData("zstd", err);
      }
      const [hint, produced, consumed] = r;
      frameOpen = hint !== 0;
      src = src.subarray(consumed);
      const more = src.length > 0 || produced === out.length;
      const waiting = produced > 0 ? backpressure(sink(out.subarray(0, produced))) : undefined;
      if (waiting !== undefined) return waiting.then(() => (more ? write(src) : undefined));
      if (!more) return;
    }
  };
  return {
    write,
    end() {
      if (frameOpen) throw badData("zstd", new Error("unexpected end of stream"));
    },
    destroy() {},
  };
}

/** Input slice of the pure-JS decoder: the most input whose output is not held back. */
const PURE_SLICE = 4096;

/**
 * fzstd calls back synchronously for all the output of one push, so backpressure can only be
 * applied between pushes: input is fed in small slices, and a slice waits for the sink.
 */
function pureZstdDecoder(sink: Sink): Decoder {
  let waiting: Promise<void> | undefined;
  const d = new PureZstd((chunk) => {
    const w = backpressure(sink(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length)));
    if (w !== undefined) waiting = waiting === undefined ? w : waiting.then(() => w);
  });
  const push = (chunk: Uint8Array, final: boolean) => {
    try {
      d.push(chunk, final);
    } catch (err) {
      throw badData("zstd", err);
    }
  };
  const pending = () => {
    const w = waiting;
    waiting = undefined;
    return w;
  };
  const write = (copy: Uint8Array, from: number): void | Promise<void> => {
    for (let at = from; at < copy.length; at += PURE_SLICE) {
      push(copy.subarray(at, at + PURE_SLICE), false);
      const w = pending();
      if (w !== undefined) return w.then(() => write(copy, at + PURE_SLICE));
    }
  };
  return {
    // fzstd may keep a reference to its input between pushes: give it a copy.
    write: (chunk) => write(Uint8Array.prototype.slice.call(chunk), 0),
    end: () => {
      push(new Uint8Array(0), true);
      return pending();
    },
    destroy() {},
  };
}

interface NativeZstd {
  DCtx: new () => { decompressStream(dst: Uint8Array, src: Uint8Array): [number, number, number] };
}

let native: NativeZstd | null | undefined = null;

/** zstd-napi's binding, or undefined when the native module cannot load (fzstd is used then). */
function loadNativeZstd(): NativeZstd | undefined {
  if (native === null) {
    try {
      native = createRequire(import.meta.url)("zstd-napi/binding") as NativeZstd;
    } catch {
      native = undefined;
    }
  }
  return native;
}

/** The promise a sink returned to ask for backpressure, if it did. */
function backpressure(result: unknown): Promise<void> | undefined {
  return result instanceof Promise ? result.then(() => {}) : undefined;
}

function badData(format: string, err: unknown) {
  const msg = err instanceof Error ? err.message : String(err);
  return imageError("InvalidArgument", `decompressing ${format} layer: ${msg}`, err);
}
