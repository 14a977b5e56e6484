import { type ErrorKind, ImageError, imageError } from "../errors.ts";
import { CANNOT_CONNECT } from "../service/open.ts";

/**
 * How an `ImageError` crosses the socket (DESIGN §2: the kind survives the wire), the part both
 * ends share. It imports no grpc-js, so that `isula` in daemon mode does not load it (issue #4):
 * status codes are the numbers of the gRPC spec.
 *
 * - iSulad's unary RPCs answer gRPC OK with `cc` (125 for `InvalidArgument`, else 1, as
 *   iSulad's `ISULAD_ERR_INPUT` / `ISULAD_ERR_EXEC`) and `errmsg` = the message.
 * - `images.ImagesService/PullImage` fails with status `UNKNOWN` and the message, as iSulad
 *   does (its CLI prints that message bare).
 * - CRI calls fail with the status of the kind (`statusOfKind`), as kubelet expects.
 *
 * In every case the kind also travels in the trailing metadata key `isulad-error-kind`, so our
 * client rebuilds the same `ImageError`. A status without that key is mapped back by code.
 */
export const ERROR_KIND_KEY = "isulad-error-kind";

/** iSulad's `cc` values. */
export const CC_EXEC = 1;
export const CC_INPUT = 125;

/** gRPC status codes (https://grpc.github.io/grpc/core/md_doc_statuscodes.html). */
export const GRPC_STATUS = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

const KIND_STATUS: Record<ErrorKind, number> = {
  NotFound: GRPC_STATUS.NOT_FOUND,
  InvalidArgument: GRPC_STATUS.INVALID_ARGUMENT,
  AlreadyExists: GRPC_STATUS.ALREADY_EXISTS,
  FailedPrecondition: GRPC_STATUS.FAILED_PRECONDITION,
  Unauthenticated: GRPC_STATUS.UNAUTHENTICATED,
  PermissionDenied: GRPC_STATUS.PERMISSION_DENIED,
  Unavailable: GRPC_STATUS.UNAVAILABLE,
  NotImplemented: GRPC_STATUS.UNIMPLEMENTED,
  ResourceExhausted: GRPC_STATUS.RESOURCE_EXHAUSTED,
  Internal: GRPC_STATUS.INTERNAL,
};

const KINDS = new Set(Object.keys(KIND_STATUS));

/** Response metadata as both grpc-js's `Metadata` and our lite client's read it. */
export interface MetadataReader {
  get(key: string): unknown[];
}

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
export function statusOfKind(kind: ErrorKind): number {
  return KIND_STATUS[kind];
}

/** The kind in `md`, if it holds a known one. */
export function kindFromMetadata(md: MetadataReader | undefined): ErrorKind | undefined {
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
  metadata?: MetadataReader;
}): ImageError {
  const kind = kindFromMetadata(err.metadata);
  if (kind !== undefined) return imageError(kind, err.details ?? "", err);
  if (err.code === GRPC_STATUS.UNAVAILABLE || err.code === undefined) {
    return imageError("Unavailable", CANNOT_CONNECT, err);
  }
  if (err.code === GRPC_STATUS.CANCELLED) return imageError("Unavailable", "cancelled", err);
  const byCode = (Object.keys(KIND_STATUS) as ErrorKind[]).find((k) => KIND_STATUS[k] === err.code);
  return imageError(byCode ?? "Internal", err.details ?? "", err);
}

/** The `ImageError` of a unary reply whose `cc` is not 0. */
export function errorFromReply(
  cc: number,
  errmsg: string,
  md: MetadataReader | undefined,
): ImageError {
  const kind = kindFromMetadata(md) ?? (cc === CC_INPUT ? "InvalidArgument" : "Internal");
  return imageError(kind, errmsg);
}
