import type { Digest } from "../digest/digest.ts";
import type { WhiteoutFormat } from "../layer/types.ts";

/** A stored layer. `id` is the chain ID hex (DESIGN §4); files live in `overlay/<id>/diff`. */
export interface LayerRecord {
  id: string;
  /** Chain ID hex of the parent layer, absent for the first layer. */
  parent?: string;
  diffId: Digest;
  /** Digest and size of the blob as received (`blobs/sha256/<hex>`), compressed or not. */
  digest: Digest;
  size: number;
  /** Media type of the blob as received (an OCI or Docker layer type). */
  mediaType: string;
  /** Length of the uncompressed tar stream. */
  diffSize: number;
  whiteoutFormat: WhiteoutFormat;
  /** RFC 3339 time the layer was stored. */
  created: string;
}

/** A stored image. `id` is the sha256 hex of its config bytes. */
export interface ImageRecord {
  id: string;
  /** Normalised names: `repo:tag` and `repo@sha256:...`, in the order they were added. */
  names: string[];
  /** Chain ID hex of the last layer; absent only for an image with no layers. */
  topLayer?: string;
  /** Digest of the stored manifest blob (`blobs/sha256/<hex>`). */
  digest: Digest;
  manifestMediaType: string;
  configSize: number;
  manifestSize: number;
  /** config + manifest + sum of layer diff sizes, in bytes. */
  size: number;
  /** The config's `created`, verbatim ("" when absent). */
  created: string;
  /** RFC 3339 UTC with nanoseconds: when this image was loaded or pulled. */
  loaded: string;
  /** The config's `config.Labels` (for `-f label=`), `{}` when none. */
  labels: Record<string, string>;
}

/** A layer that a load or pull brings, ready to be committed with its image. */
export interface NewLayer {
  record: Omit<LayerRecord, "created">;
  /**
   * Unpacked directory (the future `diff`) and blob file, both under the store's ingest area;
   * absent when the layer was already stored and held by the lease.
   */
  tempDir?: string;
  tempBlob?: string;
}

export interface CommitImageRequest {
  lease: Lease;
  /** Every layer of the image, base first (held ones too). */
  layers: NewLayer[];
  config: Buffer;
  manifest: Buffer;
  manifestMediaType: string;
  /** Normalised names to give this image; each moves off any other image holding it. */
  names: string[];
  /**
   * Keep the lease active after the commit, holding every layer of this image (pinned in the
   * same transaction), so that a load of several images can reuse them with no gap in which
   * another process could collect them. The caller then releases the lease itself.
   */
  keepLease?: boolean;
}

/**
 * A lease keeps layers, and files in the ingest area, from being collected while a load or pull
 * works with them. It belongs to one process; a lease whose process has died is expired.
 */
export interface Lease {
  readonly id: string;
  /**
   * If the layer `chainId` (hex) is stored, pins it against removal until the lease ends and
   * returns its record; otherwise returns undefined.
   */
  hold(chainId: string): LayerRecord | undefined;
  /** A fresh path in the ingest area owned by this lease (file or directory, not created). */
  tempPath(hint: string): string;
  /** Ends the lease: unpins layers, removes its temp paths that were not committed. */
  release(): Promise<void>;
}
