import { join } from "node:path";

/** iSulad's log levels, most severe first (isulad-behaviour §8). */
export const LOG_LEVELS = [
  "FATAL",
  "ALERT",
  "CRIT",
  "ERROR",
  "WARN",
  "NOTICE",
  "INFO",
  "DEBUG",
  "TRACE",
] as const;

export type LogLevel = (typeof LOG_LEVELS)[number];

/** At most this many `-H`/`hosts` endpoints, as iSulad. */
export const MAX_HOSTS = 10;

/** Code defaults of the daemon-only keys (isulad-behaviour §8). */
export interface DaemonDefaults {
  graph: string;
  state: string;
  hosts: string[];
  pidfile: string;
  group: string;
  logPath: string;
}

function isRoot(): boolean {
  return typeof process.getuid === "function" && process.getuid() === 0;
}

/**
 * Defaults of the daemon-only keys for a daemon whose effective graph and state directories are
 * given. For root they are iSulad's (`/var/run/isulad.sock`, `/var/run/isulad.pid`, log files in
 * `/var/lib/isulad`); otherwise the socket and pid file sit in the state directory and logs in
 * the graph directory, so an unprivileged daemon needs no system folder. Kept free of zod: the
 * CLI may import it to find the default socket.
 */
export function daemonDefaults(dirs: { graph: string; state: string }): DaemonDefaults {
  const { graph, state } = dirs;
  if (isRoot()) {
    return {
      graph,
      state,
      hosts: ["unix:///var/run/isulad.sock"],
      pidfile: "/var/run/isulad.pid",
      group: "isula",
      logPath: "/var/lib/isulad",
    };
  }
  return {
    graph,
    state,
    hosts: [`unix://${join(state, "isulad.sock")}`],
    pidfile: join(state, "isulad.pid"),
    group: "isula",
    logPath: graph,
  };
}
