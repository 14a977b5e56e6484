// Secrets that could reach a message despite the rule that callers never pass them: a registry
// that echoes our Authorization header or a URL with user info in an error body, a helper's
// stderr. Shapes, not values: each pattern keeps the word that names the secret.
const SECRET_PATTERNS: [RegExp, string][] = [
  [/(authorization["']?\s*[:=]\s*["']?)(basic|bearer)?\s*[^\s"',}]+/gi, "$1$2 <redacted>"],
  // "Basic <base64>" / "Bearer <token>" outside a header: a value of 12 or more characters with
  // a digit or a base64 sign in it, so that "bearer challenge" stays readable.
  [
    /\b(Basic|Bearer|BASIC|BEARER)(\s+)(?=[A-Za-z._~-]*[0-9+/=])[A-Za-z0-9+/._~-]{12,}=*/g,
    "$1$2<redacted>",
  ],
  [
    /("?(?:password|passwd|secret|auth|identitytoken|registrytoken|refresh_token|access_token|token)"?\s*[:=]\s*"?)[^\s"',}&]+/gi,
    "$1<redacted>",
  ],
  [/(\/\/[^/\s:@]+:)[^@\s/]+@/g, "$1<redacted>@"],
  // A JSON web token (what token servers hand out), wherever it appears.
  [/\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g, "<redacted>"],
];

/**
 * Hides credentials, tokens and `Authorization` values in a message meant for a log or a user:
 * values after `password`, `token`, `auth`... keys, Basic and Bearer credentials, the password
 * of a URL's user info, JSON web tokens, and each of `known` (exact secrets the caller holds,
 * with the base64 forms a registry might echo). Text without such shapes is returned unchanged.
 */
export function redactSecrets(message: string, known: readonly string[] = []): string {
  let out = message;
  for (const secret of knownForms(known)) out = out.split(secret).join("<redacted>");
  for (const [re, to] of SECRET_PATTERNS) out = out.replace(re, to);
  return out;
}

/** The secrets and their base64 forms, longest first; very short ones are left alone. */
function knownForms(known: readonly string[]): string[] {
  const forms = new Set<string>();
  for (const s of known) {
    if (s.length < 4) continue;
    forms.add(s);
    forms.add(Buffer.from(s).toString("base64"));
  }
  return [...forms].sort((a, b) => b.length - a.length);
}

/** The secrets of a user name and password as they may be echoed: the password, `user:pass`. */
export function credentialForms(creds: { username: string; password: string }): string[] {
  return [creds.password, `${creds.username}:${creds.password}`];
}
