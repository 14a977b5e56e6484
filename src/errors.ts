/**
 * The one error type of the project. Every failure a user can meet is an `ImageError` whose
 * `kind` says what sort of failure it is; the kind decides the CLI exit code and, later, the gRPC
 * status, so a message reads the same in direct mode and through the daemon.
 *
 * Messages are lowercase fragments naming the action and the subject, values quoted, no trailing
 * period: `loading "app.tar": layer "sha256:4a3f..." does not match its diffID`.
 */
export type ErrorKind =
  | "NotFound"
  | "InvalidArgument"
  | "AlreadyExists"
  | "FailedPrecondition"
  | "Unauthenticated"
  | "PermissionDenied"
  | "Unavailable"
  | "NotImplemented"
  | "ResourceExhausted"
  | "Internal";

export class ImageError extends Error {
  readonly kind: ErrorKind;

  constructor(kind: ErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ImageError";
    this.kind = kind;
  }
}

/** Builds an `ImageError`; shorter at call sites than `new ImageError(...)`. */
export function imageError(kind: ErrorKind, message: string, cause?: unknown): ImageError {
  return new ImageError(kind, message, cause === undefined ? undefined : { cause });
}

/** True when `err` is a Node system error with exactly this `code` (`ENOENT`, `EEXIST`, ...). */
export function hasCode(err: unknown, code: string): err is NodeJS.ErrnoException {
  return err instanceof Error && (err as NodeJS.ErrnoException).code === code;
}

/**
 * Wraps any error with what we were doing: `wrap(err, 'loading "a.tar"')`. An `ImageError` keeps
 * its kind and gains the prefix; anything else becomes `Internal` with its message kept.
 */
export function wrapError(err: unknown, doing: string): ImageError {
  if (err instanceof ImageError)
    return new ImageError(err.kind, `${doing}: ${err.message}`, { cause: err });
  const message = err instanceof Error ? err.message : String(err);
  return new ImageError("Internal", `${doing}: ${message}`, { cause: err });
}
