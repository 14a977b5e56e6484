import { homedir } from "node:os";
import { isAbsolute, join } from "node:path";
import { configFilePath, readDaemonJson, resolveStorePaths } from "../config/paths.ts";
import { type RegistryConfig, registryConfigFrom } from "../config/registry-config.ts";
import { imageError } from "../errors.ts";
import { daemonDefaults, type LogLevel, MAX_HOSTS } from "./config-defaults.ts";
import { type ParsedFlags, parseFlags } from "./config-flags.ts";
import {
  CONTAINER_KEYS,
  type DaemonJson,
  daemonJsonSchema,
  describeIssues,
  isListenAddress,
  logOptsSchema,
  parseSize,
} from "./config-schema.ts";

/** Where and how the daemon logs (`log-driver`, `log-level`, `log-opts`). */
export interface LogSettings {
  level: LogLevel;
  driver: "file" | "stdout";
  /** `<log-path>/isulad.log` is written by the file driver. */
  path: string;
  maxFile: number;
  maxSize: number;
  fileMode: number;
}

/** Everything the daemon runs with, after defaults < daemon.json < flags. */
export interface DaemonConfig {
  configFile: string;
  graph: string;
  state: string;
  hosts: string[];
  group: string;
  pidfile: string;
  certsDir: string;
  authDir: string;
  /** Docker's config.json folder: credentials when auths.json has none (issue #7). */
  dockerConfigDir: string;
  registry: RegistryConfig;
  /** Accepted for compatibility; has no effect (isulad-behaviour §4.7). */
  useDecryptedKey: boolean;
  imageLayerCheck: boolean;
  storageDriver: "overlay2" | "overlay";
  /** Accepted and recorded; they concern container rootfs, which this daemon does not make. */
  storageOpts: string[];
  log: LogSettings;
  /** TLS for tcp hosts; `verify` requires clients to present a certificate signed by `ca`. */
  tls?: { verify: boolean; ca: string; cert: string; key: string };
  /** Container keys of an iSulad daemon.json that were ignored. */
  ignoredKeys: string[];
}

export type DaemonCommand =
  | { kind: "help" }
  | { kind: "version" }
  | { kind: "run"; config: DaemonConfig };

const ARRAY_KEYS = ["registry-mirrors", "insecure-registries", "storage-opts"] as const;

/**
 * Reads the daemon's configuration: flags, then the file (`--config-file`, else `ISULAD_CONFIG`,
 * else the default of `config/paths.ts`), then fills defaults. Flags win over the file, except
 * that list keys are appended (file first) and `image-layer-check` and
 * `insecure-skip-verify-enforce` are on when either says so. Throws `InvalidArgument` with a
 * message naming the key or flag for unknown keys, bad values, `hosts` given both ways, more
 * than 10 hosts, or a tcp host without TLS material.
 */
export function loadDaemonConfig(argv: readonly string[], env = process.env): DaemonCommand {
  const flags = parseFlags(argv);
  if (flags.values.help) return { kind: "help" };
  if (flags.values.version) return { kind: "version" };

  const configFile = (flags.values["config-file"] as string | undefined) ?? configFilePath(env);
  const raw = readDaemonJson(configFile);
  const ignoredKeys = Object.keys(raw).filter((k) => CONTAINER_KEYS.has(k));
  for (const k of ignoredKeys) delete raw[k];
  const parsed = daemonJsonSchema.safeParse(raw);
  if (!parsed.success) {
    throw imageError("InvalidArgument", describeIssues(parsed.error.issues, `"${configFile}"`));
  }
  const file = parsed.data;
  checkFlagValues(flags);
  if (file.hosts !== undefined && flags.values.hosts !== undefined) {
    const both = `hosts: (from flag: [${flags.values.hosts}], from file: [${file.hosts}])`;
    throw imageError(
      "InvalidArgument",
      `the following directives are specified both as a flag and in the configuration file: ${both}`,
    );
  }
  const merged = mergeRegistryKeys(raw, flags);
  return {
    kind: "run",
    config: buildConfig({ env, configFile, file, flags, merged, ignoredKeys }),
  };
}

/** Flag values get the same checks as the file's, with messages naming the flag. */
function checkFlagValues(flags: ParsedFlags): void {
  const fail = (key: string, what: string) => {
    throw imageError("InvalidArgument", `flag ${flags.spelled[key]} ${what}`);
  };
  const v = flags.values;
  const hosts = (v.hosts as string[] | undefined) ?? [];
  if (hosts.length > MAX_HOSTS) fail("hosts", `given more than ${MAX_HOSTS} times`);
  const bad = hosts.find((h) => !isListenAddress(h));
  if (bad !== undefined) throw imageError("InvalidArgument", `Invalid socket name : ${bad}`);
  const one = { ...v } as Record<string, unknown>;
  for (const k of Object.keys(one)) if (!(k in daemonJsonSchema.shape)) delete one[k];
  for (const k of ["graph", "state"]) {
    if (typeof one[k] === "string" && !isAbsolute(one[k] as string)) {
      fail(k, "must be an absolute path");
    }
  }
  const parsed = daemonJsonSchema.safeParse(one);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const key = String(issue?.path[0] ?? "");
    fail(key, `${issue?.path.slice(1).join(".") ?? ""} ${issue?.message ?? "is invalid"}`.trim());
  }
}

