import { imageError } from "../errors.ts";
import { CANNOT_CONNECT } from "../service/open.ts";
import type {
  HistoryItem,
  ImageService,
  ImageSummary,
  ImportRequest,
  ImportResult,
  ListRequest,
  LoadRequest,
  LoadResult,
  LoginRequest,
  LogoutRequest,
  PruneRequest,
  PruneResult,
  PullProgress,
  PullRequest,
  PullResult,
  PushProgress,
  PushRequest,
  PushResult,
  RemoveRequest,
  RemoveResult,
  SaveRequest,
  SearchRequest,
  SearchResult,
} from "../service/types.ts";
import { cannotConnectMessage } from "./connect-failure.ts";
import { ImagesServiceDefinition } from "./gen-client/images.ts";
import {
  type ClientTls,
  GrpcCallError,
  type GrpcCallOptions,
  GrpcLiteChannel,
  type GrpcMetadata,
  type GrpcMethod,
} from "./grpc-lite-client.ts";
import { liteMethods } from "./grpc-lite-methods.ts";
import { parseHost } from "./hosts.ts";
import { errorFromReply, errorFromStatus } from "./wire-errors.ts";
import {
  filtersToWire,
  parseProgressData,
  progressEvent,
  rowsToSummaries,
  summariesFromJson,
} from "./wire-images.ts";
import { historyFromWire, pruneFromWire } from "./wire-maintenance.ts";

// Messages and paths come from gen-client (no grpc-js): `isula` starts faster (issue #4).
const Api = liteMethods(ImagesServiceDefinition);

export interface DaemonClientOptions {
  /** For `tcp://` hosts: the CA to trust and our client certificate (unix sockets ignore it). */
  tls?: ClientTls;
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
  readonly #host: string;
  readonly #tls: boolean;

  /** Throws `InvalidArgument` for an address it cannot use; connects on the first call. */
  constructor(host: string, opts: DaemonClientOptions = {}) {
    const ep = parseHost(host);
    const target =
      ep.kind === "unix"
        ? { kind: "unix" as const, path: ep.path }
        : { kind: "tcp" as const, host: ep.host, port: ep.port, tls: opts.tls };
    this.#channel = new GrpcLiteChannel(target, MAX_RECEIVE_LENGTH);
    this.#host = host;
    this.#tls = ep.kind === "tcp" && opts.tls !== undefined;
  }

  async load(req: LoadRequest): Promise<LoadResult> {
    const type = req.type === "embedded" ? "embedded" : "oci";
    const request = { file: req.file, type, tag: req.tag ?? "" };
    const res = await this.#unary(Api.load, request, { signal: req.signal });
    return { images: res.images.map((i) => ({ id: i.id, names: i.names })) };
  }

  async list(req: ListRequest): Promise<ImageSummary[]> {
    const request = { ...filtersToWire(req.filters), wantSummariesJson: true };
    const res = await this.#unary(Api.list, request);
    // A daemon that predates `summaries_json` ignores the request for it and sends rows.
    if (res.summariesJson.length === 0) return rowsToSummaries(res.images);
    try {
      return summariesFromJson(res.summariesJson);
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      throw imageError("Internal", `reading the image list from the daemon: ${why}`, err);
    }
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

  async history(name: string): Promise<HistoryItem[]> {
    const res = await this.#unary(Api.history, { name });
    return historyFromWire(res.items);
  }

  async prune(req: PruneRequest): Promise<PruneResult> {
    const res = await this.#unary(Api.prune, { all: req.all });
    return pruneFromWire(res.items, res.reclaimed);
  }

  /** The daemon reads `req.file` itself, as for `load`: it must be a path it can open. */
  async importImage(req: ImportRequest): Promise<ImportResult> {
    const request = { file: req.file, name: req.name ?? "" };
    const res = await this.#unary(Api.import, request, { signal: req.signal });
    return { id: res.id };
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
      throw this.#errorOfCall(err);
    }
    if (result) return result;
    throw errorFromStatus({ code: 2, details: "the daemon sent no image reference" });
  }

  /** Streams `Push`: each layer's state changes reach `onProgress` once. */
  async push(req: PushRequest): Promise<PushResult> {
    const seen = new Map<string, string>();
    let result: PushResult | undefined;
    try {
      await this.#channel.serverStream(
        Api.push,
        { name: req.name },
        (msg) => {
          for (const w of msg.progresses) {
            const p: PushProgress = {
              id: w.id,
              current: Number(w.current),
              total: Number(w.total),
              status: pushStatusOf(w.status),
              ...(w.from ? { from: w.from } : {}),
            };
            const key = `${p.status}|${p.current}`;
            if (seen.get(p.id) === key) continue;
            seen.set(p.id, key);
            req.onProgress?.(p);
          }
          if (msg.digest) {
            const digest = msg.digest as PushResult["digest"];
            const size = Number(msg.size);
            result = { name: msg.name, reference: msg.reference, digest, size };
          }
        },
        { signal: req.signal },
      );
    } catch (err) {
      throw this.#errorOfCall(err);
    }
    if (result) return result;
    throw errorFromStatus({ code: 2, details: "the daemon sent no manifest digest" });
  }

  async search(req: SearchRequest): Promise<SearchResult[]> {
    const wire = filtersToWire(req.filters);
    const request = { searchName: req.term, limit: req.limit, ...wire };
    const res = await this.#unary(Api.search, request, { signal: req.signal });
    return res.searchResult.map((r) => ({ ...r, starCount: Number(r.starCount) }));
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
      throw this.#errorOfCall(err);
    }
    const { message, metadata } = reply;
    if (message.cc === 0) return message;
    throw errorFromReply(message.cc, message.errmsg, metadata);
  }

  /**
   * The `ImageError` of a failed call; anything but a `GrpcCallError` is a bug and rethrown. A
   * call that reached no daemon says why when it can (TLS, `connect-failure.ts`).
   */
  #errorOfCall(err: unknown): unknown {
    if (!(err instanceof GrpcCallError)) return err;
    // The error itself becomes the cause of the `ImageError`.
    const e = errorFromStatus(err);
    if (e.kind !== "Unavailable" || e.message !== CANNOT_CONNECT) return e;
    return imageError("Unavailable", cannotConnectMessage(this.#host, err.cause, this.#tls), err);
  }
}

const PUSH_STATUSES = new Set(["preparing", "waiting", "pushed", "exists", "mounted", "skipped"]);

function pushStatusOf(s: string): PushProgress["status"] {
  return PUSH_STATUSES.has(s) ? (s as PushProgress["status"]) : "pushing";
}
