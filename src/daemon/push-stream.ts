import { type ServerWritableStream, status } from "@grpc/grpc-js";
import type { PushProgress as ServicePushProgress } from "../push/types.ts";
import type { ImageService } from "../service/types.ts";
import type { PushImageRequest, PushImageResponse, PushProgress } from "./gen/images.ts";
import { asImageError, kindMetadata } from "./grpc-errors.ts";
import { PROGRESS_INTERVAL_MS } from "./pull-stream.ts";
import type { DaemonLogger } from "./types.ts";

/**
 * `images.ImagesService/Push` (isulad-ts): every `PROGRESS_INTERVAL_MS` while anything changed,
 * the state of every layer seen so far (a layer's final state stays in every later snapshot, so
 * none is lost between snapshots); then a last message with the final states and the
 * manifest's `reference`, `digest` and `size`. A failure is status `UNKNOWN` with the message
 * and the kind in trailing metadata, as `PullImage` does. A client that cancels aborts the push.
 */
export async function servePush(
  service: ImageService,
  log: DaemonLogger,
  call: ServerWritableStream<PushImageRequest, PushImageResponse>,
): Promise<void> {
  const name = call.request.name;
  log("debug", `Push name=${name}`);
  const abort = new AbortController();
  call.on("cancelled", () => abort.abort(new Error("cancelled by the client")));
  const layers = new Map<string, ServicePushProgress>();
  let changed = false;
  const empty = { progresses: [], reference: "", digest: "", size: 0n, name: "" };
  const snapshot = (): PushProgress[] =>
    [...layers.values()].map((p) => ({
      id: p.id,
      current: BigInt(p.current),
      total: BigInt(p.total),
      status: p.status,
      from: p.from ?? "",
    }));
  const timer = setInterval(() => {
    if (!changed || abort.signal.aborted) return;
    changed = false;
    call.write({ ...empty, progresses: snapshot() });
  }, PROGRESS_INTERVAL_MS);

  try {
    const r = await service.push({
      name,
      signal: abort.signal,
      onProgress: (p) => {
        layers.set(p.id, p);
        changed = true;
      },
    });
    clearInterval(timer);
    call.write({
      progresses: snapshot(),
      reference: r.reference,
      digest: r.digest,
      size: BigInt(r.size),
      name: r.name,
    });
    call.end();
  } catch (err) {
    clearInterval(timer);
    const e = asImageError(err);
    log("debug", `Push failed (${e.kind}): ${e.message}`);
    if (abort.signal.aborted) return;
    call.emit("error", {
      code: status.UNKNOWN,
      details: e.message,
      metadata: kindMetadata(e.kind),
    });
  }
}
