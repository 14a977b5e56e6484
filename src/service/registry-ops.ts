import { AuthStore } from "../auth/auth-store.ts";
import { credentialLookup } from "../auth/credential-sources.ts";
import { credentialForms, redactSecrets } from "../auth/redact.ts";
import type { RegistryConfig } from "../config/registry-config.ts";
import { ImageError, imageError } from "../errors.ts";
import type { ImageStore } from "../image/image-store.ts";
import { pullImage } from "../pull/pull-image.ts";
import type { PullSource } from "../pull/types.ts";
import type { PushTarget } from "../push/types.ts";
import { normaliseReference } from "../reference/normalise.ts";
import { parsePlatform } from "../registry/platform.ts";
import type { SearchResult } from "../registry/registry-search.ts";
import type { Credentials, RegistryOptions } from "../registry/types.ts";
import type { LoginRequest, LogoutRequest, PullRequest, PullResult } from "./types.ts";

/** The distribution client as the service uses it (`RegistryClient` satisfies it). */
export interface ServiceRegistryClient extends PullSource {
  checkLogin(server: string, creds: Credentials, signal?: AbortSignal): Promise<void>;
  /** Where a push of `repository` on `host` goes (`isula push`). */
  pushDestination(host: string, repository: string): PushTarget;
  /** `isula search`: v1 search, or the catalog of a named registry. */
  search(term: string, opts: { limit: number; signal?: AbortSignal }): Promise<SearchResult[]>;
  close(): Promise<void>;
}

/** What pull, login and logout need besides the store: paths, daemon.json keys, the client. */
export interface RegistrySettings {
  /** `certs.d` folder beside daemon.json. */
  certsDir: string;
  /** `$HOME/.isulad`: auths.json and aeskey. */
  authDir: string;
  /** Docker's config.json folder, consulted when auths.json has no entry (issue #7). */
  dockerConfigDir?: string;
  /** Protocol detail of the distribution client; never receives a secret. */
  debug?: (line: string) => void;
  /** Carrying on degraded (a `credsStore` helper missing from PATH); never receives a secret. */
  warn?: (line: string) => void;
  config: RegistryConfig;
  /** Loads the distribution client's module on first use (it is heavy: undici, TLS). */
  loadRegistry: () => Promise<RegistryModule>;
}

/** What the service uses of `src/registry/registry-client.ts`. */
export interface RegistryModule {
  openClient(opts: RegistryOptions): ServiceRegistryClient;
  /** The auths.json key of a server: `docker.io` → `registry-1.docker.io`. */
  hostForLogin(server: string): string;
}

/**
 * `isula pull`: checks the name first (`Invalid image name: <arg>`, before any network I/O),
 * then pulls through a fresh client into the store. The stored name is the normalised one, and
 * `repo@sha256:...` when a digest was given (the digest wins over a tag, as in iSulad). Every
 * other failure is `Failed to pull image <arg> with error: <reason>`, keeping its kind.
 */
export async function pullWithRegistry(
  store: ImageStore,
  settings: RegistrySettings,
  req: PullRequest,
): Promise<PullResult> {
  const name = storedNameOf(req.name);
  const secrets = req.credentials ? credentialForms(req.credentials) : [];
  try {
    const platform = req.platform === undefined ? undefined : parsePlatform(req.platform);
    const client = (await settings.loadRegistry()).openClient(clientOptions(settings, secrets));
    try {
      const { id } = await pullImage({
        store,
        source: client,
        reference: req.name,
        storedName: name,
        maxConcurrentDownloads: settings.config.maxConcurrentDownloads,
        timeoutMs: settings.config.pullTimeoutMs,
        ...(platform ? { platform } : {}),
        ...(req.credentials ? { credentials: req.credentials } : {}),
        ...(req.signal ? { signal: req.signal } : {}),
        ...(req.onProgress ? { onProgress: req.onProgress } : {}),
      });
      return { name, id };
    } finally {
      await client.close();
    }
  } catch (err) {
    throw prefixed(err, `Failed to pull image ${req.name} with error: `, secrets);
  }
}

