import type { handleUnaryCall, ServerUnaryCall } from "@grpc/grpc-js";
import { asImageError, ccOf, kindMetadata, statusOfKind } from "./grpc-errors.ts";
import type { DaemonLogger } from "./types.ts";

/** What one unary RPC does: a log line for the request, the work, the failure reply. */
export interface UnarySpec<Req, Res> {
  /** The request for the debug log; must leave out credentials. */
  describe: (req: Req) => string;
  /** The work; `signal` aborts when the client cancels or goes away. */
  run: (req: Req, signal: AbortSignal) => Promise<Res>;
  /**
   * iSulad's failure reply (`cc`, `errmsg`), sent with gRPC OK and the kind in trailing
   * metadata. Without it a failure is a gRPC status of the kind (CRI).
   */
  failed?: (cc: number, errmsg: string) => Res;
}

/**
 * A grpc-js unary handler for `spec`: logs the request at debug as `<rpc> <describe>`, runs it
 * with an AbortSignal tied to the call, and turns any thrown error into the reply or status of
 * `grpc-errors.ts`. Never throws into grpc-js.
 */
export function unaryHandler<Req, Res>(
  log: DaemonLogger,
  rpc: string,
  spec: UnarySpec<Req, Res>,
): handleUnaryCall<Req, Res> {
  return (call, callback) => {
    log("debug", `${rpc} ${spec.describe(call.request)}`);
    const abort = abortOnCancel(call);
    spec.run(call.request, abort.signal).then(
      (res) => callback(null, res),
      (err: unknown) => {
        const e = asImageError(err);
        log("debug", `${rpc} failed (${e.kind}): ${e.message}`);
        const md = kindMetadata(e.kind);
        if (spec.failed) callback(null, spec.failed(ccOf(e), e.message), md);
        else callback({ code: statusOfKind(e.kind), details: e.message, metadata: md });
      },
    );
  };
}

/** An AbortController aborted when the client cancels `call` (or its connection drops). */
export function abortOnCancel(call: Pick<ServerUnaryCall<unknown, unknown>, "on">) {
  const abort = new AbortController();
  call.on("cancelled", () => abort.abort(new Error("cancelled by the client")));
  return abort;
}
