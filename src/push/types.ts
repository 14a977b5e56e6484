import type { Readable } from "node:stream";
import type { Digest } from "../digest/digest.ts";

/** A blob to upload, read from the store: digest, size and a reader of a byte range. */
export interface PushBlob {
  digest: Digest;
  size: number;
  /** The bytes `[start, end)`, afresh for each attempt and each chunk. */
  open(start: number, end: number): Readable;
}

/**
 * What the push pipeline needs of one registry repository: `PushDestination` of
 * `src/registry/push-destination.ts` satisfies it; tests may pass a fake.
 */
export interface PushTarget {
  /** Network host, e.g. `127.0.0.1:5000`, `registry-1.docker.io`. */
  readonly host: string;
  readonly repository: string;
  ping(signal?: AbortSignal): Promise<void>;
  hasBlob(digest: Digest, signal?: AbortSignal): Promise<boolean>;
  mountBlob(digest: Digest, from: string, signal?: AbortSignal): Promise<boolean>;
  uploadBlob(
    blob: PushBlob,
    opts?: { signal?: AbortSignal; onBytes?: (sent: number) => void },
  ): Promise<void>;
  putManifest(req: {
    reference: string;
    bytes: Buffer;
    mediaType: string;
    signal?: AbortSignal;
  }): Promise<Digest>;
}

/**
 * One progress event of a push, per layer (`id`: the last 12 characters of the blob digest, as
 * pull's): `preparing` for every layer at the start, `waiting` for those queued behind the
 * upload limit, `pushing` while bytes go out, then one final state: `pushed`, `exists` (the
 * registry had it: "Layer already exists"), `mounted` (from repository `from`) or `skipped` (a
 * non-distributable layer that the manifest's `urls` serve: not uploaded, as Docker does).
 */
export interface PushProgress {
  id: string;
  current: number;
  total: number;
  status: "preparing" | "waiting" | "pushing" | "pushed" | "exists" | "mounted" | "skipped";
  /** The repository a `mounted` layer came from. */
  from?: string;
}

/** What a push did: the manifest's digest and size, and the tag or digest it was put under. */
export interface PushOutcome {
  digest: Digest;
  size: number;
  reference: string;
}
