import { type ServerWritableStream, status } from "@grpc/grpc-js";
import type { ImageService, PullProgress } from "../service/types.ts";
import type { PullImageRequest, PullImageResponse } from "./gen/images.ts";
import { asImageError, kindMetadata } from "./grpc-errors.ts";
import type { DaemonLogger } from "./types.ts";
import type { ProgressData } from "./wire-images.ts";

/** How often a progress snapshot is sent (iSulad: about every 100 ms). */
export const PROGRESS_INTERVAL_MS = 100;

/**
 * `images.ImagesService/PullImage` (reference §2.2). With `is_progress_visible`, a snapshot of
 * every layer's progress every `PROGRESS_INTERVAL_MS` while it changes, then a final message
 * whose `progress_data` carries `image` and whose `image_ref` is the normalised name; without,
 * only the final message. `image_id` (isulad-ts) carries the 64-hex ID. A failure is status
 * `UNKNOWN` with the message, as iSulad sends it, and the kind in trailing metadata. A client
 * that cancels aborts the pull, which then cleans up.
 */
export async function servePull(
  service: ImageService,
  log: DaemonLogger,
  call: ServerWritableStream<PullImageRequest, PullImageResponse>,
): Promise<void> {
  const req = call.request;
  const name = req.image?.image ?? "";
  const platform = req.platform || undefined;
  // The request's `auth` is ignored: iSulad's CLI never sets it, and CRI has its own PullImage.
  log("debug", `PullImage image=${name} progress=${req.isProgressVisible}`);

  const abort = new AbortController();
  call.on("cancelled", () => abort.abort(new Error("cancelled by the client")));
  const layers = new Map<string, PullProgress>();
  let changed = false;
  const send = (data: ProgressData, extra: Partial<PullImageResponse> = {}) =>
    call.write({
      imageRef: "",
      stream: "",
      progressData: Buffer.from(JSON.stringify(data)),
      imageId: "",
      ...extra,
    });
  const snapshot = (image?: string): ProgressData => ({
    ...(image !== undefined ? { image } : {}),
    progresses: [...layers.values()].map((p) => ({ ...p })),
  });
  const timer = req.isProgressVisible
    ? setInterval(() => {
        if (!changed || abort.signal.aborted) return;
        changed = false;
        send(snapshot());
      }, PROGRESS_INTERVAL_MS)
    : undefined;

  try {
    const result = await service.pull({
      name,
      ...(platform ? { platform } : {}),
      signal: abort.signal,
      ...(req.isProgressVisible
        ? {
            onProgress: (p: PullProgress) => {
              layers.set(p.id, p);
              changed = true;
            },
          }
        : {}),
    });
    clearInterval(timer);
    const data = req.isProgressVisible ? snapshot(result.name) : { progresses: [] };
    send(data, { imageRef: result.name, imageId: result.id });
    call.end();
  } catch (err) {
    clearInterval(timer);
    const e = asImageError(err);
    log("debug", `PullImage failed (${e.kind}): ${e.message}`);
    if (abort.signal.aborted) return;
    call.emit("error", {
      code: status.UNKNOWN,
      details: e.message,
      metadata: kindMetadata(e.kind),
    });
  }
}
