import type { Digest } from "../digest/digest.ts";
import type { Compression } from "../oci/media-types.ts";

/**
 * How whiteouts are stored in an unpacked layer (DESIGN §4): `overlay` turns `.wh.<name>` into a
 * 0/0 character device and `.wh..wh..opq` into the `trusted.overlay.opaque=y` xattr (needs root);
 * `aufs` keeps the `.wh.` marker files as they are in the tar.
 */
export type WhiteoutFormat = "overlay" | "aufs";

/**
 * The start of a whiteout probe's scratch folder name in the store's root; the pid after it lets
 * the store's start-up cleanup remove the folder of a process killed mid-probe
 * (`image/store-cleanup.ts`).
 */
export const WHITEOUT_PROBE_PREFIX = ".whiteout-probe-";

/** Where a layer's blob bytes come from. */
export type LayerSource =
  /** A byte range of a file (a layer inside a plain tar archive, or a blob file); `end` exclusive. */
  | { kind: "file"; path: string; start?: number; end?: number }
  /** A stream of blob bytes (an HTTP body, a layer inside a compressed archive). */
  | { kind: "stream"; stream: AsyncIterable<Uint8Array> };

export interface ApplyLayerOptions {
  source: LayerSource;
  /** Directory to create and fill; must not exist yet. Removed again if anything fails. */
  target: string;
  whiteoutFormat: WhiteoutFormat;
  /** When set, the blob bytes exactly as read are also written to this file (fsync'd). */
  blobPath?: string;
  /** Verified against the blob bytes when set (pull). */
  expectedDigest?: Digest;
  /** Verified against the uncompressed tar when set (load and pull). */
  expectedDiffId?: Digest;
  /**
   * Lets the worker pool grow to this many workers for this job (it has one per CPU otherwise)
   * while busy workers wait for their bytes and CPUs are idle (`worker-pool.ts`). A layer
   * streamed from the network holds its worker while its bytes trickle in, so a pull asks for
   * more, or its downloads would queue behind each other (`pull/README.md`).
   */
  workers?: number;
  signal?: AbortSignal;
}

export interface AppliedLayer {
  /** sha256 and length of the blob bytes as read (compressed, if they were). */
  digest: Digest;
  size: number;
  /** sha256 and length of the uncompressed tar stream. */
  diffId: Digest;
  diffSize: number;
  /** Detected from the first bytes. */
  compression: Compression;
}
