import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, isAbsolute, join } from "node:path";
import { hasCode, imageError } from "../errors.ts";

/** Where everything of one installation lives (DESIGN §2, §4). */
export interface StorePaths {
  /** The daemon.json read (it may not exist). */
  configFile: string;
  /** `graph`: root of `storage/`. */
  graph: string;
  /** `state`: socket, pid file, locks. */
  state: string;
  /** `certs.d` beside daemon.json. */
  certsDir: string;
  /** `$HOME/.isulad`: auths.json and aeskey. */
  authDir: string;
  /** `$DOCKER_CONFIG` or `$HOME/.docker`: Docker's config.json (credentials, issue #7). */
  dockerConfigDir: string;
}

type Env = Record<string, string | undefined>;

function isRoot(): boolean {
  return typeof process.getuid === "function" && process.getuid() === 0;
}

function xdg(env: Env, name: string, fallback: string): string {
  const v = env[name];
  return v && isAbsolute(v) ? v : fallback;
}

/** The daemon.json both modes read: `ISULAD_CONFIG`, else the root or per-user default. */
export function configFilePath(env: Env = process.env): string {
  const explicit = env.ISULAD_CONFIG;
  if (explicit) return explicit;
  if (isRoot()) return "/etc/isulad/daemon.json";
  return join(xdg(env, "XDG_CONFIG_HOME", join(homedir(), ".config")), "isulad", "daemon.json");
}

/**
 * Resolves graph, state, certs.d and the credential folder from the environment and the
 * `graph`/`state` keys of daemon.json. A missing daemon.json means defaults; an unreadable or
 * malformed one, or a non-absolute path in it, is `InvalidArgument` naming the file and key.
 */
export function resolveStorePaths(env: Env = process.env): StorePaths {
  const configFile = configFilePath(env);
  const file = readDaemonJson(configFile);
  const home = env.HOME || homedir();
  const root = isRoot();
  const defaultGraph = root
    ? "/var/lib/isulad"
    : join(xdg(env, "XDG_DATA_HOME", join(home, ".local", "share")), "isulad");
  const defaultState = root
    ? "/var/run/isulad"
    : join(env.XDG_RUNTIME_DIR || join("/tmp", `isulad-${process.getuid?.() ?? 0}`), "isulad");
  return {
    configFile,
    graph: pathKey(file, "graph", configFile) ?? defaultGraph,
    state: pathKey(file, "state", configFile) ?? defaultState,
    certsDir: join(dirname(configFile), "certs.d"),
    authDir: join(home, ".isulad"),
    dockerConfigDir: env.DOCKER_CONFIG || join(home, ".docker"),
  };
}

/** Reads daemon.json as an object; a missing file is `{}`, anything else bad is `InvalidArgument`. */
export function readDaemonJson(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    if (hasCode(err, "ENOENT")) return {};
    throw imageError("InvalidArgument", `reading "${path}": ${(err as Error).message}`, err);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw imageError("InvalidArgument", `"${path}" is not valid JSON`, err);
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw imageError("InvalidArgument", `"${path}" must hold a JSON object`);
  }
  return value as Record<string, unknown>;
}

function pathKey(
  file: Record<string, unknown>,
  key: string,
  configFile: string,
): string | undefined {
  const v = file[key];
  if (v === undefined) return undefined;
  if (typeof v !== "string" || !isAbsolute(v)) {
    throw imageError("InvalidArgument", `"${key}" in "${configFile}" must be an absolute path`);
  }
  return v;
}
