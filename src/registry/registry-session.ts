import { ImageError, imageError } from "../errors.ts";
import { type Challenge, parseChallenges } from "./challenge.ts";
import type { Dispatchers } from "./dispatchers.ts";
import { type BodySource, type HttpMethod, type HttpResponse, send } from "./http-request.ts";
import { clientCertError } from "./network-errors.ts";
import { basicAuthorization, fetchToken, type Token } from "./token-auth.ts";
import type { Credentials } from "./types.ts";

/** How to reach one registry host. */
export interface SessionConfig {
  dispatchers: Dispatchers;
  /** `host[:port]` as used on the network (`registry-1.docker.io`, `127.0.0.1:5000`). */
  host: string;
  /** Allow falling back to plain HTTP when HTTPS fails. */
  insecure: boolean;
  /**
   * Credentials to offer when challenged; a function is called on the first challenge only, so
   * a registry that asks for none never makes us look them up.
   */
  credentials?: Credentials | (() => Credentials | undefined | Promise<Credentials | undefined>);
  debug?: (line: string) => void;
}

/** Options of one request through a session. */
export interface SessionRequest {
  method?: HttpMethod;
  headers?: Record<string, string>;
  /** Body of a push upload; made afresh for the retry after a 401. */
  body?: BodySource;
  /** Token scope, e.g. `repository:library/busybox:pull`; none for `/v2/`. */
  scope?: string;
  signal?: AbortSignal;
}

/**
 * One registry host with its scheme, challenges and token cache (per scope, with expiry). The
 * first request pings `/v2/` (HTTPS first; HTTP only for an insecure host). Requests carry Basic
 * or Bearer authorization as the challenge asks, and are retried once with fresh authorization
 * on a 401. Safe for concurrent requests; owns nothing that needs closing.
 */
export class RegistrySession {
  readonly host: string;
  readonly #config: SessionConfig;
  #ping: Promise<void> | undefined;
  #base = "";
  #challenges: Challenge[] = [];
  readonly #tokens = new Map<string, Promise<Token>>();
  #credentials: Promise<Credentials | undefined> | undefined;
  #hasCredentials = false;

  constructor(config: SessionConfig) {
    this.host = config.host;
    this.#config = config;
  }

  /** The scheme and host the session talks to, e.g. `https://127.0.0.1:5000`; after `ping`. */
  get base(): string {
    return this.#base;
  }

