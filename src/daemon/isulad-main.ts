import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadDaemonConfig } from "./config.ts";
import { renderHelp } from "./config-flags.ts";
import { type StartServer, startDaemon } from "./lifecycle.ts";
import { type DaemonLog, openLogger } from "./log.ts";

/** Where `isulad` writes its own messages (tests pass buffers). */
export interface IsuladIo {
  out(text: string): void;
  err(text: string): void;
}

/**
 * `isulad [OPTIONS]`: reads the configuration (exit 1 with the message on any error, nothing
 * started), opens the log, starts the daemon, and resolves with the exit code once a SIGTERM or
 * SIGINT has stopped it cleanly (0). A second signal during shutdown exits 1 at once.
 */
export async function runIsulad(
  argv: readonly string[],
  deps: { startServer: StartServer; io: IsuladIo; env?: NodeJS.ProcessEnv },
): Promise<number> {
  let command: ReturnType<typeof loadDaemonConfig>;
  try {
    command = loadDaemonConfig(argv, deps.env ?? process.env);
  } catch (err) {
    deps.io.err(`isulad: ${(err as Error).message}\n`);
    return 1;
  }
  if (command.kind === "help") {
    deps.io.out(renderHelp());
    return 0;
  }
  if (command.kind === "version") {
    deps.io.out(`Version ${packageVersion()}, isulad-ts on Node.js ${process.version}\n`);
    return 0;
  }
  const { config } = command;
  let logger: DaemonLog;
  try {
    logger = openLogger(config.log);
  } catch (err) {
    deps.io.err(`isulad: opening the log: ${(err as Error).message}\n`);
    return 1;
  }
  logger.log("INFO", `isulad starting: graph "${config.graph}", state "${config.state}"`);
  if (config.ignoredKeys.length > 0) {
    logger.log("INFO", `ignored container keys of daemon.json: ${config.ignoredKeys.join(", ")}`);
  }
  // Listen before starting: a signal during start-up stops the daemon as soon as it is up.
  const signalled = waitForSignal(logger);
  try {
    const daemon = await startDaemon(config, { startServer: deps.startServer, logger });
    await signalled;
    await daemon.stop();
    return 0;
  } catch (err) {
    logger.log("ERROR", `isulad failed: ${(err as Error).message}`);
    deps.io.err(`isulad: ${(err as Error).message}\n`);
    return 1;
  } finally {
    logger.close();
  }
}

/** Resolves on the first SIGTERM or SIGINT; a second one exits the process with 1. */
function waitForSignal(logger: DaemonLog): Promise<void> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      logger.log("INFO", `received ${signal}`);
      process.removeListener("SIGTERM", onSignal);
      process.removeListener("SIGINT", onSignal);
      const again = () => {
        logger.log("WARN", "second signal: exiting without a clean shutdown");
        process.exit(1);
      };
      process.once("SIGTERM", again);
      process.once("SIGINT", again);
      resolve();
    };
    process.on("SIGTERM", onSignal);
    process.on("SIGINT", onSignal);
  });
}

/** `version` of the nearest `package.json` named isulad-ts above this module. */
function packageVersion(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)), i = 0; i < 5; dir = dirname(dir), i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
      if (pkg.name === "isulad-ts") return String(pkg.version);
    } catch {}
  }
  return "unknown";
}
