import type { Digest } from "../digest/digest.ts";
import type { WhiteoutFormat } from "../layer/types.ts";

/**
 * An image as the database stores it. Same shape as `ImageRecord` of `image/`, which sits above
 * this folder and so cannot be imported here (DESIGN §2).
 */
export interface ImageRow {
  id: string;
  names: string[];
  topLayer?: string;
  digest: Digest;
  manifestMediaType: string;
  configSize: number;
  manifestSize: number;
  size: number;
  created: string;
  loaded: string;
  labels: Record<string, string>;
}

/** A layer as the database stores it; same shape as `LayerRecord` of `image/`. */
export interface LayerRow {
  id: string;
  parent?: string;
  diffId: Digest;
  digest: Digest;
  size: number;
  mediaType: string;
  diffSize: number;
  whiteoutFormat: WhiteoutFormat;
  created: string;
}

/** A lease: the process that owns it and when it began. */
export interface LeaseRow {
  id: string;
  pid: number;
  /** The owner's start time as `/proc/<pid>/stat` gives it ("" where there is no /proc). */
  startTime: string;
  created: string;
}
