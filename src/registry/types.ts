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
  /**
   * Stored credentials for a registry host (after docker.io → registry-1.docker.io). Asked only
   * when that registry challenges for authentication, at most once per host and client; may
   * run a credential helper, so it may be asynchronous. Its errors fail the request.
   */
  credentialsFor(host: string): Credentials | undefined | Promise<Credentials | undefined>;
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
  /**
   * Set only for a schema1 image resolved with `deferSchema1Layers`: its layers' diffIDs and
   * sizes are not known yet (`layers` have size 0 and must be fetched with `sizeUnknown`), and
   * `config` and `manifest` are empty until `complete` synthesises them from what the caller
   * measured while fetching each layer, base first.
   */
  schema1?: Schema1Completion;
}

/** Completes a deferred schema1 image (see `ResolvedImage.schema1`). */
export interface Schema1Completion {
  /** `InvalidArgument` when `layers` does not give one entry per manifest layer. */
  complete(
    layers: { diffId: Digest; size: number }[],
  ): Pick<ResolvedImage, "config" | "manifest" | "layers">;
}

export interface ResolveOptions {
  /** `--platform os/arch[/variant]`; default: this host as iSulad maps it. */
  platform?: Platform;
  signal?: AbortSignal;
  /** Explicit credentials (CRI auth) that take priority over stored ones. */
  credentials?: Credentials;
  /**
   * For a schema1 image, leave its layers to the caller (`ResolvedImage.schema1`) instead of
   * downloading each one here to learn its diffID, so that a pull fetches each blob once.
   */
  deferSchema1Layers?: boolean;
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
  /** The descriptor's size is not known (deferred schema1 layers): it is not checked. */
  sizeUnknown?: boolean;
}
