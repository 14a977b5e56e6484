import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openLocalService } from "../../service/open.ts";
import type { ImageService } from "../../service/types.ts";
import { DaemonImageService } from "../daemon-client.ts";
import { type GrpcServerHandle, startGrpcServer } from "../grpc-server.ts";

/** A store in a temp dir served on a unix socket, with a client of it and the local service. */
export interface DaemonFixture {
  dir: string;
  env: Record<string, string | undefined>;
  graph: string;
  /** `unix://<dir>/isulad.sock`. */
  host: string;
  /** The daemon's own service (direct access to the same store). */
  local: ImageService;
  server: GrpcServerHandle;
  /** A `DaemonImageService` on `host`. */
  client: DaemonImageService;
  /** Debug log lines of the server. */
  logs: string[];
  stop(): Promise<void>;
}

/**
 * Starts a fixture. `daemonJson` keys are merged into the daemon.json (registry settings);
 * `certsDir` is copied to the certs.d folder beside it.
 */
export async function startDaemonFixture(
  opts: { daemonJson?: Record<string, unknown>; certsDir?: string } = {},
): Promise<DaemonFixture> {
  const dir = mkdtempSync(join(tmpdir(), "isulad-grpc-"));
  const graph = join(dir, "graph");
  for (const sub of ["graph", "state", "home"]) mkdirSync(join(dir, sub));
  const config = join(dir, "daemon.json");
  writeFileSync(config, JSON.stringify({ graph, state: join(dir, "state"), ...opts.daemonJson }));
  if (opts.certsDir) cpSync(opts.certsDir, join(dir, "certs.d"), { recursive: true });
  const env = { ISULAD_CONFIG: config, HOME: join(dir, "home"), PATH: process.env.PATH };

  const local = await openLocalService(env);
  const logs: string[] = [];
  const host = `unix://${join(dir, "isulad.sock")}`;
  const server = await startGrpcServer({
    service: local,
    hosts: [host],
    graph,
    logger: (level, msg) => logs.push(`${level}: ${msg}`),
  });
  const client = new DaemonImageService(host);
  return {
    dir,
    env,
    graph,
    host,
    local,
    server,
    client,
    logs,
    async stop() {
      await client.close();
      await server.close(1000);
      await local.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
