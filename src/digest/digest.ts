import type { Hash } from "node:crypto";
import { imageError } from "../errors.ts";

/** A content digest in its canonical string form, `sha256:<64 lowercase hex>`. */
export type Digest = `sha256:${string}`;

/**
 * node:crypto's `createHash`, loaded on first use: commands that hash nothing (`isula images`)
 * then never load the crypto module, a few milliseconds of start-up.
 */
export function createHash(algorithm: "sha256"): Hash {
  return process.getBuiltinModule("node:crypto").createHash(algorithm);
}

/** `bytes` random bytes as hex, for unique temp names; node:crypto loaded on first use too. */
export function randomHex(bytes: number): string {
  return process.getBuiltinModule("node:crypto").randomBytes(bytes).toString("hex");
}

const SHA256_RE = /^sha256:[0-9a-f]{64}$/;
const HEX64_RE = /^[0-9a-f]{64}$/;

/** True when `s` is a `sha256:<64 hex>` digest; the only algorithm the store keeps. */
export function isDigest(s: string): s is Digest {
  return SHA256_RE.test(s);
}

/** True when `s` is 64 lowercase hex characters (an image or layer ID). */
export function isHex64(s: string): boolean {
  return HEX64_RE.test(s);
}

/** Parses a digest string; throws `InvalidArgument` for anything but `sha256:<64 hex>`. */
export function parseDigest(s: string): Digest {
  if (!isDigest(s)) throw imageError("InvalidArgument", `invalid digest "${s}"`);
  return s;
}

/** The 64-hex part of a digest. */
export function digestHex(d: Digest): string {
  return d.slice(7);
}

/** sha256 of a byte string, as a `Digest`. */
export function sha256Digest(data: Uint8Array | string): Digest {
  return `sha256:${createHash("sha256").update(data).digest("hex")}`;
}

/** A running sha256 that also counts bytes: feed chunks, then read `digest()` once. */
export class Digester {
  readonly #hash: Hash = createHash("sha256");
  size = 0;

  update(chunk: Uint8Array): void {
    this.#hash.update(chunk);
    this.size += chunk.length;
  }

  digest(): Digest {
    return `sha256:${this.#hash.digest("hex")}`;
  }
}

/**
 * Chain ID of a layer, as containers/storage and iSulad compute it: the first layer's chain ID is
 * its diffID; each later one is `sha256("<parent chain hex>+<diffID hex>")` over those ASCII bytes.
 */
export function chainId(parent: Digest | undefined, diffId: Digest): Digest {
  if (parent === undefined) return diffId;
  return sha256Digest(`${digestHex(parent)}+${digestHex(diffId)}`);
}

/** Chain IDs of every layer of an image, in order, from its diffIDs. */
export function chainIds(diffIds: readonly Digest[]): Digest[] {
  const out: Digest[] = [];
  for (const d of diffIds) out.push(chainId(out[out.length - 1], d));
  return out;
}
