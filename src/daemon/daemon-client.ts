import {
  type ChannelCredentials,
  type ClientUnaryCall,
  credentials,
  type Metadata,
  type ServiceError,
} from "@grpc/grpc-js";
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
import {
  type DeleteImageResponse,
  ImagesServiceClient,
  type InspectImageResponse,
  type ListImagesResponse,
  type LoadImageResponse,
} from "./gen/images.ts";
import { errorFromReply, errorFromStatus } from "./grpc-errors.ts";
import { parseHost } from "./hosts.ts";
import type { TlsMaterial } from "./types.ts";
import { filtersToWire, parseProgressData, progressEvent, rowsToSummaries } from "./wire-images.ts";

export interface DaemonClientOptions {
  /** For `tcp://` hosts: the CA to trust and our client certificate (unix sockets ignore it). */
  tls?: TlsMaterial;
}

type Callback<Res> = (err: ServiceError | null, res?: Res) => void;

/**
 * The `ImageService` of daemon mode (DESIGN §2): every call is one RPC of iSulad's
 * `images.ImagesService` on `host` (`unix:///abs/path` or `tcp://HOST:PORT`), and every failure
 * is rebuilt as the `ImageError` the daemon's service threw (same kind, same message), so the CLI
 * prints the same lines in both modes. A daemon that does not answer is `Unavailable` with
 * iSulad's "Can not connect" text. Pull progress arrives through `onProgress` (snapshots about
 * every 100 ms); aborting a request's `signal` cancels its RPC. Safe for concurrent calls;
 * `close()` ends the channel.
 */
export class DaemonImageService implements ImageService {
  readonly #client: ImagesServiceClient;

  /** Throws `InvalidArgument` for an address it cannot use; connects on the first call. */
  constructor(host: string, opts: DaemonClientOptions = {}) {
    const ep = parseHost(host);
    const target = ep.kind === "unix" ? `unix://${ep.path}` : `${ep.host}:${ep.port}`;
    const creds: ChannelCredentials =
      ep.kind === "tcp" && opts.tls
        ? credentials.createSsl(opts.tls.ca, opts.tls.key, opts.tls.cert)
        : credentials.createInsecure();
    this.#client = new ImagesServiceClient(target, creds, {
      "grpc.max_receive_message_length": 64 * 1024 * 1024,
    });
  }

  async load(req: LoadRequest): Promise<LoadResult> {
    const type = req.type === "embedded" ? "embedded" : "oci";
    const res = await this.#unary<LoadImageResponse>(
      (cb) => this.#client.load({ file: req.file, type, tag: req.tag ?? "" }, cb),
      req.signal,
    );
    return { images: res.images.map((i) => ({ id: i.id, names: i.names })) };
  }

  async list(req: ListRequest): Promise<ImageSummary[]> {
    const res = await this.#unary<ListImagesResponse>((cb) =>
      this.#client.list(filtersToWire(req.filters), cb),
    );
    return rowsToSummaries(res.images);
  }

  async inspect(name: string): Promise<unknown> {
    const res = await this.#unary<InspectImageResponse>((cb) =>
      this.#client.inspect({ id: name, bformat: false, timeout: 0 }, cb),
    );
    return JSON.parse(res.ImageJSON) as unknown;
  }

  async remove(req: RemoveRequest): Promise<RemoveResult> {
    const res = await this.#unary<DeleteImageResponse>((cb) =>
      this.#client.delete({ name: req.name, force: req.force }, cb),
    );
    return { action: res.action === "untagged" ? "untagged" : "deleted", id: res.id };
  }

  async tag(source: string, target: string): Promise<void> {
    await this.#unary((cb) => this.#client.tag({ srcName: source, destName: target }, cb));
  }

  async save(req: SaveRequest): Promise<void> {
    await this.#unary(
      (cb) => this.#client.save({ names: req.names, output: req.output }, cb),
      req.signal,
    );
  }

  async login(req: LoginRequest): Promise<void> {
    const { server, username, password } = req;
    await this.#unary((cb) => this.#client.login({ server, username, password, type: "oci" }, cb));
  }

  async logout(req: LogoutRequest): Promise<void> {
    await this.#unary((cb) => this.#client.logout({ server: req.server, type: "oci" }, cb));
  }

  /**
   * Streams `PullImage`. `credentials` are not sent: iSulad's API takes none from `isula`
   * (the daemon uses its stored ones); CRI clients pass theirs through CRI.
   */
  pull(req: PullRequest): Promise<PullResult> {
    const onProgress = req.onProgress;
    const call = this.#client.pullImage({
      image: { image: req.name, annotations: {} },
      isProgressVisible: onProgress !== undefined,
      platform: req.platform ?? "",
    });
    const seen = new Map<string, string>();
    const report = (p: PullProgress) => {
      const key = `${p.status}|${p.current}|${p.total}`;
      if (seen.get(p.id) === key) return;
      seen.set(p.id, key);
      onProgress?.(p);
    };
    return new Promise((resolve, reject) => {
      let result: PullResult | undefined;
      const onAbort = () => call.cancel();
      req.signal?.addEventListener("abort", onAbort, { once: true });
      call.on("data", (msg) => {
        for (const p of parseProgressData(msg.progressData).progresses) report(progressEvent(p));
        if (msg.imageRef) result = { name: msg.imageRef, id: msg.imageId };
      });
      call.on("error", (err: ServiceError) => {
        req.signal?.removeEventListener("abort", onAbort);
        reject(errorFromStatus(err));
      });
      call.on("end", () => {
        req.signal?.removeEventListener("abort", onAbort);
        if (result) resolve(result);
        else reject(errorFromStatus({ code: 2, details: "the daemon sent no image reference" }));
      });
    });
  }

  async close(): Promise<void> {
    this.#client.close();
  }

  /**
   * One unary call: resolves with the reply when `cc` is 0; otherwise rejects with the
   * `ImageError` of `cc`/`errmsg` and the kind in the trailers; a failed call rejects with the
   * error of its status.
   */
  #unary<Res extends { cc: number; errmsg: string }>(
    start: (cb: Callback<Res>) => ClientUnaryCall,
    signal?: AbortSignal,
  ): Promise<Res> {
    signal?.throwIfAborted();
    return new Promise((resolve, reject) => {
      let reply: Res | undefined;
      let trailers: Metadata | undefined;
      const settle = () => {
        signal?.removeEventListener("abort", onAbort);
        if (reply === undefined) return;
        if (reply.cc === 0) resolve(reply);
        else reject(errorFromReply(reply.cc, reply.errmsg, trailers));
      };
      const call = start((err, res) => {
        if (err) {
          signal?.removeEventListener("abort", onAbort);
          reject(errorFromStatus(err));
          return;
        }
        reply = res;
        // The trailers come with the `status` event, emitted right after this callback.
        setImmediate(settle);
      });
      call.on("status", (s) => {
        trailers = s.metadata;
        settle();
      });
      const onAbort = () => call.cancel();
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }
}
