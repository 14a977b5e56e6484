import { hasCode, ImageError, imageError } from "../errors.ts";
import { AuthStore } from "./auth-store.ts";
import { runCredentialHelper } from "./credential-helper.ts";
import {
  authsSource,
  type DockerConfig,
  type DockerCredentialSource,
  dockerCredentialSource,
  readDockerConfig,
} from "./docker-config.ts";
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
  /** Told when we carry on without a source (a `credsStore` helper missing from PATH). */
  warn?: (line: string) => void;
}

/** Credentials of a registry host; see `credentialLookup`. */
export type CredentialLookup = (host: string) => Promise<Credentials | undefined>;

/**
 * A lookup of the credentials for a registry host (as the client reaches it), from in order:
 * our `auths.json`; then Docker's `config.json`: `credHelpers` for the host, `credsStore`, its
 * `auths` entry (issue #7). Each host is looked up once per lookup object (so a pull runs a
 * helper at most once per host, however many requests ask at once), failures included.
 *
 * A `credsStore` helper that is not on PATH is skipped with a warning (`warn`), as if
 * `credsStore` were unset: the `auths` entry is used, else no credentials, so public images
 * still pull. A missing `credHelpers` helper names the host explicitly and stays an error.
 * Errors are those of `AuthStore.get`, of `readDockerConfig` and of `runCredentialHelper`,
 * prefixed `Failed to get credentials for <host>` when they come from Docker's side; none
 * quotes a secret. Helpers run asynchronously; the lookup is safe to call concurrently.
 */
export function credentialLookup(opts: CredentialSourcesOptions): CredentialLookup {
  const store = new AuthStore(opts.authDir);
  const known = new Map<string, Promise<Credentials | undefined>>();
  let docker: DockerConfig | undefined | null = null;
  const dockerConfig = () => {
    if (docker === null)
      docker = opts.dockerConfigDir ? readDockerConfig(opts.dockerConfigDir) : undefined;
    return docker;
  };
  return (host) => {
    let found = known.get(host);
    if (found === undefined) {
      found = (async () => store.get(host) ?? (await fromDocker(dockerConfig, host, opts)))();
      // Rejections are kept for the next caller; this only keeps Node from reporting one that
      // nobody awaited yet.
      found.catch(() => {});
      known.set(host, found);
    }
    return found;
  };
}

async function fromDocker(
  config: () => DockerConfig | undefined,
  host: string,
  opts: CredentialSourcesOptions,
): Promise<Credentials | undefined> {
  try {
    const cfg = config();
    if (cfg === undefined) return undefined;
    const source = dockerCredentialSource(cfg, host);
    if (source.kind !== "helper") return inlineOf(source);
    try {
      return await runCredentialHelper(source.helper, source.server, {
        ...(opts.env ? { env: opts.env } : {}),
        ...(opts.helperTimeoutMs !== undefined ? { timeoutMs: opts.helperTimeoutMs } : {}),
      });
    } catch (err) {
      if (source.from !== "credsStore" || !(err instanceof Error && hasCode(err.cause, "ENOENT")))
        throw err;
      opts.warn?.(
        `credsStore "${source.helper}" in "${cfg.path}": "docker-credential-${source.helper}" ` +
          `not found on PATH; going on without it for ${host}`,
      );
      return inlineOf(authsSource(cfg, host));
    }
  } catch (err) {
    const kind = err instanceof ImageError ? err.kind : "Internal";
    const detail = err instanceof Error ? err.message : String(err);
    throw imageError(kind, `Failed to get credentials for ${host}: ${detail}`, err);
  }
}

function inlineOf(source: DockerCredentialSource): Credentials | undefined {
  return source.kind === "inline" ? source.credentials : undefined;
}
