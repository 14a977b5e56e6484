import { statSync } from "node:fs";
import { join } from "node:path";
import { imageError } from "../errors.ts";
import { clientTlsSettings, readClientTls, type TlsFlags } from "./client-tls.ts";
import type { ImageService } from "./types.ts";

export interface OpenServiceOptions {
  /** `-H` or `ISULAD_HOST`: the daemon to talk to. */
  host?: string;
  debug: boolean;
  /** `--tls`, `--tlsverify`, `--tlscacert`, `--tlscert`, `--tlskey` (for `tcp://` hosts). */
  tls?: TlsFlags;
  env?: Record<string, string | undefined>;
  /** How long the default socket may take to answer before direct mode is chosen (ms). */
  probeMs?: number;
  /** Direct mode: where a registry operation that carries on degraded says so (stderr). */
  warn?: (line: string) => void;
  /**
   * The command will unpack layers: in direct mode the layer workers start before the store
   * opens, so that their start-up (tens of ms each) overlaps loading SQLite, opening the store
   * and reading the input instead of delaying the first layer.
   */
  unpacksLayers?: boolean;
}

/** iSulad's text when no daemon answers; the CLI prints it verbatim. */
export const CANNOT_CONNECT =
  "Can not connect with server.Is the iSulad daemon running on the host?";

/** How long an explicit `-H` daemon may take to accept a connection (ms). */
const EXPLICIT_PROBE_MS = 2000;

/**
 * The service the CLI talks to (DESIGN §2):
 * - `-H`/`ISULAD_HOST`: the daemon at that address; `Unavailable` with iSulad's "Can not
 *   connect" text when nothing accepts a connection there;
 * - neither: the daemon on the default socket (`defaultDaemonHost`) if one accepts a
 *   connection within `probeMs` (50 ms), else direct mode on the store that daemon.json
 *   (`ISULAD_CONFIG`) places.
 * Heavy modules (grpc-js, SQLite, the archive code) are loaded only on the path that uses
 * them, so `isula --help` stays fast. Throws `InvalidArgument` for a bad daemon.json.
 */
export async function openService(opts: OpenServiceOptions): Promise<ImageService> {
  const env = opts.env ?? process.env;
  const host = opts.host ?? (env.ISULAD_HOST || undefined);
  if (host !== undefined) {
    if (!(await endpointAnswers(host, EXPLICIT_PROBE_MS))) {
      throw imageError("Unavailable", CANNOT_CONNECT);
    }
    return openDaemon(host, env, opts.tls);
  }

  const { resolveStorePaths } = await import("../config/paths.ts");
  const paths = resolveStorePaths(env);
  const socket = defaultDaemonHost(paths.state);
  if (await endpointAnswers(socket, opts.probeMs ?? 50)) return openDaemon(socket, env, opts.tls);

  if (opts.unpacksLayers) {
    const [{ prestartWorkers }, { LAYER_PARALLELISM }] = await Promise.all([
      import("../layer/worker-pool.ts"),
      import("../archive/prepare-layers.ts"),
    ]);
    prestartWorkers(LAYER_PARALLELISM);
  }
  return openLocalService(env, opts.warn);
}

/**
 * Direct mode: the in-process service on the store, certs.d and credentials that daemon.json
 * (`ISULAD_CONFIG`) and the environment place; the daemon serves the same. The caller closes it.
 * Throws `InvalidArgument` for a bad daemon.json.
 */
export async function openLocalService(
  env: Record<string, string | undefined> = process.env,
  warn?: (line: string) => void,
): Promise<ImageService> {
  const [{ resolveStorePaths }, { readRegistryConfig }, { ImageStore }, { buildLocalService }] =
    await Promise.all([
      import("../config/paths.ts"),
      import("../config/registry-config.ts"),
      import("../image/image-store.ts"),
      import("./build-local-service.ts"),
    ]);
  const paths = resolveStorePaths(env);
  return buildLocalService(ImageStore.open({ graph: paths.graph }), {
    certsDir: paths.certsDir,
    authDir: paths.authDir,
    dockerConfigDir: paths.dockerConfigDir,
    registry: readRegistryConfig(paths.configFile),
    ...(warn && { registryWarn: warn }),
  });
}

/**
 * The socket `isula` tries when neither `-H` nor `ISULAD_HOST` is given, and `isulad` listens
 * on without `hosts`: iSulad's `unix:///var/run/isulad.sock` for root; for other users
 * `unix://<state>/isulad.sock` (their state folder is private, /var/run is not writable).
 */
export function defaultDaemonHost(state: string): string {
  const root = typeof process.getuid === "function" && process.getuid() === 0;
  return root ? "unix:///var/run/isulad.sock" : `unix://${join(state, "isulad.sock")}`;
}

// The daemon client is the one upward import of this layer (DESIGN §2 puts mode selection
// here): dynamic, so that direct mode never loads grpc-js.
async function openDaemon(
  host: string,
  env: Record<string, string | undefined>,
  flags: TlsFlags = {},
) {
  const { DaemonImageService } = await import("../daemon/daemon-client.ts");
  // TLS applies to tcp:// only, as in iSulad; the flags are ignored for unix sockets.
  const settings = host.startsWith("tcp://") ? clientTlsSettings(flags, env) : undefined;
  return new DaemonImageService(host, settings ? { tls: readClientTls(settings) } : {});
}

/**
 * True when something accepts a connection at `host` within `timeoutMs`. A unix socket that
 * does not exist is false without trying, so direct mode costs one `stat`.
 */
async function endpointAnswers(host: string, timeoutMs: number): Promise<boolean> {
  let target: { path: string } | { host: string; port: number };
  if (host.startsWith("unix://")) {
    const path = host.slice("unix://".length);
    try {
      if (!statSync(path).isSocket()) return false;
    } catch {
      return false;
    }
    target = { path };
  } else {
    const m = /^tcp:\/\/\[?([^\]]+?)\]?:(\d+)$/.exec(host);
    if (!m) return false;
    target = { host: m[1] as string, port: Number(m[2]) };
  }
  const { connectionAnswers } = await import("./endpoint-answers.ts");
  return connectionAnswers(target, timeoutMs);
}