/** The registry keys as `registryConfigFrom` reads them: file values, flags appended. */
function mergeRegistryKeys(raw: Record<string, unknown>, flags: ParsedFlags) {
  const merged: Record<string, unknown> = { ...raw };
  for (const key of ARRAY_KEYS) {
    const fromFlag = flags.values[key] as string[] | undefined;
    if (fromFlag) merged[key] = [...((raw[key] as string[] | undefined) ?? []), ...fromFlag];
  }
  if (flags.values["insecure-skip-verify-enforce"] === true) {
    merged["insecure-skip-verify-enforce"] = true;
  }
  const max = flags.values["max-concurrent-downloads"];
  if (max !== undefined) merged["max-concurrent-downloads"] = max;
  const timeout = flags.values["pull-timeout"];
  if (timeout !== undefined) merged["pull-timeout"] = timeout;
  return merged;
}

interface BuildInput {
  env: NodeJS.ProcessEnv;
  configFile: string;
  file: DaemonJson;
  flags: ParsedFlags;
  merged: Record<string, unknown>;
  ignoredKeys: string[];
}

function buildConfig({ env, configFile, file, flags, merged, ignoredKeys }: BuildInput) {
  const v = flags.values as Record<string, unknown>;
  const pick = <T>(key: string, fromFile: T | undefined): T | undefined =>
    (v[key] as T | undefined) ?? fromFile;
  const paths = resolveStorePaths({ ...env, ISULAD_CONFIG: configFile });
  const graph = pick<string>("graph", undefined) ?? paths.graph;
  const state = pick<string>("state", undefined) ?? paths.state;
  const defaults = daemonDefaults({ graph, state });
  const logOpts = { ...file["log-opts"], ...(v["log-opts"] as Record<string, string>) };
  const config: DaemonConfig = {
    configFile,
    graph,
    state,
    hosts: pick<string[]>("hosts", file.hosts) ?? defaults.hosts,
    group: pick<string>("group", file.group) ?? defaults.group,
    pidfile: pick<string>("pidfile", file.pidfile) ?? defaults.pidfile,
    certsDir: paths.certsDir,
    authDir: paths.authDir,
    dockerConfigDir: paths.dockerConfigDir,
    registry: registryConfigFrom(merged, configFile),
    useDecryptedKey: pick<boolean>("use-decrypted-key", file["use-decrypted-key"]) ?? true,
    imageLayerCheck: v["image-layer-check"] === true || file["image-layer-check"] === true,
    storageDriver:
      pick<"overlay2" | "overlay">("storage-driver", file["storage-driver"]) ?? "overlay2",
    storageOpts: (merged["storage-opts"] as string[] | undefined) ?? [],
    log: logSettings(logOpts, {
      level: pick<string>("log-level", file["log-level"]),
      driver: pick<"file" | "stdout">("log-driver", file["log-driver"]),
      defaultPath: defaults.logPath,
    }),
    ignoredKeys,
  };
  const tls = tlsSettings(v, file, env);
  if (tls) config.tls = tls;
  const tcp = config.hosts.filter((h) => h.startsWith("tcp://"));
  if (tcp.length > 0 && !tls?.verify) {
    throw imageError(
      "InvalidArgument",
      `tcp host "${tcp[0]}" needs --tlsverify with --tlscacert, --tlscert and --tlskey`,
    );
  }
  return config;
}

function logSettings(
  opts: Record<string, string>,
  given: { level?: string; driver?: "file" | "stdout"; defaultPath: string },
): LogSettings {
  const checked = logOptsSchema.safeParse(opts);
  if (!checked.success) {
    throw imageError("InvalidArgument", describeIssues(checked.error.issues, "log-opts"));
  }
  return {
    level: (given.level?.toUpperCase() ?? "INFO") as LogLevel,
    driver: given.driver ?? "file",
    path: opts["log-path"] ?? given.defaultPath,
    maxFile: Number(opts["max-file"] ?? 7),
    maxSize: parseSize(opts["max-size"] ?? "1MB") as number,
    fileMode: Number.parseInt(opts["log-file-mode"] ?? "0600", 8),
  };
}

function tlsSettings(v: Record<string, unknown>, file: DaemonJson, env: NodeJS.ProcessEnv) {
  const verify =
    v["tls-verify"] === true || (v["tls-verify"] === undefined && !!file["tls-verify"]);
  const on = verify || v.tls === true || (v.tls === undefined && !!file.tls);
  if (!on) return undefined;
  const dir = join(env.HOME || homedir(), ".iSulad");
  const tlsConfig = file["tls-config"] ?? {};
  return {
    verify,
    ca: (v["tls-ca"] as string) ?? tlsConfig.CAFile ?? join(dir, "ca.pem"),
    cert: (v["tls-cert"] as string) ?? tlsConfig.CertFile ?? join(dir, "cert.pem"),
    key: (v["tls-key"] as string) ?? tlsConfig.KeyFile ?? join(dir, "key.pem"),
  };
}
