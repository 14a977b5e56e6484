// A test-only daemon: opens the store daemon.json places (`ISULAD_CONFIG`, as `isula` does in
// direct mode) and serves it with `startGrpcServer` on the hosts given as arguments, until
// SIGTERM or SIGINT. Prints `ready <address>...` on stdout once listening. Run it as
// `node --import tsx test/helpers/daemon-launcher.ts unix:///tmp/x.sock` or through
// `startTestDaemon`. It stands in for `bin/isulad` (issue #4) until that exists.
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const SELF = fileURLToPath(import.meta.url);
const ROOT = join(SELF, "..", "..", "..");

/** A daemon started by `startTestDaemon`. */
export interface TestDaemon {
  /** The address it listens on (`unix:///...`). */
  host: string;
  child: ChildProcess;
  /** Its stderr so far (debug log lines of every request). */
  log(): string;
  /** SIGTERM, then waits for the exit. */
  stop(): Promise<void>;
}

/** Starts the launcher as a child process with `env` and waits until it listens on `host`. */
export function startTestDaemon(env: NodeJS.ProcessEnv, host: string): Promise<TestDaemon> {
  const child = spawn(process.execPath, ["--import", "tsx", SELF, host], {
    cwd: ROOT,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (c) => {
    stderr += c;
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return new Promise((resolve, reject) => {
    let stdout = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`test daemon did not start in 20 s: ${stderr}`));
    }, 20_000);
    child.stdout.on("data", (c) => {
      stdout += c;
      if (!stdout.includes("ready ")) return;
      clearTimeout(timer);
      resolve({
        host,
        child,
        log: () => stderr,
        stop: async () => {
          if (child.exitCode === null) child.kill("SIGTERM");
          await exited;
        },
      });
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`test daemon exited with ${code}: ${stderr}`));
    });
  });
}

async function main(hosts: string[]): Promise<void> {
  const { openLocalService } = await import("../../src/service/open.ts");
  const { startGrpcServer } = await import("../../src/daemon/grpc-server.ts");
  const { resolveStorePaths } = await import("../../src/config/paths.ts");
  const service = await openLocalService();
  const server = await startGrpcServer({
    service,
    hosts,
    graph: resolveStorePaths().graph,
    logger: (level, msg) => process.stderr.write(`${level}: ${msg}\n`),
  });
  const stop = async () => {
    await server.close(2000);
    await service.close();
    process.exit(0);
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
  process.stdout.write(`ready ${server.addresses.join(" ")}\n`);
}

if (process.argv[1] === SELF) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