/** The name a pull stores: `repo:tag`, or `repo@digest` when a digest was given. */
export function storedNameOf(input: string): string {
  let n: ReturnType<typeof normaliseReference>;
  try {
    n = normaliseReference(input);
  } catch (err) {
    throw imageError("InvalidArgument", `Invalid image name: ${input}`, err);
  }
  return n.digest ? `${n.repository}@${n.digest}` : n.name;
}

/**
 * `isula login`: checks the credentials against the registry, then saves them under the
 * server's auths.json key. Failures: `Failed to login with error: <reason>`, the credentials
 * never part of it.
 */
export async function loginWithRegistry(settings: RegistrySettings, req: LoginRequest) {
  const server = serverOf(req.server);
  const creds = { username: req.username, password: req.password };
  try {
    if (server === "" || req.username === "" || req.password === "") {
      throw imageError("InvalidArgument", "missing username or password");
    }
    const registry = await settings.loadRegistry();
    const host = registry.hostForLogin(server);
    const client = registry.openClient(clientOptions(settings));
    try {
      await client.checkLogin(server, creds);
    } finally {
      await client.close();
    }
    try {
      new AuthStore(settings.authDir).save(host, creds);
    } catch (err) {
      throw prefixed(err, `save login result for ${host} failed: `);
    }
  } catch (err) {
    throw prefixed(err, "Failed to login with error: ", credentialForms(creds));
  }
}

/**
 * `isula logout`: removes the server's entry (under its auths.json key, so `logout docker.io`
 * undoes `login docker.io`, and under the name as typed); nothing stored is success.
 */
export async function logoutFromRegistry(settings: RegistrySettings, req: LogoutRequest) {
  const server = serverOf(req.server);
  try {
    const { hostForLogin } = await settings.loadRegistry();
    const store = new AuthStore(settings.authDir);
    store.remove(hostForLogin(server));
    store.remove(server);
  } catch (err) {
    throw prefixed(err, "Failed to logout with error: ");
  }
}

/** iSulad keeps the text before the first `/` of SERVER. */
function serverOf(server: string): string {
  const slash = server.indexOf("/");
  return (slash < 0 ? server : server.slice(0, slash)).trim();
}

/**
 * The distribution client's options from the settings (paths, daemon.json keys, credentials:
 * auths.json, then Docker's config.json and credential helpers). Each secret the client is
 * handed is also added to `usedSecrets`, so that errors can be scrubbed of it (`prefixed`);
 * debug lines are scrubbed of them here.
 */
export function clientOptions(
  settings: RegistrySettings,
  usedSecrets: string[] = [],
): RegistryOptions {
  const { debug } = settings;
  const lookup = credentialLookup({
    authDir: settings.authDir,
    ...(settings.dockerConfigDir !== undefined && { dockerConfigDir: settings.dockerConfigDir }),
    ...(settings.warn && { warn: settings.warn }),
  });
  return {
    certsDir: settings.certsDir,
    insecureRegistries: settings.config.insecureRegistries,
    skipVerifyEnforce: settings.config.insecureSkipVerifyEnforce,
    mirrors: settings.config.registryMirrors,
    credentialsFor: async (host) => {
      const creds = await lookup(host);
      if (creds) usedSecrets.push(...credentialForms(creds));
      return creds;
    },
    ...(debug && { debug: (line: string) => debug(redactSecrets(line, usedSecrets)) }),
  };
}

/**
 * The error with `prefix` before its message, kind kept (`Internal` for foreign errors), and
 * anything shaped like a credential, or equal to one of `secrets`, hidden (`redactSecrets`).
 */
export function prefixed(
  err: unknown,
  prefix: string,
  secrets: readonly string[] = [],
): ImageError {
  if (err instanceof ImageError) {
    if (err.message.startsWith(prefix)) return err;
    if (err.kind === "InvalidArgument" && err.message.startsWith("Invalid image name: ")) {
      return err;
    }
    const message = redactSecrets(`${prefix}${err.message}`, secrets);
    return new ImageError(err.kind, message, { cause: err });
  }
  const message = err instanceof Error ? err.message : String(err);
  return imageError("Internal", redactSecrets(`${prefix}${message}`, secrets), err);
}
