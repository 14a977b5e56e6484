/**
 * iSulad's user-facing texts for embedded images (isulad-behaviour §7.1), verbatim: the CLI
 * prints them after `Error response from daemon: `. Only `NOT_SQUASHFS` is ours (iSulad does not
 * check the squashfs magic).
 */
const C = "Invalid content in manifest: ";

export const MSG = {
  manifestNotFound: "Invalid manifest: manifest not found",
  manifestNotRegular: "Invalid manifest: manifest is not a regular file",
  signatureMissing: "Manifest's signature file not exist",
  invalidDigest: "Invalid manifest: invalid digest",
  parseFailed: `${C}parse manifest as a json file failed`,
  layerCount: `${C}layer empty or max depth exceeded`,
  schemaVersion: `${C}schema version must be 1`,
  mediaType: `${C}manifest's media type must be application/embedded.manifest+json`,
  nameMissing: `${C}image name not exist`,
  nameReserved: "Image name 'none' or 'none:latest' in manifest is reserved, please use other name",
  nameInvalid: `${C}invalid image name`,
  created: `${C}invalid created time`,
  layerSize: `${C}layer's size must not be negative number`,
  layerMediaType: `${C}layer's media type must be application/squashfs.image.rootfs.diff.img or application/bind.image.rootfs.diff.dir`,
  firstAbsolute: `${C}first layer path in host must be absolute path`,
  firstRoot: `${C}first layer path in host must be /`,
  otherRelative: `${C}layer path in host(except first layer) must be relative path`,
  layerMissing: `${C}layer not exists`,
  notRegular: `${C}layer(except first layer) is not a regular file`,
  notDirectory: `${C}layer(except first layer) is not a directory`,
  notBlockDevice: `${C}layer is not block device`,
  notSquashfs: `${C}layer(except first layer) is not a squashfs image`,
  firstDigest: `${C}first layer's digest must be empty`,
  dirDigest: `${C}layer digest must be empty if mediaType is application/bind.image.rootfs.diff.dir`,
  layerDigest: `${C}layer(except first layer) has invalid digest`,
  firstContainerPath: `${C}first layer path in container must be empty`,
  otherContainerPath: `${C}layer path in container(except first layer) must be absolute path`,
  nameConflict: "Image name is conflicted in the database",
} as const;
