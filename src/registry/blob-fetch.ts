import { setTimeout as sleep } from "node:timers/promises";
import { Digester } from "../digest/digest.ts";
import { ImageError, imageError } from "../errors.ts";
import type { Descriptor } from "../oci/types.ts";
import type { Dispatchers } from "./dispatchers.ts";
import { type HttpResponse, send } from "./http-request.ts";
import { describeNetworkError } from "./network-errors.ts";
import type { RegistrySession } from "./registry-session.ts";
import { isTransient, markTransient, retryDelay } from "./retry.ts";
import { watchSpeed } from "./speed-watchdog.ts";
import { statusError } from "./status-errors.ts";
import type { TransferOptions } from "./transfer-options.ts";
import type { BlobOptions } from "./types.ts";

/** Where a blob can come from. */
export interface BlobContext {
  session: RegistrySession;
  repository: string;
  dispatchers: Dispatchers;
  transfer: TransferOptions;
  debug?: (line: string) => void;
}

type Source = (rangeFrom: number, signal?: AbortSignal) => Promise<HttpResponse>;

/**
 * Streams a blob: from its `urls` first (foreign / non-distributable layers), then from the
 * registry. Resets, 5xx, stalls and truncated bodies are retried with back-off, resuming with
 * `Range` from the bytes already yielded (a server that ignores Range has the prefix skipped).
 * At the end the size and sha256 (unless `digestCheckedByConsumer`) are checked:
 * `InvalidArgument` on a mismatch. Stopping the
 * iteration early closes the connection.
 */
export async function* streamBlob(
  ctx: BlobContext,
  blob: Descriptor,
  opts: BlobOptions = {},
): AsyncGenerator<Uint8Array> {
  const what = `blob ${blob.digest}`;
  const sources = [...(blob.urls ?? []).map((u) => urlSource(ctx, u)), registrySource(ctx, blob)];
  const digester = opts.digestCheckedByConsumer ? undefined : new Digester();
  const size = opts.sizeUnknown ? Number.POSITIVE_INFINITY : blob.size;
  let sent = 0;
  let source = 0;
  for (let attempt = 1; ; attempt++) {
    try {
      const res = await (sources[source] as Source)(sent, opts.signal);
      let skip = resumeSkip(res, sent, what);
      for await (const chunk of watchSpeed(res.body, ctx.transfer, `fetching ${what}`)) {
        let c = chunk;
        if (skip > 0) {
          const n = Math.min(skip, c.length);
          skip -= n;
          c = c.subarray(n);
          if (c.length === 0) continue;
        }
        if (sent + c.length > size)
          throw imageError("InvalidArgument", `${what} is larger than its size ${blob.size}`);
        digester?.update(c);
        sent += c.length;
        yield c;
        opts.onBytes?.(sent);
      }
      if (sent < size && size !== Number.POSITIVE_INFINITY)
        throw markTransient(
          imageError("Unavailable", `${what}: body ended after ${sent} of ${blob.size} bytes`),
        );
      break;
    } catch (caught) {
      const err = describeNetworkError(caught, ctx.session.host);
      if (!isTransient(err) && sent === 0 && source < sources.length - 1) {
        ctx.debug?.(`${what}: source ${source} failed, trying the next`);
        source++;
        attempt = 0;
        continue;
      }
      if (!isTransient(err) || attempt >= ctx.transfer.attempts) throw err;
      ctx.debug?.(`${what}: attempt ${attempt} failed at ${sent} bytes, retrying`);
      await sleep(
        retryDelay(attempt, ctx.transfer),
        undefined,
        opts.signal && { signal: opts.signal },
      );
    }
  }
  if (digester === undefined) return;
  const got = digester.digest();
  if (got !== blob.digest)
    throw imageError("InvalidArgument", `${what} does not match its digest (got ${got})`);
}

function registrySource(ctx: BlobContext, blob: Descriptor): Source {
  return async (from, signal) => {
    const res = await ctx.session.request(`/v2/${ctx.repository}/blobs/${blob.digest}`, {
      scope: `repository:${ctx.repository}:pull`,
      ...(from > 0 && { headers: { range: `bytes=${from}-` } }),
      ...(signal && { signal }),
    });
    return checkStatus(
      res,
      `fetching blob ${blob.digest} of "${ctx.repository}" from "${ctx.session.host}"`,
    );
  };
}

function urlSource(ctx: BlobContext, u: string): Source {
  return async (from, signal) => {
    let url: URL;
    try {
      url = new URL(u);
    } catch (err) {
      throw imageError("InvalidArgument", `invalid layer URL "${u}"`, err);
    }
    if (url.protocol !== "https:" && url.protocol !== "http:")
      throw imageError("InvalidArgument", `unsupported layer URL "${u}"`);
    const res = await send(ctx.dispatchers, {
      url,
      ...(from > 0 && { headers: { range: `bytes=${from}-` } }),
      ...(signal && { signal }),
    });
    return checkStatus(res, `fetching layer from "${url.origin}${url.pathname}"`);
  };
}

async function checkStatus(res: HttpResponse, doing: string): Promise<HttpResponse> {
  if (res.statusCode === 200 || res.statusCode === 206) return res;
  throw await statusError(res, doing);
}

/** Bytes to drop from a resumed response: 0 for a proper 206, the prefix for a plain 200. */
function resumeSkip(res: HttpResponse, sent: number, what: string): number {
  if (sent === 0) {
    if (res.statusCode === 206) throw imageError("Unavailable", `${what}: unasked partial content`);
    return 0;
  }
  if (res.statusCode === 200) return sent;
  const range = String(res.headers["content-range"] ?? "");
  const m = /^bytes (\d+)-\d+\/(\d+|\*)$/.exec(range);
  const start = m ? Number(m[1]) : Number.NaN;
  if (!(start <= sent)) {
    res.body.destroy();
    throw new ImageError(
      "Unavailable",
      `${what}: bad Content-Range "${range}" resuming at ${sent}`,
    );
  }
  return sent - start;
}
