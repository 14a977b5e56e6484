import { ImageError, imageError } from "../errors.ts";
import { AuthStore } from "./auth-store.ts";
import { runCredentialHelper } from "./credential-helper.ts";
import { type DockerConfig, dockerCredentialSource, readDockerConfig } from "./docker-config.ts";
import type { Credentials } from "./types.ts";

export interface CredentialSourcesOptions {
  /** `$HOME/.isulad`: our own auths.json and aeskey, always asked first. */
  authDir: string;
  /** Folder of Docker's `config.json` (`$DOCKER_CONFIG` or `~/.docker`); none: not consulted. */
  dockerConfigDir?: string;
  /** Environment of credential helpers (their PATH). */
  env?: Record<string, string | undefined>;
  /** Longest wait for one credential helper (ms). */
  helperTimeoutMs?: number;
}

/**
 * A lookup of the credentials for a registry host (as the client reaches it), from in order:
 * our `auths.json`; then Docker's `config.json`: `credHelpers` for the host, `credsStore`, its
 * `auths` entry (issue #7). Each host is looked up once per lookup object (so a pull runs a
 * helper at most once per host), failures included. Errors are those of `AuthStore.get`, of
 * `readDockerConfig` and of `runCredentialHelper`, prefixed `Failed to get credentials for
 * <host>` when they come from Docker's side; none quotes a secret. Not for concurrent threads.
 */
export function credentialLookup(
  opts: CredentialSourcesOptions,
): (host: string) => Credentials | undefined {
  const store = new AuthStore(opts.authDir);
  const known = new Map<string, { creds?: Credentials; error?: unknown }>();
  let docker: DockerConfig | undefined | null = null;
  const dockerConfig = () => {
    if (docker === null)
      docker = opts.dockerConfigDir ? readDockerConfig(opts.dockerConfigDir) : undefined;
    return docker;
  };
  return (host) => {
    let found = known.get(host);
    if (found === undefined) {
      try {
        const creds = store.get(host) ?? fromDocker(dockerConfig, host, opts);
        found = creds ? { creds } : {};
      } catch (err) {
        found = { error: err };
      }
      known.set(host, found);
    }
    if (found.error !== undefined) throw found.error;
    return found.creds;
  };
}

function fromDocker(
  config: () => DockerConfig | undefined,
  host: string,
  opts: CredentialSourcesOptions,
): Credentials | undefined {
  try {
    const cfg = config();
    if (cfg === undefined) return undefined;
    const source = dockerCredentialSource(cfg, host);
    if (source.kind === "inline") return source.credentials;
    if (source.kind === "none") return undefined;
    return runCredentialHelper(source.helper, source.server, {
      ...(opts.env ? { env: opts.env } : {}),
      ...(opts.helperTimeoutMs !== undefined ? { timeoutMs: opts.helperTimeoutMs } : {}),
    });
  } catch (err) {
    const kind = err instanceof ImageError ? err.kind : "Internal";
    const detail = err instanceof Error ? err.message : String(err);
    throw imageError(kind, `Failed to get credentials for ${host}: ${detail}`, err);
  }
}
