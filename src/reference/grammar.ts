/**
 * The pieces of the distribution reference grammar, as iSulad checks them
 * (`src/utils/cutils/utils_verify.h`), plus the small predicates the CLI and the store use on
 * names and image IDs. Every function here is pure.
 *
 * ```
 * reference      := name [ ":" tag ] [ "@" digest ]
 * name           := [ host "/" ] path-component { "/" path-component }
 * host           := domain-component { "." domain-component } [ ":" port ] | "[" ipv6 "]" [ ":" port ]
 * path-component := alnum { separator alnum }     alnum := [a-z0-9]+     separator := [._] | "__" | "-"+
 * tag            := [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}
 * digest         := algorithm ":" hex{32,}         (only sha256, with 64 hex, is usable)
 * ```
 */

/** Longest accepted reference, in characters, counted over the whole input (iSulad's rule). */
export const MAX_REFERENCE_LENGTH = 255;

const TAG_RE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const PATH_COMPONENT_RE = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN_COMPONENT = "(?:[A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9])";
const HOST_RE = new RegExp(
  `^(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[0-9A-Fa-f:.]+\\])(?::[0-9]+)?$`,
);
const DIGEST_RE = /^([a-z0-9]+(?:[+._-][a-z0-9]+)*):([0-9a-f]{32,})$/;
const ID_PREFIX_RE = /^[0-9a-f]{3,64}$/;
const HEX64_RE = /^[0-9a-f]{64}$/;

/** The only digest algorithm the store and the registry client can use. */
export const SUPPORTED_DIGEST_ALGORITHM = "sha256";

/** True when `s` is a valid tag: `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`. */
export function isValidTag(s: string): boolean {
  return TAG_RE.test(s);
}

/**
 * True when `s` is one valid repository path component: lowercase letters and digits, joined by
 * `.`, `_`, `__` or a run of `-`.
 */
export function isValidPathComponent(s: string): boolean {
  return PATH_COMPONENT_RE.test(s);
}

/** True when `s` is a valid registry host: a domain name or `[ipv6]`, with an optional `:port`. */
export function isValidHost(s: string): boolean {
  return HOST_RE.test(s);
}

/**
 * True when the first `/`-separated component of a name is a registry host: it contains `.` or
 * `:`, or is `localhost`. The caller checks that the name contains a `/` at all.
 */
export function looksLikeHost(component: string): boolean {
  return component.includes(".") || component.includes(":") || component === "localhost";
}

/**
 * Splits a digest into algorithm and hex when its syntax is valid (`algo:hex{32,}`, lowercase),
 * and `undefined` otherwise. A `sha256` digest must also have exactly 64 hex digits.
 */
export function splitDigest(s: string): { algorithm: string; hex: string } | undefined {
  const m = DIGEST_RE.exec(s);
  if (m === null) return undefined;
  const [, algorithm = "", hex = ""] = m;
  if (algorithm === SUPPORTED_DIGEST_ALGORITHM && hex.length !== 64) return undefined;
  return { algorithm, hex };
}

/**
 * True when `s` could be an image ID or an ID prefix: 3 to 64 lowercase hex characters, without
 * `sha256:`. iSulad treats such input as an ID first when an image matches it (§6.5).
 */
export function isIdOrPrefix(s: string): boolean {
  return ID_PREFIX_RE.test(s);
}

/** True when `s` is a full image ID: exactly 64 lowercase hex characters. */
export function isFullId(s: string): boolean {
  return HEX64_RE.test(s);
}

/**
 * The short ID shown by `isula images`: the first 12 hex characters of `id`, with a leading
 * `sha256:` removed first.
 */
export function shortId(id: string): string {
  const hex = id.startsWith("sha256:") ? id.slice("sha256:".length) : id;
  return hex.slice(0, 12);
}
