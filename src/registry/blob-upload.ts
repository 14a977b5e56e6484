import { Readable } from "node:stream";
import type { Digest } from "../digest/digest.ts";
import { imageError } from "../errors.ts";
import type { BlobContext } from "./blob-fetch.ts";
import { type BodySource, type HttpMethod, type HttpResponse, send } from "./http-request.ts";
import { withRetry } from "./retry.ts";
import { statusError } from "./status-errors.ts";

/** A blob to upload: its digest, its size and a fresh reader of a byte range of it. */
export interface UploadSource {
  digest: Digest;
  size: number;
  /** The bytes `[start, end)`; called again for each attempt and each chunk. */
  open(start: number, end: number): Readable;
}

export interface UploadOptions {
  signal?: AbortSignal;
  /** Bytes sent so far, for progress. */
  onBytes?: (sent: number) => void;
  /** Blobs up to this size go in one PUT; larger ones in PATCH chunks of this size. */
  chunkBytes: number;
  /** An upload session the registry already opened (a mount it answered with 202). */
  location?: string;
}

/** Default `chunkBytes`: one PUT up to 16 MiB, chunks of 16 MiB above. */
export const DEFAULT_UPLOAD_CHUNK = 16 * 1024 * 1024;

/** The token scope of a push to `repository`: Docker asks for both actions at once. */
export function pushScope(repository: string): string {
  return `repository:${repository}:pull,push`;
}

/**
 * True when the repository already holds the blob (`HEAD /v2/<repo>/blobs/<digest>` is 200),
 * false on 404. Other statuses throw what `statusError` makes of them.
 */
export async function blobExists(
  ctx: BlobContext,
  digest: Digest,
  signal?: AbortSignal,
): Promise<boolean> {
  const res = await ctx.session.request(`/v2/${ctx.repository}/blobs/${digest}`, {
    method: "HEAD",
    scope: pushScope(ctx.repository),
    ...(signal && { signal }),
  });
  await res.body.dump();
  if (res.statusCode === 200) return true;
  if (res.statusCode === 404) return false;
  throw await pushStatusError(ctx, res, `checking blob ${digest}`);
}

/**
 * Asks the registry to mount `digest` from repository `from` of the same registry
 * (`POST .../blobs/uploads/?mount=&from=`). Returns `{ mounted: true }` on 201; on 202 the
 * registry could not mount and opened an upload session instead, whose location is returned
 * for `uploadBlob` to use.
 */
export async function mountBlob(
  ctx: BlobContext,
  digest: Digest,
  from: string,
  signal?: AbortSignal,
): Promise<{ mounted: true } | { mounted: false; location: string }> {
  const query = new URLSearchParams({ mount: digest, from });
  const res = await ctx.session.request(`/v2/${ctx.repository}/blobs/uploads/?${query}`, {
    method: "POST",
    headers: { "content-length": "0" },
    scope: `${pushScope(ctx.repository)} repository:${from}:pull`,
    ...(signal && { signal }),
  });
  if (res.statusCode === 201) {
    await res.body.dump();
    return { mounted: true };
  }
  if (res.statusCode === 202) {
    await res.body.dump();
    return { mounted: false, location: locationOf(ctx, res, `mounting blob ${digest}`) };
  }
  throw await pushStatusError(ctx, res, `mounting blob ${digest} from "${from}"`);
}

/**
 * Uploads a blob: opens an upload session (unless `location` is given), then sends the bytes in
 * one `PUT ...?digest=` when the blob is at most `chunkBytes`, else in `PATCH` chunks with
 * `Content-Range` followed by an empty `PUT ...?digest=`. The registry verifies the digest;
 * its `Docker-Content-Digest` answer is checked too. Transient failures (resets, 5xx) restart
 * the upload from a new session, up to the transfer's attempts.
 */
export async function uploadBlob(
  ctx: BlobContext,
  blob: UploadSource,
  opts: UploadOptions,
): Promise<void> {
  let given = opts.location;
  await withRetry(
    async () => {
      const start = given ?? (await startUpload(ctx, blob.digest, opts.signal));
      given = undefined;
      if (blob.size <= opts.chunkBytes) return putWhole(ctx, blob, start, opts);
      return putChunks(ctx, blob, start, opts);
    },
    ctx.transfer,
    {
      ...(opts.signal && { signal: opts.signal }),
      onRetry: (n, err) => ctx.debug?.(`uploading ${blob.digest}: attempt ${n} failed: ${err}`),
    },
  );
}

