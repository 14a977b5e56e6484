import type { Readable } from "node:stream";
import { type Dispatcher, request } from "undici";
import { imageError } from "../errors.ts";
import type { Dispatchers } from "./dispatchers.ts";
import { describeNetworkError } from "./network-errors.ts";

/** One HTTP exchange after redirects. The caller consumes or dumps `body`. */
export interface HttpResponse {
  statusCode: number;
  headers: Record<string, string | string[] | undefined>;
  body: Dispatcher.ResponseData["body"];
  /** The URL that answered (after redirects). */
  url: URL;
}

/** HTTP methods of the distribution API: reads, and the uploads of a push. */
export type HttpMethod = "GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE";

/** A request body, made afresh for each attempt (a stream can only be sent once). */
export type BodySource = () => Buffer | Readable;

export interface SendOptions {
  method?: HttpMethod;
  url: URL;
  headers?: Record<string, string>;
  /** The request body (push uploads); called once per hop. */
  body?: BodySource;
  /** `Authorization` value for the origin of `url` only: never sent to another origin. */
  authorization?: string;
  signal?: AbortSignal;
  /** Redirect hops to follow (iSulad: 32). */
  maxRedirects?: number;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/**
 * Sends a request through the host's dispatcher, following redirects by hand so that the
 * `Authorization` header only ever goes to the origin it was meant for (blob storage behind a
 * redirect gets none). Connection failures become `ImageError`s (see `describeNetworkError`).
 */
export async function send(dispatchers: Dispatchers, opts: SendOptions): Promise<HttpResponse> {
  const origin = opts.url.origin;
  const max = opts.maxRedirects ?? 32;
  let url = opts.url;
  for (let hop = 0; ; hop++) {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.authorization !== undefined && url.origin === origin)
      headers.authorization = opts.authorization;
    const res = await requestOnce(dispatchers, url, headers, opts);
    const location = res.headers.location;
    if (!REDIRECTS.has(res.statusCode) || typeof location !== "string") return res;
    await res.body.dump();
    if (hop >= max)
      throw imageError("Unavailable", `too many redirects fetching "${opts.url.pathname}"`);
    url = new URL(location, url);
  }
}

async function requestOnce(
  dispatchers: Dispatchers,
  url: URL,
  headers: Record<string, string>,
  opts: SendOptions,
): Promise<HttpResponse> {
  const dispatcher = await dispatchers.forHost(url.host);
  try {
    const res = await request(url, {
      method: opts.method ?? "GET",
      headers,
      ...(opts.body && { body: opts.body() }),
      dispatcher,
      ...(opts.signal && { signal: opts.signal }),
    });
    return { statusCode: res.statusCode, headers: res.headers, body: res.body, url };
  } catch (err) {
    const tls =
      url.protocol === "https:" ? { clientCert: dispatchers.hasClientCert(url.host) } : undefined;
    throw describeNetworkError(err, url.host, tls);
  }
}
