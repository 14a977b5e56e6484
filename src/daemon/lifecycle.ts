import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { hasCode } from "../errors.ts";
import { ImageStore } from "../image/image-store.ts";
import { buildLocalService } from "../service/build-local-service.ts";
import type { ImageService } from "../service/types.ts";
import type { DaemonConfig } from "./config.ts";
import type { GrpcServerHandle, GrpcServerOptions } from "./grpc-server.ts";
import { checkImageLayers } from "./lifecycle-layer-check.ts";
import { acquireLock, type HeldLock } from "./lifecycle-lock.ts";
import type { DaemonLog } from "./log.ts";
import { trackRequests } from "./log-requests.ts";

/** `startGrpcServer` of `grpc-server.ts`, injected so tests can run a stub server. */
export type StartServer = (opts: GrpcServerOptions) => Promise<GrpcServerHandle>;

/** A running daemon; `stop()` is its clean shutdown (idempotent). */
export interface RunningDaemon {
  addresses: string[];
  stop(graceMs?: number): Promise<void>;
}

/** How long in-flight requests get at shutdown before they are cancelled. */
export const DEFAULT_GRACE_MS = 10_000;

/**
 * Starts the daemon (see README.md, "Start-up and shutdown"): locks, pid file, NEED_CHECK, store
 * (whose open removes crash leftovers), the optional layer check, then the server on every
 * host with sockets 0660. On failure everything taken so far is given back and the error is
 * thrown (`FailedPrecondition` when another daemon holds the graph or state).
 */
export async function startDaemon(
  config: DaemonConfig,
  deps: { startServer: StartServer; logger: DaemonLog },
): Promise<RunningDaemon> {
  const { logger } = deps;
  const undo: (() => void)[] = [];
  const rollback = () => {
    for (const fn of undo.reverse()) fn();
  };
  try {
    const locks = takeLocks(config);
    undo.push(() => {
      for (const l of locks) l.release();
    });
    writePidFile(config.pidfile);
    undo.push(() => removePidFile(config.pidfile));
    const needCheck = join(config.graph, "storage", "NEED_CHECK");
    const unclean = markRunning(needCheck);
    if (unclean) logger.log("WARN", "previous isulad did not shut down cleanly");

    const store = ImageStore.open({ graph: config.graph });
    undo.push(() => store.close());
    logger.log("INFO", `store opened at "${store.root}" (crash leftovers removed)`);
    const recovery = keepRecovering(store, logger);
    undo.push(() => clearInterval(recovery));
    if (unclean && config.imageLayerCheck) await runLayerCheck(store, logger);

    const registryDebug = (line: string) => logger.log("DEBUG", line);
    const registryWarn = (line: string) => logger.log("WARN", line);
    const service = buildLocalService(store, { ...config, registryDebug, registryWarn });
    const tracked = trackRequests(service, logger);
    const controller = new AbortController();
    const server = await listen(config, deps, tracked.service, controller.signal);
    logger.log("INFO", `isulad started (pid ${process.pid}), listening on ${server.addresses}`);

    let stopping: Promise<void> | undefined;
    const stop = (graceMs = DEFAULT_GRACE_MS) => {
      stopping ??= (async () => {
        logger.log("INFO", "isulad stopping: no new requests, waiting for in-flight ones");
        const timer = setTimeout(() => controller.abort(), graceMs);
        await server.close(graceMs);
        if (!(await tracked.settled(graceMs))) controller.abort();
        await tracked.settled(graceMs);
        clearTimeout(timer);
        rollback(); // store, pid file, locks
        removeFile(needCheck);
        logger.log("INFO", "isulad stopped cleanly");
      })();
      return stopping;
    };
    return { addresses: server.addresses, stop };
  } catch (err) {
    rollback();
    throw err;
  }
}

/** How often the daemon settles what direct-mode processes killed mid-change left. */
const RECOVERY_INTERVAL_MS = 1000;

/**
 * Re-runs the store's start-up cleanup every {@link RECOVERY_INTERVAL_MS}: a direct-mode `isula`
 * killed inside an `rmi` transaction leaves files in the trash that the records still name,
 * and the daemon, which opened the store long before, must not serve those images broken.
 */
function keepRecovering(store: ImageStore, logger: DaemonLog): NodeJS.Timeout {
  const timer = setInterval(() => {
    try {
      store.recover();
    } catch (err) {
      logger.log("WARN", `store cleanup: ${err instanceof Error ? err.message : String(err)}`);
    }
  }, RECOVERY_INTERVAL_MS);
  timer.unref();
  return timer;
}

/** One lock on the state directory (socket, pid file) and one per graph (the store). */
function takeLocks(config: DaemonConfig): HeldLock[] {
  const graphKey = createHash("sha256").update(config.graph).digest("hex").slice(0, 16);
  const state = acquireLock(config.state, "isulad.lock", `state "${config.state}"`);
  try {
    const storage = join(config.graph, "storage");
    return [state, acquireLock(storage, "isulad.lock", `graph "${config.graph}" (${graphKey})`)];
  } catch (err) {
    state.release();
    throw err;
  }
}

async function runLayerCheck(store: ImageStore, logger: DaemonLog): Promise<void> {
  logger.log("INFO", "image-layer-check: verifying stored images after an unclean shutdown");
  const result = await checkImageLayers(store);
  for (const r of result.removed) {
    logger.log("WARN", `image-layer-check: removed image "${r.id}" ${r.names}: ${r.reason}`);
  }
  logger.log(
    "INFO",
    `image-layer-check: ${result.checkedImages} images, ${result.checkedBlobs} blobs checked, ` +
      `${result.removed.length} removed`,
  );
}

/**
 * Starts the server on every host. It removes stale socket files, makes sockets 0660 with the
 * configured group, and removes them on close. The umask keeps each socket 0600 between its
 * bind and that chmod, so nobody else can connect in between.
 */
async function listen(
  config: DaemonConfig,
  deps: { startServer: StartServer; logger: DaemonLog },
  service: ImageService,
  signal: AbortSignal,
): Promise<GrpcServerHandle> {
  for (const host of config.hosts) {
    if (host.startsWith("unix://")) mkdirSync(dirname(host.slice(7)), { recursive: true });
  }
  const umask = process.umask(0o177);
  try {
    return await deps.startServer({
      service,
      hosts: config.hosts,
      ...(config.tls ? { tls: readTls(config.tls) } : {}),
      socketGroup: config.group,
      graph: config.graph,
      logger: (level, msg) => deps.logger.log(level, msg),
      signal,
    });
  } finally {
    process.umask(umask);
  }
}

function readTls(tls: NonNullable<DaemonConfig["tls"]>) {
  return { ca: readFileSync(tls.ca), cert: readFileSync(tls.cert), key: readFileSync(tls.key) };
}

/** Notes whether the flag file exists (an unclean shutdown), then creates it (0600). */
function markRunning(path: string): boolean {
  const existed = existsSync(path);
  writeFileSync(path, `${process.pid}\n`, { mode: 0o600 });
  return existed;
}

function writePidFile(path: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
  writeFileSync(path, `${process.pid}\n`, { mode: 0o644 });
}

/** Removes the pid file if it still names us. */
function removePidFile(path: string): void {
  try {
    if (readFileSync(path, "utf8").trim() === String(process.pid)) unlinkSync(path);
  } catch (err) {
    if (!hasCode(err, "ENOENT")) throw err;
  }
}

function removeFile(path: string): void {
  try {
    unlinkSync(path);
  } catch (err) {
    if (!hasCode(err, "ENOENT")) throw err;
  }
}
