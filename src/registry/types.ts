import type { Digest } from "../digest/digest.ts";
import type { Descriptor, Platform } from "../oci/types.ts";
import type { TransferOptions } from "./transfer-options.ts";

export type { TransferOptions } from "./transfer-options.ts";

/** Registry user name and password for one host. */
export interface Credentials {
  username: string;
  password: string;
}

/** Everything the distribution client needs from daemon.json and the host (DESIGN §2-§3). */
export interface RegistryOptions {
  /** `certs.d` folder: `<certsDir>/<host[:port]>/{*.crt, *.cert + *.key}`. */
  certsDir: string;
  /** `insecure-registries`: exact `host[:port]`; allows HTTP and skips verification for it. */
  insecureRegistries: string[];
  /** `insecure-skip-verify-enforce`: no TLS verification for any registry or token server. */
  skipVerifyEnforce: boolean;
  /** `registry-mirrors` (with or without scheme), tried in order for names without a host. */
  mirrors: string[];
  /** Stored credentials for a registry host (after docker.io → registry-1.docker.io). */
  credentialsFor(host: string): Credentials | undefined;
  /** Optional debug logger; never receives credentials, tokens or Authorization values. */
  debug?: (line: string) => void;
  /** Retry, back-off and timeout tuning (tests shorten them); iSulad-like defaults. */
  transfer?: Partial<TransferOptions>;
}

/** What `resolveImage` found: the manifest to pull, where it came from, and its config. */
export interface ResolvedImage {
  /** The registry host actually used (a mirror, or the name's host), e.g. `localhost:5000`. */
  host: string;
  /** Repository path on that host, e.g. `library/busybox`. */
  repository: string;
  /** Digest of the manifest bytes below (verified when pulled by digest or picked from an index). */
  manifestDigest: Digest;
  manifestMediaType: string;
  /** The image manifest bytes as received (for schema1: a synthesised schema2 manifest). */
  manifest: Buffer;
  /** The config bytes, verified against the manifest's config digest (schema1: synthesised). */
  config: Buffer;
  /** The layer descriptors of the manifest, base first. */
  layers: Descriptor[];
}

export interface ResolveOptions {
  /** `--platform os/arch[/variant]`; default: this host as iSulad maps it. */
  platform?: Platform;
  signal?: AbortSignal;
  /** Explicit credentials (CRI auth) that take priority over stored ones. */
  credentials?: Credentials;
}

export interface BlobOptions {
  signal?: AbortSignal;
  /** Called with the bytes received so far, for progress. */
  onBytes?: (received: number) => void;
  /**
   * The consumer hashes the bytes and checks the digest itself (a pull's `applyLayer` does, in
   * its worker), so the stream skips its own sha256; the size is still checked.
   */
  digestCheckedByConsumer?: boolean;
}