async function startUpload(ctx: BlobContext, digest: Digest, signal?: AbortSignal) {
  const res = await ctx.session.request(`/v2/${ctx.repository}/blobs/uploads/`, {
    method: "POST",
    headers: { "content-length": "0" },
    scope: pushScope(ctx.repository),
    ...(signal && { signal }),
  });
  const doing = `starting the upload of blob ${digest}`;
  if (res.statusCode !== 202) throw await pushStatusError(ctx, res, doing);
  await res.body.dump();
  return locationOf(ctx, res, doing);
}

async function putWhole(ctx: BlobContext, blob: UploadSource, location: string, o: UploadOptions) {
  const url = withDigest(location, blob.digest);
  const res = await uploadRequest(ctx, url, "PUT", {
    headers: { "content-type": "application/octet-stream", "content-length": String(blob.size) },
    body: () => counted(blob.open(0, blob.size), 0, o.onBytes),
    ...(o.signal && { signal: o.signal }),
  });
  await finishUpload(ctx, res, blob.digest);
}

async function putChunks(ctx: BlobContext, blob: UploadSource, first: string, o: UploadOptions) {
  let location = first;
  for (let start = 0; start < blob.size; start += o.chunkBytes) {
    const end = Math.min(start + o.chunkBytes, blob.size);
    const res = await uploadRequest(ctx, new URL(location), "PATCH", {
      headers: {
        "content-type": "application/octet-stream",
        "content-length": String(end - start),
        "content-range": `${start}-${end - 1}`,
      },
      body: () => counted(blob.open(start, end), start, o.onBytes),
      ...(o.signal && { signal: o.signal }),
    });
    const doing = `uploading bytes ${start}-${end - 1} of blob ${blob.digest}`;
    if (res.statusCode !== 202) throw await pushStatusError(ctx, res, doing);
    await res.body.dump();
    location = locationOf(ctx, res, doing);
  }
  const res = await uploadRequest(ctx, withDigest(location, blob.digest), "PUT", {
    headers: { "content-length": "0" },
    ...(o.signal && { signal: o.signal }),
  });
  await finishUpload(ctx, res, blob.digest);
}

async function finishUpload(ctx: BlobContext, res: HttpResponse, digest: Digest): Promise<void> {
  if (res.statusCode !== 201 && res.statusCode !== 204)
    throw await pushStatusError(ctx, res, `uploading blob ${digest}`);
  await res.body.dump();
  const said = header(res, "docker-content-digest");
  if (said !== undefined && said !== digest)
    throw imageError(
      "Unavailable",
      `uploading blob ${digest} to "${ctx.session.host}": the registry stored ${said}`,
    );
}

/**
 * A request to an upload URL the registry gave: through the session (with its authorization)
 * when it is on the registry's origin, without any authorization otherwise.
 */
async function uploadRequest(
  ctx: BlobContext,
  url: URL,
  method: HttpMethod,
  req: { headers: Record<string, string>; body?: BodySource; signal?: AbortSignal },
): Promise<HttpResponse> {
  if (url.origin === new URL(ctx.session.base).origin)
    return ctx.session.request(`${url.pathname}${url.search}`, {
      method,
      scope: pushScope(ctx.repository),
      ...req,
    });
  return send(ctx.dispatchers, { url, method, ...req });
}

function locationOf(ctx: BlobContext, res: HttpResponse, doing: string): string {
  const location = header(res, "location");
  if (location === undefined)
    throw imageError("Unavailable", `${doing} on "${ctx.session.host}": no upload location`);
  return new URL(location, ctx.session.base).href;
}

function withDigest(location: string, digest: Digest): URL {
  const url = new URL(location);
  url.searchParams.set("digest", digest);
  return url;
}

function header(res: HttpResponse, name: string): string | undefined {
  const v = res.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** The stream, reporting `base + bytes read` to `onBytes` as it is consumed. */
function counted(stream: Readable, base: number, onBytes?: (sent: number) => void): Readable {
  if (!onBytes) return stream;
  async function* count() {
    let sent = base;
    for await (const chunk of stream) {
      sent += (chunk as Buffer).length;
      onBytes?.(sent);
      yield chunk as Buffer;
    }
  }
  return Readable.from(count(), { objectMode: false });
}

/**
 * `statusError` for a push, with a hint on 401: log in, or the credentials lack push access.
 */
export async function pushStatusError(ctx: BlobContext, res: HttpResponse, doing: string) {
  const where = `${doing} in "${ctx.session.host}/${ctx.repository}"`;
  const err = await statusError(res, where);
  if (err.kind !== "Unauthenticated" && err.kind !== "PermissionDenied") return err;
  const hint = ctx.session.hasCredentials
    ? "the registry refused the credentials or they give no push access"
    : `authentication required (isula login ${ctx.session.host})`;
  return imageError(
    err.kind,
    `${where}: ${err.kind === "Unauthenticated" ? "unauthorized" : "denied"}: ${hint}`,
  );
}
