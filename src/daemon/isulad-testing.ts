// Test helpers for the spawned-daemon tests: start `./bin/isulad` (built) on a temp graph and
// wait for its socket; stop it by signal. Not used by the daemon itself.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runProcess } from "../../test/helpers/run-process.ts";
import { connectionAnswers } from "../service/endpoint-answers.ts";

export const ISULAD_BIN = join(import.meta.dirname, "..", "..", "bin", "isulad");
export const ISULA_BIN = join(import.meta.dirname, "..", "..", "bin", "isula");

/** One daemon's folders: graph, state, config file, log folder, socket and pid file. */
export interface DaemonDirs {
  root: string;
  graph: string;
  state: string;
  configFile: string;
  logDir: string;
  socket: string;
  pidfile: string;
  cleanup(): void;
}

/** Fresh folders; `daemonJson` is written as the config file (default `{}`). */
export function daemonDirs(daemonJson: object = {}): DaemonDirs {
  const root = mkdtempSync(join(tmpdir(), "isulad-d-"));
  const dirs = {
    root,
    graph: join(root, "graph"),
    state: join(root, "state"),
    configFile: join(root, "daemon.json"),
    logDir: join(root, "log"),
    socket: join(root, "state", "isulad.sock"),
    pidfile: join(root, "state", "isulad.pid"),
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
  writeFileSync(dirs.configFile, JSON.stringify(daemonJson));
  return dirs;
}

/** The argv placing a daemon in `dirs`, logging to `<root>/log/isulad.log`. */
export function daemonArgs(dirs: DaemonDirs, extra: string[] = []): string[] {
  return [
    "--config-file",
    dirs.configFile,
    "-g",
    dirs.graph,
    "-S",
    dirs.state,
    "-p",
    dirs.pidfile,
    "-H",
    `unix://${dirs.socket}`,
    "--log-opt",
    `log-path=${dirs.logDir}`,
    ...extra,
  ];
}

export interface SpawnedDaemon {
  child: ChildProcess;
  stderr(): string;
  /** Resolves with the exit code (or the signal name). */
  exited: Promise<number | string>;
}

const spawned = new Set<ChildProcess>();

/** SIGKILLs every daemon spawned here that is still running (call from `after`). */
export function killAll(): void {
  for (const child of spawned) if (child.exitCode === null) child.kill("SIGKILL");
}

/** Spawns `bin/isulad`. */
export function spawnDaemon(args: string[], env: NodeJS.ProcessEnv = process.env): SpawnedDaemon {
  const child = spawn(ISULAD_BIN, args, { env, stdio: ["ignore", "pipe", "pipe"] });
  spawned.add(child);
  let err = "";
  child.stderr?.on("data", (d) => {
    err += d;
  });
  child.stdout?.resume();
  const exited = new Promise<number | string>((resolve) => {
    child.on("exit", (code, signal) => resolve(code ?? (signal as string)));
  });
  return { child, stderr: () => err, exited };
}

/** Starts a daemon and waits (up to 15 s) until its pid file names it and its socket answers. */
export async function startReady(
  dirs: DaemonDirs,
  extra: string[] = [],
  env: NodeJS.ProcessEnv = process.env,
): Promise<SpawnedDaemon> {
  const d = spawnDaemon(daemonArgs(dirs, extra), env);
  let done: number | string | undefined;
  d.exited.then((c) => {
    done = c;
  });
  for (let i = 0; i < 300; i++) {
    if (done !== undefined) throw new Error(`isulad exited ${done}: ${d.stderr()}`);
    if (
      pidFileNames(dirs.pidfile, d.child.pid) &&
      (await connectionAnswers({ path: dirs.socket }, 1000))
    )
      return d;
    await new Promise((r) => setTimeout(r, 50));
  }
  d.child.kill("SIGKILL");
  throw new Error(`isulad did not start: ${d.stderr()}`);
}

function pidFileNames(path: string, pid: number | undefined): boolean {
  return existsSync(path) && readFileSync(path, "utf8").trim() === String(pid);
}

/** The daemon's log file text ("" when absent). */
export function readLog(dirs: DaemonDirs): string {
  const file = join(dirs.logDir, "isulad.log");
  return existsSync(file) ? readFileSync(file, "utf8") : "";
}

/** What a finished `isula` process printed and its exit code (or signal name). */
export interface IsulaResult {
  code: number | string;
  stdout: string;
  stderr: string;
}

/**
 * Runs `./bin/isula <command> -H unix://<socket> ...args` (iSulad takes `-H` after the command)
 * without blocking this process (the registry harness and fault proxy may run in it); killed
 * after 60 s.
 */
export async function runIsula(
  dirs: DaemonDirs,
  command: string,
  args: string[],
): Promise<IsulaResult> {
  const r = await runProcess(ISULA_BIN, [command, "-H", `unix://${dirs.socket}`, ...args]);
  return { code: r.code ?? (r.signal as string), stdout: r.stdout, stderr: r.stderr };
}
