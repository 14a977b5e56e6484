import { type ErrorKind, ImageError, imageError } from "../errors.ts";

const KINDS: Record<string, ErrorKind> = {
  ENOSPC: "ResourceExhausted",
  EDQUOT: "ResourceExhausted",
  EMFILE: "ResourceExhausted",
  EACCES: "PermissionDenied",
  EPERM: "PermissionDenied",
  EROFS: "PermissionDenied",
  ENAMETOOLONG: "InvalidArgument",
  ELOOP: "InvalidArgument",
  ENOTDIR: "InvalidArgument",
  EEXIST: "AlreadyExists",
  ENOENT: "NotFound",
  ENOTSUP: "FailedPrecondition",
  EOPNOTSUPP: "FailedPrecondition",
};

/** errno numbers that @napi-rs/xattr reports only inside its message, as "(os error N)". */
const OS_ERRORS: Record<number, string> = {
  1: "EPERM",
  2: "ENOENT",
  7: "E2BIG",
  13: "EACCES",
  28: "ENOSPC",
  34: "ERANGE",
  95: "EOPNOTSUPP",
  122: "EDQUOT",
};

/**
 * Turns a failed file-system call into an `ImageError` saying what was being done: ENOSPC and
 * EDQUOT become `ResourceExhausted`, EACCES/EPERM `PermissionDenied`, unsupported operations
 * `FailedPrecondition`, names the kernel refuses `InvalidArgument`, ENOENT `NotFound`, EEXIST
 * `AlreadyExists`, the rest `Internal`.
 * An `ImageError` passes through unchanged.
 */
export function fsFailure(err: unknown, doing: string): ImageError {
  if (err instanceof ImageError) return err;
  const e = err as NodeJS.ErrnoException;
  let code = typeof e?.code === "string" ? e.code : undefined;
  const osError = /\(os error (\d+)\)/.exec(String(e?.message))?.[1];
  if (osError !== undefined) code = OS_ERRORS[Number(osError)] ?? code;
  const reason = code !== undefined && code in KINDS ? (KINDS[code] as ErrorKind) : "Internal";
  // Node's messages end with the absolute path ("ENOSPC: no space left on device, write");
  // the caller names the entry, so only the first part is kept.
  const message = String(e?.message ?? e);
  const detail = osError !== undefined ? message : message.split(", ")[0];
  return imageError(reason, `${doing}: ${detail}`, err);
}
