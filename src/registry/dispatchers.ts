import { Agent, type Dispatcher, EnvHttpProxyAgent } from "undici";
import { loadTlsMaterial } from "./certs-dir.ts";
import type { TransferOptions } from "./transfer-options.ts";

/** What decides the TLS settings of one host. */
export interface DispatcherConfig {
  certsDir: string;
  /** Hosts (`host[:port]`) whose certificates are not verified. */
  skipVerify: (host: string) => boolean;
  transfer: TransferOptions;
}

const PROXY_VARS = ["HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"];

/**
 * One keep-alive undici dispatcher per `host[:port]`, built from `certs.d/<host>/` (CA and an
 * optional client pair) and the verification policy. Honours `HTTPS_PROXY`, `HTTP_PROXY` and
 * `NO_PROXY` as they are when the dispatcher is made. Safe to call concurrently; `close()`
 * closes every dispatcher it made.
 */
export class Dispatchers {
  readonly #config: DispatcherConfig;
  readonly #byHost = new Map<string, Promise<Dispatcher>>();
  readonly #withClientCert = new Set<string>();

  constructor(config: DispatcherConfig) {
    this.#config = config;
  }

  /** The dispatcher for `host[:port]`; throws `FailedPrecondition` for a broken certs.d folder. */
  forHost(host: string): Promise<Dispatcher> {
    let d = this.#byHost.get(host);
    if (d === undefined) {
      d = this.#make(host);
      this.#byHost.set(host, d);
      // A failed load is not cached: the user may fix the folder and retry in the same daemon.
      d.catch(() => this.#byHost.delete(host));
    }
    return d;
  }

  async #make(host: string): Promise<Dispatcher> {
    const tls = await loadTlsMaterial(this.#config.certsDir, host);
    if (tls.cert) this.#withClientCert.add(host);
    const { transfer } = this.#config;
    const connect = {
      ...tls,
      rejectUnauthorized: !this.#config.skipVerify(host),
      timeout: transfer.connectTimeoutMs,
    };
    const common = {
      keepAliveTimeout: 30_000,
      connections: 16,
      headersTimeout: transfer.headersTimeoutMs,
      // The slow-body watchdog aborts stalled bodies; this is only a last resort.
      bodyTimeout: Math.max(transfer.lowSpeedSeconds * 4000, 60_000),
    };
    if (PROXY_VARS.some((v) => process.env[v]))
      return new EnvHttpProxyAgent({ ...common, connect, requestTls: connect });
    return new Agent({ ...common, connect });
  }

  /** True when the dispatcher made for `host` offers a client certificate. */
  hasClientCert(host: string): boolean {
    return this.#withClientCert.has(host);
  }

  /** Closes every dispatcher; requests still running fail. */
  async close(): Promise<void> {
    const all = [...this.#byHost.values()];
    this.#byHost.clear();
    await Promise.all(all.map(async (d) => (await d.catch(() => undefined))?.close()));
  }
}