  /** Pings `/v2/` once (again after a failure). Throws what the connection or status says. */
  ping(signal?: AbortSignal): Promise<void> {
    if (this.#ping === undefined) {
      this.#ping = this.#doPing(signal);
      this.#ping.catch(() => {
        this.#ping = undefined;
      });
    }
    return this.#ping;
  }

  async #doPing(signal?: AbortSignal): Promise<void> {
    try {
      await this.#pingScheme("https", signal);
    } catch (err) {
      if (!this.#config.insecure) throw err;
      this.#config.debug?.(`registry ${this.host}: HTTPS failed, trying HTTP`);
      await this.#pingScheme("http", signal);
    }
  }

  async #pingScheme(scheme: "https" | "http", signal?: AbortSignal): Promise<void> {
    const url = new URL(`${scheme}://${this.host}/v2/`);
    const { dispatchers } = this.#config;
    let res: HttpResponse;
    try {
      res = await send(dispatchers, {
        url,
        headers: { "docker-distribution-api-version": "registry/2.0" },
        ...(signal && { signal }),
      });
    } catch (err) {
      // Over TLS 1.3 a server that refuses our client certificate (or its absence) just closes
      // the connection after the handshake; on the very first request that is what it means.
      if (scheme === "https" && err instanceof ImageError && /other side closed/.test(err.message))
        throw clientCertError(this.host, dispatchers.hasClientCert(this.host), err);
      throw err;
    }
    await res.body.dump();
    if (res.statusCode !== 200 && res.statusCode !== 401)
      throw imageError("Unavailable", `pinging "${this.host}": status ${res.statusCode}`);
    this.#challenges = parseChallenges(res.headers["www-authenticate"]);
    this.#base = `${scheme}://${this.host}`;
    this.#config.debug?.(`registry ${this.#base}: ping ${res.statusCode}`);
  }

  /**
   * Sends `path` (below the host, e.g. `/v2/a/manifests/1`) with authorization, after a ping.
   * A 401 drops the cached token, re-reads the challenge and tries once more; any final status
   * is returned for the caller to judge.
   */
  async request(path: string, req: SessionRequest = {}): Promise<HttpResponse> {
    await this.ping(req.signal);
    const first = await this.#send(path, req);
    if (first.statusCode !== 401 || this.#challenges.length === 0) return first;

    await first.body.dump();
    if (req.scope !== undefined) this.#tokens.delete(req.scope);
    const fresh = parseChallenges(first.headers["www-authenticate"]);
    if (fresh.length > 0) this.#challenges = fresh;
    this.#config.debug?.(`registry ${this.host}: 401 on ${path}, authenticating again`);
    return this.#send(path, req);
  }

  async #send(path: string, req: SessionRequest): Promise<HttpResponse> {
    const authorization = await this.authorization(req.scope, req.signal);
    return send(this.#config.dispatchers, {
      url: new URL(path, this.#base),
      ...(req.method && { method: req.method }),
      ...(req.headers && { headers: req.headers }),
      ...(req.body && { body: req.body }),
      ...(authorization !== undefined && { authorization }),
      ...(req.signal && { signal: req.signal }),
    });
  }

  /**
   * The `Authorization` value for `scope`: a cached or fresh bearer token when the registry
   * challenged with Bearer, Basic credentials when it challenged with Basic, none when the ping
   * was answered 200 (iSulad sends no credentials then). Credentials given as a function are
   * looked up here, on the first challenge; its errors are thrown.
   */
  async authorization(
    scope: string | undefined,
    signal?: AbortSignal,
  ): Promise<string | undefined> {
    const bearer = this.#challenges.find((c) => c.scheme === "bearer");
    const basic = this.#challenges.some((c) => c.scheme === "basic");
    if (bearer === undefined && !basic) return undefined;
    const credentials = await this.#lookupCredentials();
    if (bearer === undefined) return credentials ? basicAuthorization(credentials) : undefined;
    const key = scope ?? "";
    let token = this.#tokens.get(key);
    if (token !== undefined) {
      const t = await token.catch(() => undefined);
      if (t === undefined || t.expiresAt <= Date.now()) token = undefined;
      else this.#config.debug?.(`registry ${this.host}: token cache hit for "${key}"`);
    }
    if (token === undefined) {
      this.#config.debug?.(`registry ${this.host}: fetching a token for "${key}"`);
      token = fetchToken(this.#config.dispatchers, bearer, {
        registry: this.host,
        ...(scope !== undefined && { scope }),
        ...(credentials && { credentials }),
        ...(signal && { signal }),
      });
      this.#tokens.set(key, token);
      const mine = token;
      mine.catch(() => {
        if (this.#tokens.get(key) === mine) this.#tokens.delete(key);
      });
    }
    return `Bearer ${(await token).token}`;
  }

  /** The credentials to offer, looked up once (concurrent callers share the lookup). */
  #lookupCredentials(): Promise<Credentials | undefined> {
    if (this.#credentials === undefined) {
      const { credentials } = this.#config;
      this.#credentials = (async () => {
        const found = typeof credentials === "function" ? await credentials() : credentials;
        this.#hasCredentials = found !== undefined;
        return found;
      })();
    }
    return this.#credentials;
  }

  /** True when the session offered (or was given) credentials. */
  get hasCredentials(): boolean {
    return this.#hasCredentials || typeof this.#config.credentials === "object";
  }

  /** True when the registry asked for authentication at all (its ping answered 401). */
  get challenged(): boolean {
    return this.#challenges.length > 0;
  }
}
