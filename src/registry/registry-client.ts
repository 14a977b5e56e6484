import { createHash } from "node:crypto";
import { imageError } from "../errors.ts";
import type { Descriptor } from "../oci/types.ts";
import { DEFAULT_HOST, remoteTarget } from "../reference/normalise.ts";
import { parseReference } from "../reference/parse-reference.ts";
import { type BlobContext, streamBlob } from "./blob-fetch.ts";
import { Dispatchers } from "./dispatchers.ts";
import { DOCKER_HUB_REGISTRY, hostForLogin, networkHost, parseMirror } from "./hosts.ts";
import { platformOfThisHost } from "./platform.ts";
import { PushDestination } from "./push-destination.ts";
import { searchRegistry } from "./registry-search-term.ts";
import { RegistrySession } from "./registry-session.ts";
import { resolveOn } from "./resolve-image.ts";
import { DEFAULT_TRANSFER, type TransferOptions } from "./transfer-options.ts";
import type {
  BlobOptions,
  Credentials,
  RegistryOptions,
  ResolvedImage,
  ResolveOptions,
} from "./types.ts";

export { hostForLogin } from "./hosts.ts";
export { parsePlatform, platformOfThisHost } from "./platform.ts";
export type { PushDestination } from "./push-destination.ts";
export type { SearchResult } from "./registry-search.ts";

/** A registry to try for one pull. */
interface Candidate {
  host: string;
  insecure: boolean;
  repository: string;
}

/**
 * The distribution client (DESIGN §2-§3): resolves names to a verified manifest and config on
 * the right registry (mirrors, HTTPS/HTTP, certs.d, credentials, tokens), and streams verified
 * blobs. One instance may serve many pulls at once; it keeps one keep-alive connection pool per
 * host and a token cache per host and credentials. `close()` ends the pools.
 */
export class RegistryClient {
  readonly #opts: RegistryOptions;
  readonly #transfer: TransferOptions;
  readonly #dispatchers: Dispatchers;
  readonly #sessions = new Map<string, RegistrySession>();
  readonly #contexts = new WeakMap<ResolvedImage, BlobContext>();

