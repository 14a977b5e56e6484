import { imageError } from "../errors.ts";
import { SUPPORTED_DIGEST_ALGORITHM, splitDigest } from "./grammar.ts";
import { parseReference, type Reference } from "./parse-reference.ts";

/** The registry a name without a host refers to, and the host stripped from stored names. */
export const DEFAULT_HOST = "docker.io";

/** Hosts that mean Docker Hub and are treated exactly like `docker.io`. */
const DOCKER_HUB_ALIASES: ReadonlySet<string> = new Set([DEFAULT_HOST, "index.docker.io"]);

/** The tag a reference gets when it names neither a tag nor a digest. */
export const DEFAULT_TAG = "latest";

/** A name as the local store keys it (iSulad §5.1 "normalised local name"). */
export interface NormalisedName {
  /** The store key: `repository[:tag][@digest]`, e.g. `busybox:latest`, `a/b@sha256:...`. */
  readonly name: string;
  /** Repository without Docker Hub's host and `library/`: `busybox`, `localhost:5000/a/b`. */
  readonly repository: string;
  /** The tag, `latest` when the input had neither tag nor digest. */
  readonly tag?: string;
  /** The digest, always `sha256:<64 hex>`. */
  readonly digest?: string;
}

/** Where a pull fetches a reference from. */
export interface RemoteTarget {
  /** Registry host as named (`localhost:5000`), `docker.io` for Docker Hub and short names. */
  readonly host: string;
  /** Repository on that registry; Docker Hub names of one component get `library/`. */
  readonly repository: string;
  /** The tag; `latest` when neither tag nor digest was given. Kept beside a digest. */
  readonly tag?: string;
  /** The digest, `sha256:<64 hex>`; when present it is what gets fetched. */
  readonly digest?: string;
  /** The manifest `<reference>` to request: the digest when there is one, else the tag. */
  readonly reference: string;
  /** True when the user named no host: the registry client may try mirrors first. */
  readonly implicitHost: boolean;
}

/**
 * Normalises a reference to the name the local store keys it by: `:latest` is added when there
 * is neither tag nor digest, a leading Docker Hub host (`docker.io/`, `index.docker.io/`) is
 * stripped and then a leading `library/`. A name with both tag and digest keeps both.
 *
 * Throws `InvalidArgument` for an invalid reference, or a digest whose algorithm is not sha256.
 */
export function normaliseReference(input: string | Reference): NormalisedName {
  const ref = typeof input === "string" ? parseReference(input) : input;
  checkDigestUsable(ref);

  let repository = ref.path;
  if (ref.host !== undefined && !DOCKER_HUB_ALIASES.has(ref.host)) {
    repository = `${ref.host}/${ref.path}`;
  } else if (repository.startsWith("library/")) {
    repository = repository.slice("library/".length);
  }

  const tag = ref.tag ?? (ref.digest === undefined ? DEFAULT_TAG : undefined);
  let name = repository;
  if (tag !== undefined) name += `:${tag}`;
  if (ref.digest !== undefined) name += `@${ref.digest}`;
  return {
    name,
    repository,
    ...(tag !== undefined && { tag }),
    ...(ref.digest && { digest: ref.digest }),
  };
}

/** `normaliseReference(s).name`: `docker.io/library/busybox` → `busybox:latest`. */
export function normaliseName(s: string): string {
  return normaliseReference(s).name;
}

/**
 * Where to pull `ref` from. Short names and Docker Hub aliases go to `docker.io`, and a Docker
 * Hub repository of one component gets `library/` (Docker's rule: `docker.io/busybox` is
 * `library/busybox`, unlike iSulad). The tag defaults to `latest` when there is no digest.
 *
 * Throws `InvalidArgument` when the digest's algorithm is not sha256.
 */
export function remoteTarget(ref: Reference): RemoteTarget {
  checkDigestUsable(ref);
  const host = ref.host === undefined || DOCKER_HUB_ALIASES.has(ref.host) ? DEFAULT_HOST : ref.host;
  const repository =
    host === DEFAULT_HOST && !ref.path.includes("/") ? `library/${ref.path}` : ref.path;
  const tag = ref.tag ?? (ref.digest === undefined ? DEFAULT_TAG : undefined);
  return {
    host,
    repository,
    ...(tag !== undefined && { tag }),
    ...(ref.digest !== undefined && { digest: ref.digest }),
    reference: ref.digest ?? tag ?? DEFAULT_TAG,
    implicitHost: ref.host === undefined,
  };
}

/**
 * Splits a stored name into repository and tag at the last `:` that has no `/` after it (the
 * `isula images` rule); `tag` is `undefined` when there is no such colon (shown as `<none>`).
 * Never throws; applied as-is to names holding a digest, as iSulad does.
 */
export function splitRepoTag(name: string): { repository: string; tag?: string } {
  const colon = name.lastIndexOf(":");
  if (colon < 0 || name.indexOf("/", colon) >= 0) return { repository: name };
  return { repository: name.slice(0, colon), tag: name.slice(colon + 1) };
}

function checkDigestUsable(ref: Reference): void {
  if (ref.digest === undefined) return;
  const algorithm = splitDigest(ref.digest)?.algorithm;
  if (algorithm === SUPPORTED_DIGEST_ALGORITHM) return;
  throw imageError(
    "InvalidArgument",
    `invalid image name "${ref.original}": unsupported digest algorithm "${algorithm ?? ref.digest}"`,
  );
}
