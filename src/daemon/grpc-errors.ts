import { Metadata } from "@grpc/grpc-js";
import type { ErrorKind } from "../errors.ts";
import { ERROR_KIND_KEY } from "./wire-errors.ts";

// The server's side of the error mapping; the rules and the shared half are in wire-errors.ts,
// which the CLI's client uses without loading grpc-js.
export {
  asImageError,
  CC_EXEC,
  CC_INPUT,
  ccOf,
  ERROR_KIND_KEY,
  errorFromReply,
  errorFromStatus,
  kindFromMetadata,
  statusOfKind,
} from "./wire-errors.ts";

/** Trailing metadata carrying `kind`, for grpc-js. */
export function kindMetadata(kind: ErrorKind): Metadata {
  const md = new Metadata();
  md.set(ERROR_KIND_KEY, kind);
  return md;
}