  constructor(opts: RegistryOptions) {
    this.#opts = opts;
    this.#transfer = { ...DEFAULT_TRANSFER, ...opts.transfer };
    const insecure = new Set(opts.insecureRegistries);
    this.#dispatchers = new Dispatchers({
      certsDir: opts.certsDir,
      skipVerify: (host) => opts.skipVerifyEnforce || insecure.has(host),
      transfer: this.#transfer,
    });
  }

  /**
   * Resolves `name` as the user typed it to a manifest and config, both verified. A name without
   * a host tries each mirror in order, Docker Hub last; the first registry that resolves wins,
   * and when all fail the first failure is thrown. Throws `InvalidArgument` for a bad name,
   * unsupported type or digest mismatch, `NotFound` (no such image, no platform match),
   * `Unauthenticated`, `PermissionDenied`, `FailedPrecondition` (TLS set-up), `Unavailable`.
   */
  async resolveImage(name: string, opts: ResolveOptions = {}): Promise<ResolvedImage> {
    const target = remoteTarget(parseReference(name));
    const platform = opts.platform ?? platformOfThisHost();
    let first: unknown;
    for (const c of this.#candidates(target.host, target.repository, target.implicitHost)) {
      const ctx = this.#context(c, opts.credentials);
      try {
        const image = await resolveOn(ctx, {
          repository: c.repository,
          reference: target.reference,
          what: name,
          ...(opts.deferSchema1Layers && { deferSchema1Layers: true }),
          platform,
          ...(opts.signal && { signal: opts.signal }),
        });
        this.#contexts.set(image, ctx);
        return image;
      } catch (err) {
        if (opts.signal?.aborted) throw err;
        this.#opts.debug?.(`resolving "${name}" on ${c.host} failed: ${String(err)}`);
        first ??= err;
      }
    }
    throw first ?? imageError("Internal", `no registry to pull "${name}" from`);
  }

  /**
   * The blob's bytes as one stream, from the registry that resolved `image` (or from the blob's
   * `urls` first). Retries resets, 5xx and stalls with back-off, resuming by `Range`; at the end
   * the digest is checked (`InvalidArgument` on a mismatch). Break out of the loop to cancel.
   */
  fetchBlob(
    image: ResolvedImage,
    blob: Descriptor,
    opts: BlobOptions = {},
  ): AsyncIterable<Uint8Array> {
    const ctx =
      this.#contexts.get(image) ??
      this.#context({
        host: image.host,
        insecure: this.#isInsecure(image.host),
        repository: image.repository,
      });
    return streamBlob(ctx, blob, opts);
  }

  /**
   * Checks credentials against `server` (`host[:port]`, text after the first `/` ignored):
   * pings `/v2/`, then sends an authenticated `GET /v2/` (Basic, or Bearer with a token fetched
   * with the credentials). Throws `Unauthenticated` on a wrong password, and the transport's
   * errors otherwise. Succeeds on a registry that asks for no authentication.
   */
  async checkLogin(server: string, creds: Credentials, signal?: AbortSignal): Promise<void> {
    const host = hostForLogin(server);
    const session = new RegistrySession({
      dispatchers: this.#dispatchers,
      host,
      insecure: this.#isInsecure(host),
      credentials: creds,
      ...(this.#opts.debug && { debug: this.#opts.debug }),
    });
    const res = await session.request("/v2/", { ...(signal && { signal }) });
    await res.body.dump();
    if (res.statusCode === 401)
      throw imageError("Unauthenticated", `logging in to "${host}": wrong username or password`);
    if (res.statusCode !== 200)
      throw imageError("Unavailable", `logging in to "${host}": status ${res.statusCode}`);
  }

  /**
   * Where a push of `repository` on `host` (as a name gives it; `docker.io` is Docker Hub)
   * goes, with the same scheme, TLS and credential rules as a pull. No request is sent yet.
   */
  pushDestination(
    host: string,
    repository: string,
    opts: { credentials?: Credentials; chunkBytes?: number } = {},
  ): PushDestination {
    const h = networkHost(host);
    const ctx = this.#context(
      { host: h, insecure: this.#isInsecure(h), repository },
      opts.credentials,
    );
    return new PushDestination(ctx, opts);
  }

  /**
   * `isula search TERM`: v1 search on Docker Hub's index, or on the host a TERM like
   * `host:port/term` names; a registry without v1 search lists its `_catalog` instead.
   * See `registry-search-term.ts` for the errors.
   */
  search(term: string, opts: { limit: number; signal?: AbortSignal }) {
    return searchRegistry(term, {
      ...opts,
      open: (host) => {
        const ctx = this.#context({ host, insecure: this.#isInsecure(host), repository: "" });
        return { session: ctx.session, dispatchers: this.#dispatchers };
      },
    });
  }

  /** Closes every connection pool; blob streams still running fail. */
  async close(): Promise<void> {
    this.#sessions.clear();
    await this.#dispatchers.close();
  }

  #isInsecure(host: string): boolean {
    return this.#opts.insecureRegistries.includes(host);
  }

  #candidates(host: string, repository: string, implicitHost: boolean): Candidate[] {
    const hub = {
      host: networkHost(host),
      insecure: this.#isInsecure(networkHost(host)),
      repository,
    };
    if (!implicitHost || host !== DEFAULT_HOST) return [hub];
    const mirrors = this.#opts.mirrors.map(parseMirror).map((m) => ({
      host: m.host,
      insecure: m.insecure || this.#isInsecure(m.host),
      repository: m.prefix ? `${m.prefix}/${repository}` : repository,
    }));
    const hubListed = mirrors.some(
      (m) => m.host === DOCKER_HUB_REGISTRY && m.repository === repository,
    );
    return hubListed ? mirrors : [...mirrors, hub];
  }

  #context(c: Candidate, explicit?: Credentials): BlobContext {
    // Without explicit credentials the session asks `credentialsFor` when first challenged,
    // which gives the same answer for a host for the client's life.
    const credentials = explicit ?? (() => this.#opts.credentialsFor(c.host));
    const who = explicit
      ? `${explicit.username}:${createHash("sha256").update(explicit.password).digest("hex")}`
      : "stored";
    const key = `${c.insecure ? "http" : "https"}|${c.host}|${who}`;
    let session = this.#sessions.get(key);
    if (session === undefined) {
      session = new RegistrySession({
        dispatchers: this.#dispatchers,
        host: c.host,
        insecure: c.insecure,
        credentials,
        ...(this.#opts.debug && { debug: this.#opts.debug }),
      });
      this.#sessions.set(key, session);
    }
    return {
      session,
      repository: c.repository,
      dispatchers: this.#dispatchers,
      transfer: this.#transfer,
      ...(this.#opts.debug && { debug: this.#opts.debug }),
    };
  }
}
