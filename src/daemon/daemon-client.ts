import type { Metadata, ServiceError } from "@grpc/grpc-js";
import type {
  ImageService,
  ImageSummary,
  ListRequest,
  LoadRequest,
  LoadResult,
  LoginRequest,
  LogoutRequest,
  PullProgress,
  PullRequest,
  PullResult,
  RemoveRequest,
  RemoveResult,
  SaveRequest,
} from "../service/types.ts";
import { ImagesServiceService as Api } from "./gen/images.ts";
import { errorFromReply, errorFromStatus } from "./grpc-errors.ts";
import {
  GrpcCallError,
  type GrpcCallOptions,
  GrpcLiteChannel,
  type GrpcMetadata,
  type GrpcMethod,
} from "./grpc-lite-client.ts";
import { parseHost } from "./hosts.ts";
import type { TlsMaterial } from "./types.ts";
import { filtersToWire, parseProgressData, progressEvent, rowsToSummaries } from "./wire-images.ts";

export interface DaemonClientOptions {
  /** For `tcp://` hosts: the CA to trust and our client certificate (unix sockets ignore it). */
  tls?: TlsMaterial;
}

/** The largest reply we accept: a list of many images with their descriptors. */
const MAX_RECEIVE_LENGTH = 64 * 1024 * 1024;

/**
 * The `ImageService` of daemon mode (DESIGN §2): every call is one RPC of iSulad's
 * `images.ImagesService` on `host` (`unix:///abs/path` or `tcp://HOST:PORT`), and every failure
 * is rebuilt as the `ImageError` the daemon's service threw (same kind, same message), so the CLI
 * prints the same lines in both modes. A daemon that does not answer is `Unavailable` with
 * iSulad's "Can not connect" text. Pull progress arrives through `onProgress` (snapshots about
 * every 100 ms); aborting a request's `signal` cancels its RPC. Safe for concurrent calls;
 * `close()` ends the connection. Calls go through `GrpcLiteChannel`, not grpc-js (issue #4).
 */
export class DaemonImageService implements ImageService {
  readonly #channel: GrpcLiteChannel;

  /** Throws `InvalidArgument` for an address it cannot use; connects on the first call. */
  constructor(host: string, opts: DaemonClientOptions = {}) {
    const ep = parseHost(host);
    const target =
      ep.kind === "unix"
        ? { kind: "unix" as const, path: ep.path }
        : { kind: "tcp" as const, host: ep.host, port: ep.port, tls: opts.tls };
    this.#channel = new GrpcLiteChannel(target, MAX_RECEIVE_LENGTH);
  }

  async load(req: LoadRequest): Promise<LoadResult> {
    const type = req.type === "embedded" ? "embedded" : "oci";
    const request = { file: req.file, type, tag: req.tag ?? "" };
    const res = await this.#unary(Api.load, request, { signal: req.signal });
    return { images: res.images.map((i) => ({ id: i.id, names: i.names })) };
  }

  async list(req: ListRequest): Promise<ImageSummary[]> {
    const res = await this.#unary(Api.list, filtersToWire(req.filters));
    return rowsToSummaries(res.images);
  }

  async inspect(name: string): Promise<unknown> {
    const res = await this.#unary(Api.inspect, { id: name, bformat: false, timeout: 0 });
    return JSON.parse(res.ImageJSON) as unknown;
  }

  async remove(req: RemoveRequest): Promise<RemoveResult> {
    const res = await this.#unary(Api.delete, { name: req.name, force: req.force });
    return { action: res.action === "untagged" ? "untagged" : "deleted", id: res.id };
  }

  async tag(source: string, target: string): Promise<void> {
    await this.#unary(Api.tag, { srcName: source, destName: target });
  }

  async save(req: SaveRequest): Promise<void> {
    await this.#unary(Api.save, { names: req.names, output: req.output }, { signal: req.signal });
  }

  async login(req: LoginRequest): Promise<void> {
    const { server, username, password } = req;
    await this.#unary(Api.login, { server, username, password, type: "oci" });
  }

  async logout(req: LogoutRequest): Promise<void> {
    await this.#unary(Api.logout, { server: req.server, type: "oci" });
  }

  /**
   * Streams `PullImage`. `credentials` are not sent: iSulad's API takes none from `isula`
   * (the daemon uses its stored ones); CRI clients pass theirs through CRI.
   */
  async pull(req: PullRequest): Promise<PullResult> {
    const onProgress = req.onProgress;
    const seen = new Map<string, string>();
    const report = (p: PullProgress) => {
      const key = `${p.status}|${p.current}|${p.total}`;
      if (seen.get(p.id) === key) return;
      seen.set(p.id, key);
      onProgress?.(p);
    };
    const request = {
      image: { image: req.name, annotations: {} },
      isProgressVisible: onProgress !== undefined,
      platform: req.platform ?? "",
    };

    let result: PullResult | undefined;
    try {
      await this.#channel.serverStream(
        Api.pullImage,
        request,
        (msg) => {
          for (const p of parseProgressData(msg.progressData).progresses) report(progressEvent(p));
          if (msg.imageRef) result = { name: msg.imageRef, id: msg.imageId };
        },
        { signal: req.signal },
      );
    } catch (err) {
      throw errorOfCall(err);
    }
    if (result) return result;
    throw errorFromStatus({ code: 2, details: "the daemon sent no image reference" });
  }

  async close(): Promise<void> {
    this.#channel.close();
  }

  /**
   * One unary call: resolves with the reply when `cc` is 0; otherwise rejects with the
   * `ImageError` of `cc`/`errmsg` and the kind in the trailers; a failed call rejects with the
   * error of its status.
   */
  async #unary<Req, Res extends { cc: number; errmsg: string }>(
    method: GrpcMethod<Req, Res>,
    request: Req,
    opts: GrpcCallOptions = {},
  ): Promise<Res> {
    opts.signal?.throwIfAborted();
    let reply: { message: Res; metadata: GrpcMetadata };
    try {
      reply = await this.#channel.unary(method, request, opts);
    } catch (err) {
      throw errorOfCall(err);
    }
    const { message, metadata } = reply;
    if (message.cc === 0) return message;
    throw errorFromReply(message.cc, message.errmsg, asMetadata(metadata));
  }
}

/** The `ImageError` of a failed call; anything but a `GrpcCallError` is a bug and rethrown. */
function errorOfCall(err: unknown): unknown {
  // grpc-errors.ts reads `code`, `details` and `metadata.get(key)`, which a `GrpcCallError`
  // has with grpc-js's meaning; the error itself becomes the cause.
  return err instanceof GrpcCallError ? errorFromStatus(err as unknown as ServiceError) : err;
}

// As above: `GrpcMetadata` is read only through `get(key)`.
function asMetadata(md: GrpcMetadata): Metadata {
  return md as unknown as Metadata;
}
