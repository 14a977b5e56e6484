import { imageError } from "../errors.ts";
import { parseDurationMs } from "./duration.ts";
import { readDaemonJson } from "./paths.ts";

/** The daemon.json keys a pull needs (isulad-behaviour §8), checked, with defaults filled in. */
export interface RegistryConfig {
  /** `registry-mirrors`: tried in order for names without a host. Default `[]`. */
  registryMirrors: string[];
  /** `insecure-registries`: exact `host[:port]` allowed over HTTP / without verification. */
  insecureRegistries: string[];
  /** `insecure-skip-verify-enforce`: no TLS verification at all. Default false. */
  insecureSkipVerifyEnforce: boolean;
  /** `max-concurrent-downloads`: layers fetched at once per pull. Default 5. */
  maxConcurrentDownloads: number;
  /** `pull-timeout`: the longest one pull may take, in ms; 0 (the default) means no limit. */
  pullTimeoutMs: number;
}

/** The default of `max-concurrent-downloads` (Docker's and containerd's). */
export const DEFAULT_MAX_CONCURRENT_DOWNLOADS = 5;

/**
 * Reads the registry keys of the daemon.json at `configFile` (a missing file means defaults).
 * Plain checks, no schema library, so the CLI starts fast. Throws `InvalidArgument` naming the
 * key and the file for a value of the wrong type: a list of non-empty strings for the two lists,
 * a boolean, an integer from 1 to 128, a duration (`pull-timeout`: seconds or `10m`-style).
 */
export function readRegistryConfig(configFile: string): RegistryConfig {
  return registryConfigFrom(readDaemonJson(configFile), configFile);
}

/** {@link readRegistryConfig} on an already parsed daemon.json object. */
export function registryConfigFrom(file: Record<string, unknown>, configFile: string) {
  const where = (key: string) => `"${key}" in "${configFile}"`;
  const list = (key: string): string[] => {
    const v = file[key];
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v) || !v.every((s) => typeof s === "string" && s.trim() !== "")) {
      throw imageError("InvalidArgument", `${where(key)} must be a list of non-empty strings`);
    }
    return v.map((s: string) => s.trim());
  };
  const skip = file["insecure-skip-verify-enforce"] ?? false;
  if (typeof skip !== "boolean") {
    throw imageError(
      "InvalidArgument",
      `${where("insecure-skip-verify-enforce")} must be true or false`,
    );
  }
  const max = file["max-concurrent-downloads"] ?? DEFAULT_MAX_CONCURRENT_DOWNLOADS;
  if (typeof max !== "number" || !Number.isInteger(max) || max < 1 || max > 128) {
    throw imageError(
      "InvalidArgument",
      `${where("max-concurrent-downloads")} must be an integer from 1 to 128`,
    );
  }
  const timeout = parseDurationMs(file["pull-timeout"] ?? 0);
  if (timeout === undefined) {
    throw imageError(
      "InvalidArgument",
      `${where("pull-timeout")} must be seconds or a duration such as "10m" (0: no limit)`,
    );
  }
  return {
    registryMirrors: list("registry-mirrors"),
    insecureRegistries: list("insecure-registries"),
    insecureSkipVerifyEnforce: skip,
    maxConcurrentDownloads: max,
    pullTimeoutMs: timeout,
  } satisfies RegistryConfig;
}
