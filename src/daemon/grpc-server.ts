import { Server, ServerCredentials } from "@grpc/grpc-js";
import { imageError } from "../errors.ts";
import type { ImageService } from "../service/types.ts";
import { criImageApi, criRuntimeApi } from "./cri-api.ts";
import { ImageServiceService, RuntimeServiceService } from "./gen/cri.ts";
import { ImagesServiceService } from "./gen/images.ts";
import { parseHost } from "./hosts.ts";
import { imagesApi } from "./images-api.ts";
import { clearStaleSocket, removeSocket, secureSocket } from "./socket-files.ts";
import type { DaemonLogger, TlsMaterial } from "./types.ts";

export interface GrpcServerOptions {
  /** What every RPC calls (the daemon's `LocalImageService`). */
  service: ImageService;
  /** `unix:///abs/path` and `tcp://HOST:PORT` endpoints (`isulad -H`, daemon.json `hosts`). */
  hosts: string[];
  /** For `tcp://` endpoints: serve TLS and require a client certificate signed by `ca`. */
  tls?: TlsMaterial;
  /** Group given to unix sockets (name or gid) when it exists (iSulad's `group`). */
  socketGroup?: string | number;
  /** The graph folder: `ImageFsInfo` reports `<graph>/storage/overlay`. */
  graph?: string;
  /** What `RuntimeService.Version` reports as `runtime_version`. */
  runtimeVersion?: string;
  logger?: DaemonLogger;
  /** Aborting closes the server (as `close()`, with the default grace). */
  signal?: AbortSignal;
}

/** A running server: where it listens, and how to stop it. */
export interface GrpcServerHandle {
  /** The endpoints bound, `tcp://` ones with their actual port (`:0` picks one). */
  addresses: string[];
  /**
   * Stops accepting at once, lets calls in flight finish for up to `graceMs` (default 5000),
   * then cancels the rest, and removes the unix socket files. Safe to call more than once.
   */
  close(graceMs?: number): Promise<void>;
}

/**
 * Serves iSulad's `images.ImagesService`, CRI `runtime.v1.ImageService` and
 * `runtime.v1.RuntimeService/Version` on every host (DESIGN §2, reference §2).
 *
 * Unix sockets: a stale socket file (nothing answers) is removed first, a live one is
 * `AlreadyExists`; the socket is made 0660 and given `socketGroup` when that group exists
 * (a warning is logged otherwise). `tcp://` endpoints use TLS with client-certificate
 * verification when `tls` is given, and are plaintext (with a warning) otherwise.
 * Throws `InvalidArgument` for a host it cannot serve and `Unavailable` when a bind fails;
 * nothing stays bound after a failure. The caller owns `service` and closes it after `close()`.
 */
export async function startGrpcServer(opts: GrpcServerOptions): Promise<GrpcServerHandle> {
  const log: DaemonLogger = opts.logger ?? (() => {});
  if (opts.hosts.length === 0) throw imageError("InvalidArgument", "no host to listen on");
  const endpoints = opts.hosts.map(parseHost);

  const server = new Server({ "grpc.max_receive_message_length": 16 * 1024 * 1024 });
  server.addService(ImagesServiceService, imagesApi(opts.service, log));
  server.addService(ImageServiceService, criImageApi(opts.service, log, opts.graph));
  server.addService(RuntimeServiceService, criRuntimeApi(log, opts.runtimeVersion ?? "0.1.0"));

  const addresses: string[] = [];
  const sockets: string[] = [];
  try {
    for (const ep of endpoints) {
      if (ep.kind === "unix") {
        await clearStaleSocket(ep.path);
        await bind(server, `unix://${ep.path}`, ServerCredentials.createInsecure());
        sockets.push(ep.path);
        const warning = await secureSocket(ep.path, opts.socketGroup);
        if (warning) log("warn", warning);
        addresses.push(`unix://${ep.path}`);
      } else {
        const creds = opts.tls
          ? ServerCredentials.createSsl(
              opts.tls.ca,
              [{ cert_chain: opts.tls.cert, private_key: opts.tls.key }],
              true,
            )
          : ServerCredentials.createInsecure();
        if (!opts.tls)
          log("warn", `serving ${ep.address} without TLS: anyone who can connect may use it`);
        const port = await bind(server, `${ep.host}:${ep.port}`, creds);
        addresses.push(`tcp://${ep.host}:${port}`);
      }
      log("info", `listening on ${addresses.at(-1)}`);
    }
  } catch (err) {
    server.forceShutdown();
    await Promise.all(sockets.map(removeSocket));
    throw err;
  }

  let closing: Promise<void> | undefined;
  const close = (graceMs = 5000) => {
    closing ??= shutdown(server, graceMs).then(() =>
      Promise.all(sockets.map(removeSocket)).then(() => {}),
    );
    return closing;
  };
  opts.signal?.addEventListener("abort", () => void close(), { once: true });
  if (opts.signal?.aborted) await close();
  return { addresses, close };
}

function bind(server: Server, address: string, creds: ServerCredentials): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(address, creds, (err, port) => {
      if (err) reject(imageError("Unavailable", `listening on "${address}": ${err.message}`, err));
      else resolve(port);
    });
  });
}

function shutdown(server: Server, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, graceMs);
    server.tryShutdown(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
