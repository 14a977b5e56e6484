import { IDENTITY_TOKEN_USER } from "../auth/types.ts";
import { parseJson, readBounded } from "../digest/bounded-read.ts";
import { imageError } from "../errors.ts";
import type { Challenge } from "./challenge.ts";
import type { Dispatchers } from "./dispatchers.ts";
import { send } from "./http-request.ts";
import { markTransient } from "./retry.ts";
import { LIMITS } from "./transfer-options.ts";
import type { Credentials } from "./types.ts";

/** A bearer token and when it stops being usable (ms since the epoch). */
export interface Token {
  token: string;
  expiresAt: number;
}

/** Default lifetime of a token whose response has no `expires_in` (token spec: 60 s). */
const DEFAULT_EXPIRES_IN = 60;

/** `Basic base64(user:pass)`; the password may contain `:`. */
export function basicAuthorization(creds: Credentials): string {
  return `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString("base64")}`;
}

/**
 * Fetches a token from a Bearer challenge's realm (docker token spec): `GET realm?service=&scope=
 * &account=`, with Basic credentials when there are any, anonymous otherwise. Accepts `token` or
 * `access_token`. Throws `Unauthenticated` when the token server refuses (wrong password),
 * `Unavailable` (transient) on its 5xx.
 */
export async function fetchToken(
  dispatchers: Dispatchers,
  challenge: Challenge,
  opts: { scope?: string; credentials?: Credentials; registry: string; signal?: AbortSignal },
): Promise<Token> {
  const realm = challenge.params.realm;
  if (!realm)
    throw imageError(
      "Unavailable",
      `registry "${opts.registry}" sent a bearer challenge without a realm`,
    );
  let url: URL;
  try {
    url = new URL(realm);
  } catch (err) {
    throw imageError("Unavailable", `registry "${opts.registry}" sent an invalid token realm`, err);
  }
  const doing = `getting a token for "${opts.registry}" from "${url.host}"`;
  const identity = opts.credentials?.username === IDENTITY_TOKEN_USER;
  if (identity) return fetchWithIdentityToken(dispatchers, challenge, url, { ...opts, doing });
  if (challenge.params.service) url.searchParams.set("service", challenge.params.service);
  if (opts.scope) url.searchParams.set("scope", opts.scope);
  if (opts.credentials) url.searchParams.set("account", opts.credentials.username);

  const res = await send(dispatchers, {
    url,
    ...(opts.credentials && { authorization: basicAuthorization(opts.credentials) }),
    ...(opts.signal && { signal: opts.signal }),
  });
  if (res.statusCode === 401 || res.statusCode === 403) {
    await res.body.dump();
    const why = opts.credentials ? "wrong username or password" : "authentication required";
    throw imageError("Unauthenticated", `${doing}: ${why}`);
  }
  if (res.statusCode !== 200) {
    await res.body.dump();
    const err = imageError("Unavailable", `${doing}: status ${res.statusCode}`);
    throw res.statusCode >= 500 ? markTransient(err) : err;
  }
  const doc = parseJson(
    await readBounded(res.body, LIMITS.token, "token response"),
    "token response",
  );
  return tokenOf(doc, doing);
}

/**
 * The OAuth2 form of the token spec, for identity tokens: `POST realm` with
 * `grant_type=refresh_token`, the identity token, service, scope and a client ID. Refused:
 * `Unauthenticated` ("identity token refused"). The token never appears in a message.
 */
async function fetchWithIdentityToken(
  dispatchers: Dispatchers,
  challenge: Challenge,
  url: URL,
  opts: { scope?: string; credentials?: Credentials; signal?: AbortSignal; doing: string },
): Promise<Token> {
  const form = new URLSearchParams({
    grant_type: "refresh_token",
    refresh_token: opts.credentials?.password ?? "",
    client_id: "isulad-ts",
  });
  if (challenge.params.service) form.set("service", challenge.params.service);
  if (opts.scope) form.set("scope", opts.scope);
  const res = await send(dispatchers, {
    method: "POST",
    url,
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: () => Buffer.from(form.toString()),
    ...(opts.signal && { signal: opts.signal }),
  });
  if (res.statusCode === 401 || res.statusCode === 403 || res.statusCode === 400) {
    await res.body.dump();
    throw imageError("Unauthenticated", `${opts.doing}: identity token refused`);
  }
  if (res.statusCode !== 200) {
    await res.body.dump();
    const err = imageError("Unavailable", `${opts.doing}: status ${res.statusCode}`);
    throw res.statusCode >= 500 ? markTransient(err) : err;
  }
  const doc = parseJson(
    await readBounded(res.body, LIMITS.token, "token response"),
    "token response",
  );
  return tokenOf(doc, opts.doing);
}

function tokenOf(doc: unknown, doing: string): Token {
  const d = (doc ?? {}) as Record<string, unknown>;
  const token = typeof d.token === "string" && d.token ? d.token : d.access_token;
  if (typeof token !== "string" || token === "")
    throw imageError("Unauthenticated", `${doing}: the response holds no token`);
  const expiresIn =
    typeof d.expires_in === "number" && d.expires_in > 0 ? d.expires_in : DEFAULT_EXPIRES_IN;
  // Renew a little early so a token does not expire between our check and the registry's.
  return { token, expiresAt: Date.now() + Math.max(expiresIn - 5, 1) * 1000 };
}
