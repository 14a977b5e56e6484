import { Metadata, status } from "@grpc/grpc-js";
import { type ErrorKind, ImageError, imageError } from "../errors.ts";
import { CANNOT_CONNECT } from "../service/open.ts";

/**
 * How an `ImageError` crosses the socket (DESIGN §2: the kind survives the wire).
 *
 * - iSulad's unary RPCs answer gRPC OK with `cc` (125 for `InvalidArgument`, else 1, as
 *   iSulad's `ISULAD_ERR_INPUT` / `ISULAD_ERR_EXEC`) and `errmsg` = the message.
 * - `images.ImagesService/PullImage` fails with status `UNKNOWN` and the message, as iSulad
 *   does (its CLI prints that message bare).
 * - CRI calls fail with the status of the kind (`KIND_STATUS`), as kubelet expects.
 *
 * In every case the kind also travels in the trailing metadata key `isulad-error-kind`, so our
 * client rebuilds the same `ImageError`. A status without that key is mapped back by code.
 */
export const ERROR_KIND_KEY = "isulad-error-kind";

/** iSulad's `cc` values. */
export const CC_EXEC = 1;
export const CC_INPUT = 125;

const KIND_STATUS: Record<ErrorKind, status> = {
  NotFound: status.NOT_FOUND,
  InvalidArgument: status.INVALID_ARGUMENT,
  AlreadyExists: status.ALREADY_EXISTS,
  FailedPrecondition: status.FAILED_PRECONDITION,
  Unauthenticated: status.UNAUTHENTICATED,
  PermissionDenied: status.PERMISSION_DENIED,
  Unavailable: status.UNAVAILABLE,
  NotImplemented: status.UNIMPLEMENTED,
  ResourceExhausted: status.RESOURCE_EXHAUSTED,
  Internal: status.INTERNAL,
};

const KINDS = new Set(Object.keys(KIND_STATUS));

/** Any thrown value as an `ImageError`: foreign errors become `Internal`, message kept. */
export function asImageError(err: unknown): ImageError {
  if (err instanceof ImageError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return imageError("Internal", message, err);
}

/** The `cc` of a failed unary call. */
export function ccOf(err: ImageError): number {
  return err.kind === "InvalidArgument" ? CC_INPUT : CC_EXEC;
}

/** The gRPC status code of a kind (CRI and our own failures). */
export function statusOfKind(kind: ErrorKind): status {
  return KIND_STATUS[kind];
}

/** Trailing metadata carrying `kind`. */
export function kindMetadata(kind: ErrorKind): Metadata {
  const md = new Metadata();
  md.set(ERROR_KIND_KEY, kind);
  return md;
}

/** The kind in `md`, if it holds a known one. */
export function kindFromMetadata(md: Metadata | undefined): ErrorKind | undefined {
  const value = md?.get(ERROR_KIND_KEY)[0];
  return typeof value === "string" && KINDS.has(value) ? (value as ErrorKind) : undefined;
}

/**
 * The `ImageError` a failed call stands for: the kind from the metadata, else from the status
 * code. A call that never reached a daemon (`UNAVAILABLE` with no kind) is `Unavailable` with
 * iSulad's "Can not connect" text.
 */
export function errorFromStatus(err: {
  code?: number;
  details?: string;
  metadata?: Metadata;
}): ImageError {
  const kind = kindFromMetadata(err.metadata);
  if (kind !== undefined) return imageError(kind, err.details ?? "", err);
  if (err.code === status.UNAVAILABLE || err.code === undefined) {
    return imageError("Unavailable", CANNOT_CONNECT, err);
  }
  if (err.code === status.CANCELLED) return imageError("Unavailable", "cancelled", err);
  const byCode = (Object.keys(KIND_STATUS) as ErrorKind[]).find((k) => KIND_STATUS[k] === err.code);
  return imageError(byCode ?? "Internal", err.details ?? "", err);
}

/** The `ImageError` of a unary reply whose `cc` is not 0. */
export function errorFromReply(cc: number, errmsg: string, md: Metadata | undefined): ImageError {
  const kind = kindFromMetadata(md) ?? (cc === CC_INPUT ? "InvalidArgument" : "Internal");
  return imageError(kind, errmsg);
}
