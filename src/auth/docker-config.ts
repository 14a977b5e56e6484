import { constants, openSync } from "node:fs";
import { join } from "node:path";
import { hasCode, imageError } from "../errors.ts";
import { readOpenFile } from "./secure-file.ts";
import { type Credentials, IDENTITY_TOKEN_USER } from "./types.ts";

/** Largest `config.json` we read; Docker's own files are a few KB. */
const MAX_BYTES = 4 * 1024 * 1024;

/** The key Docker files Docker Hub credentials under, and what its helpers are asked for. */
export const DOCKER_HUB_SERVER = "https://index.docker.io/v1/";

/** Host names that all mean Docker Hub in a Docker config file. */
const HUB_HOSTS = new Set(["registry-1.docker.io", "index.docker.io", "docker.io"]);

/** What `~/.docker/config.json` says about one registry host. */
export type DockerCredentialSource =
  | { kind: "helper"; helper: string; server: string; from: "credHelpers" | "credsStore" }
  | { kind: "inline"; credentials: Credentials }
  | { kind: "none" };

/** The parts of Docker's `config.json` we use, checked. */
export interface DockerConfig {
  path: string;
  auths: Record<string, Record<string, unknown>>;
  credHelpers: Record<string, string>;
  credsStore?: string;
}

/**
 * Reads `<dir>/config.json`; undefined when it does not exist. A file that is not JSON, or whose
 * `auths`, `credHelpers` or `credsStore` have the wrong shape, is `FailedPrecondition` naming the
 * file (never quoting its content, which holds secrets). A helper name that could leave the
 * `docker-credential-` prefix (a `/`, say) is refused the same way. Synchronous.
 */
export function readDockerConfig(dir: string): DockerConfig | undefined {
  const path = join(dir, "config.json");
  const bytes = readRegular(path);
  if (bytes === undefined) return undefined;
  let doc: unknown;
  try {
    doc = bytes.length === 0 ? {} : JSON.parse(bytes.toString("utf8"));
  } catch (err) {
    throw imageError("FailedPrecondition", `"${path}" is not valid JSON`, err);
  }
  const bad = (what: string) => imageError("FailedPrecondition", `${what} in "${path}"`);
  if (!isObject(doc)) throw bad("not a JSON object");
  const auths = doc.auths ?? {};
  if (!isObject(auths) || !Object.values(auths).every(isObject)) throw bad(`malformed "auths"`);
  const helpers = doc.credHelpers ?? {};
  if (!isObject(helpers) || !Object.values(helpers).every(isHelperName)) {
    throw bad(`malformed "credHelpers" (names are letters, digits, ".", "_" and "-")`);
  }
  const store = doc.credsStore;
  if (store !== undefined && store !== "" && !isHelperName(store)) {
    throw bad(`malformed "credsStore" (a name of letters, digits, ".", "_" and "-")`);
  }
  return {
    path,
    auths: auths as DockerConfig["auths"],
    credHelpers: helpers as Record<string, string>,
    ...(typeof store === "string" && store !== "" ? { credsStore: store } : {}),
  };
}

/**
 * Where the credentials of registry `host` (as the client reaches it: `registry-1.docker.io`
 * for Docker Hub, `127.0.0.1:5000`) come from, in Docker's order: a `credHelpers` entry for the
 * host, else `credsStore`, else an `auths` entry (`auth` = base64 "user:pass", or `username` and
 * `password`; an `identitytoken` becomes user `<token>`). Keys are matched by host name, so
 * `https://host/v1/` and `host` are the same key. A malformed entry is `FailedPrecondition`.
 */
export function dockerCredentialSource(config: DockerConfig, host: string): DockerCredentialSource {
  const server = HUB_HOSTS.has(host) ? DOCKER_HUB_SERVER : host;
  const named = findByHost(config.credHelpers, host);
  if (named !== undefined) return { kind: "helper", helper: named, server, from: "credHelpers" };
  if (config.credsStore !== undefined)
    return { kind: "helper", helper: config.credsStore, server, from: "credsStore" };
  return authsSource(config, host);
}

/** The source an `auths` entry gives `host`, ignoring helpers. */
export function authsSource(config: DockerConfig, host: string): DockerCredentialSource {
  const entry = findByHost(config.auths, host);
  if (entry === undefined) return { kind: "none" };
  const credentials = inlineCredentials(entry, host, config.path);
  return credentials ? { kind: "inline", credentials } : { kind: "none" };
}

/** The inline credentials of one `auths` entry, undefined when it holds none. */
export function inlineCredentials(
  entry: Record<string, unknown>,
  host: string,
  path: string,
): Credentials | undefined {
  const bad = () =>
    imageError("FailedPrecondition", `malformed "auths" entry for "${host}" in "${path}"`);
  const token = entry.identitytoken;
  if (typeof token === "string" && token !== "") {
    return { username: IDENTITY_TOKEN_USER, password: token };
  }
  const { auth, username, password } = entry;
  if (typeof auth === "string" && auth !== "") {
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(auth)) throw bad();
    const plain = Buffer.from(auth, "base64").toString("utf8");
    const colon = plain.indexOf(":");
    if (colon <= 0) throw bad();
    return { username: plain.slice(0, colon), password: plain.slice(colon + 1) };
  }
  if (typeof username === "string" && username !== "" && typeof password === "string") {
    return { username, password };
  }
  return undefined;
}

/** The host name of a Docker config key: `https://index.docker.io/v1/` → `index.docker.io`. */
export function keyHost(key: string): string {
  const bare = key.replace(/^[a-z]+:\/\//i, "");
  const slash = bare.indexOf("/");
  return (slash < 0 ? bare : bare.slice(0, slash)).toLowerCase();
}

function findByHost<T>(table: Record<string, T>, host: string): T | undefined {
  const wanted = host.toLowerCase();
  const hub = HUB_HOSTS.has(wanted);
  // An exact key wins over one that only has the same host name.
  if (Object.hasOwn(table, host)) return table[host];
  for (const [key, value] of Object.entries(table)) {
    const h = keyHost(key);
    if (h === wanted || (hub && HUB_HOSTS.has(h))) return value;
  }
  return undefined;
}

function readRegular(path: string): Buffer | undefined {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY);
  } catch (err) {
    if (hasCode(err, "ENOENT")) return undefined;
    throw imageError("PermissionDenied", `opening "${path}": ${(err as Error).message}`, err);
  }
  return readOpenFile(fd, path, MAX_BYTES);
}

function isHelperName(v: unknown): v is string {
  return typeof v === "string" && /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(v);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}
