import { imageError } from "../errors.ts";
import {
  isFullId,
  isValidHost,
  isValidPathComponent,
  isValidTag,
  looksLikeHost,
  MAX_REFERENCE_LENGTH,
  splitDigest,
} from "./grammar.ts";

/**
 * An image reference split into its parts, exactly as the user wrote them: nothing is added
 * (no default host, tag or `library/`) and nothing is lower-cased.
 */
export interface Reference {
  /** The input string. */
  readonly original: string;
  /** Registry host with optional port (`localhost:5000`, `docker.io`); absent for short names. */
  readonly host?: string;
  /** Repository path after the host: `library/busybox`, `team/app`. */
  readonly path: string;
  /** Tag without the `:`. */
  readonly tag?: string;
  /** Digest without the `@`: `sha256:<hex>`; another algorithm parses but is not usable. */
  readonly digest?: string;
}

/**
 * Parses an image reference `[host[:port]/]path[:tag][@digest]` (iSulad §5.1, distribution
 * grammar). The first path component is the host only when the name contains a `/` and that
 * component contains `.` or `:` or is `localhost`.
 *
 * Throws `InvalidArgument` with the message `invalid image name "<input>": <reason>` (values
 * JSON-quoted, so a hostile name stays on one line); the CLI
 * prints iSulad's own line (`Invalid image name: <input>`) from the input it holds.
 */
export function parseReference(s: string): Reference {
  const parsed = splitReference(s);
  if (typeof parsed === "string") {
    throw imageError("InvalidArgument", `invalid image name ${JSON.stringify(s)}: ${parsed}`);
  }
  return parsed;
}

/** True when `s` parses as an image reference (the check behind `<src> is not a valid image name`). */
export function isValidImageName(s: string): boolean {
  return typeof splitReference(s) !== "string";
}

/**
 * True when `s` may be the target of `isula tag`: a valid reference without a digest, that does
 * not start with `sha256:` and is not 64 hex characters (it would be taken for an ID). The CLI
 * prints `<s> is not a valid tag` otherwise.
 */
export function isValidTagTarget(s: string): boolean {
  if (s.startsWith("sha256:") || isFullId(s)) return false;
  const parsed = splitReference(s);
  return typeof parsed !== "string" && parsed.digest === undefined;
}

/** The parts of `s`, or the reason it is not a reference. */
function splitReference(s: string): Reference | string {
  if (s.length === 0) return "name is empty";
  if (s.length > MAX_REFERENCE_LENGTH)
    return `name is longer than ${MAX_REFERENCE_LENGTH} characters`;

  let rest = s;
  let digest: string | undefined;
  const at = rest.indexOf("@");
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (splitDigest(digest) === undefined) return `invalid digest ${JSON.stringify(digest)}`;
  }

  let host: string | undefined;
  const slash = rest.indexOf("/");
  const first = rest.slice(0, Math.max(slash, 0));
  if (slash >= 0 && looksLikeHost(first)) {
    if (!isValidHost(first)) return `invalid registry host ${JSON.stringify(first)}`;
    host = first;
    rest = rest.slice(slash + 1);
  }

  let tag: string | undefined;
  const colon = rest.lastIndexOf(":");
  if (colon >= 0) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!isValidTag(tag)) return `invalid tag ${JSON.stringify(tag)}`;
  }

  const pathProblem = checkPath(rest);
  if (pathProblem !== undefined) return pathProblem;
  return {
    original: s,
    path: rest,
    ...(host !== undefined && { host }),
    ...(tag !== undefined && { tag }),
    ...(digest !== undefined && { digest }),
  };
}

function checkPath(path: string): string | undefined {
  if (path.length === 0) return "repository name is empty";
  for (const component of path.split("/")) {
    if (isValidPathComponent(component)) continue;
    if (isValidPathComponent(component.toLowerCase())) return "repository name must be lowercase";
    return `invalid repository path component ${JSON.stringify(component)}`;
  }
  return undefined;
}

/** Writes a reference back as text: `[host/]path[:tag][@digest]`. */
export function formatReference(ref: Omit<Reference, "original">): string {
  const name = ref.host === undefined ? ref.path : `${ref.host}/${ref.path}`;
  const tagged = ref.tag === undefined ? name : `${name}:${ref.tag}`;
  return ref.digest === undefined ? tagged : `${tagged}@${ref.digest}`;
}
