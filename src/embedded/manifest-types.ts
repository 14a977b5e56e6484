/**
 * The embedded image manifest (isulad-behaviour §7.1; `lcr: embedded/manifest.json`,
 * `embedded/layers.json`). Fields the JSON leaves out (or sets to null) are `undefined` here, so
 * the rules of `check-manifest.ts` can tell iSulad's "missing" cases apart.
 */
export interface EmbeddedManifest {
  schemaVersion?: number;
  mediaType?: string;
  imageName?: string;
  created?: string;
  config?: EmbeddedConfig;
  layers: EmbeddedLayer[];
}

/** Merged into a container's spec at creation: WORKDIR and ENTRYPOINT if it has none, ENV. */
export interface EmbeddedConfig {
  ENV?: string[];
  ENTRYPOINT?: string[];
  WORKDIR?: string;
}

export interface EmbeddedLayer {
  mediaType?: string;
  /** Informational; must not be negative. */
  size?: number;
  /** `sha256:<64 hex>` of the file, or empty/absent for no check. */
  digest?: string;
  /** Layer 0: absolute (block device, or `/`); others: relative to the manifest's directory. */
  pathInHost?: string;
  /** Layer 0: empty; others: absolute mount point in the container. */
  pathInContainer?: string;
}

/** The manifest's own media type. */
export const EMBEDDED_MANIFEST_MEDIA_TYPE = "application/embedded.manifest+json";
/** A squashfs layer: a block device as layer 0, a regular squashfs file otherwise. */
export const SQUASHFS_LAYER_MEDIA_TYPE = "application/squashfs.image.rootfs.diff.img";
/** A directory layer, bind-mounted: `/` as layer 0, a directory otherwise. */
export const DIR_LAYER_MEDIA_TYPE = "application/bind.image.rootfs.diff.dir";
/** iSulad's `LAYER_NUM_MAX`. */
export const MAX_LAYERS = 125;

/** A layer after validation: where it really is, and what it adds to the image size. */
export interface CheckedLayer {
  kind: "squashfs" | "dir";
  /** Real path (symlinks resolved). */
  realPath: string;
  /** File size for squashfs layers 1..n; 0 for directories and layer 0. */
  size: number;
}
