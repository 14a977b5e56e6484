import type { Digest } from "../digest/digest.ts";
import { type ErrorKind, ImageError } from "../errors.ts";
import type { BlobContext } from "./blob-fetch.ts";
import {
  blobExists,
  DEFAULT_UPLOAD_CHUNK,
  mountBlob,
  type UploadSource,
  uploadBlob,
} from "./blob-upload.ts";
import { putManifest } from "./manifest-push.ts";

/** Answers to a mount that mean "not from there": the blob is uploaded instead. */
const REFUSALS: ReadonlySet<ErrorKind> = new Set([
  "Unauthenticated",
  "PermissionDenied",
  "NotFound",
]);

/**
 * One repository of one registry to push into, with the session (auth, TLS, scheme) the client
 * chose for its host. Safe for concurrent blob calls; owns nothing that needs closing (the
 * client's `close()` ends the connections).
 */
export class PushDestination {
  readonly host: string;
  readonly repository: string;
  readonly #ctx: BlobContext;
  readonly #chunkBytes: number;
  /** Upload sessions a failed mount opened, by digest, for the upload that follows. */
  readonly #opened = new Map<Digest, string>();

  constructor(ctx: BlobContext, opts: { chunkBytes?: number } = {}) {
    this.#ctx = ctx;
    this.host = ctx.session.host;
    this.repository = ctx.repository;
    this.#chunkBytes = opts.chunkBytes ?? DEFAULT_UPLOAD_CHUNK;
  }

  /** Pings the registry (scheme choice, challenge): connection and TLS errors surface here. */
  async ping(signal?: AbortSignal): Promise<void> {
    await this.#ctx.session.ping(signal);
  }

  /** True when the repository already holds the blob (HEAD). */
  hasBlob(digest: Digest, signal?: AbortSignal): Promise<boolean> {
    return blobExists(this.#ctx, digest, signal);
  }

  /**
   * Mounts the blob from repository `from` of this registry; false when the registry would not,
   * also when it refuses us access to `from` (a mount source is only a guess from local names):
   * the blob is then uploaded.
   */
  async mountBlob(digest: Digest, from: string, signal?: AbortSignal): Promise<boolean> {
    let r: Awaited<ReturnType<typeof mountBlob>>;
    try {
      r = await mountBlob(this.#ctx, digest, from, signal);
    } catch (err) {
      if (!(err instanceof ImageError) || !REFUSALS.has(err.kind)) throw err;
      this.#ctx.debug?.(`mounting ${digest} from "${from}" refused: ${err.message}`);
      return false;
    }
    if (r.mounted) return true;
    this.#opened.set(digest, r.location);
    return false;
  }

  /** Uploads the blob (one PUT, or PATCH chunks then PUT); the registry checks the digest. */
  async uploadBlob(
    blob: UploadSource,
    opts: { signal?: AbortSignal; onBytes?: (sent: number) => void } = {},
  ): Promise<void> {
    const location = this.#opened.get(blob.digest);
    this.#opened.delete(blob.digest);
    await uploadBlob(this.#ctx, blob, {
      ...opts,
      chunkBytes: this.#chunkBytes,
      ...(location !== undefined && { location }),
    });
  }

  /** Uploads the manifest under `reference` (tag or digest); returns its digest. */
  putManifest(req: {
    reference: string;
    bytes: Buffer;
    mediaType: string;
    signal?: AbortSignal;
  }): Promise<Digest> {
    return putManifest(this.#ctx, req);
  }
}
