import { CANNOT_CONNECT } from "../service/open.ts";

/** OpenSSL's alert when a server wants a client certificate and got none (TLS 1.3). */
const CERT_REQUIRED = /alert certificate required|CERTIFICATE_REQUIRED|alert handshake failure/i;

/** Node's codes for a server certificate that does not chain to the trusted CA. */
const UNTRUSTED_SERVER = new Set([
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "ERR_TLS_CERT_ALTNAME_INVALID",
]);

/** Socket codes for a connection the other side closed or reset. */
const CLOSED = new Set(["ECONNRESET", "EPIPE"]);

/**
 * The line `isula` prints when a call to `host` got no answer: iSulad's "Can not connect" text,
 * plus, for a `tcp://` daemon, what went wrong when it can be told (isulad-behaviour §1.1 has
 * no wording for TLS failures). `cause` is the socket's or TLS's error, if there was one;
 * `tls` says whether the client used TLS.
 */
export function cannotConnectMessage(host: string, cause: unknown, tls: boolean): string {
  if (!host.startsWith("tcp://")) return CANNOT_CONNECT;
  const err = cause as { code?: unknown; message?: unknown } | undefined;
  const code = typeof err?.code === "string" ? err.code : "";
  const text = typeof err?.message === "string" ? err.message : "";
  const detail = describe(code, text, tls);
  return detail === undefined ? CANNOT_CONNECT : `${CANNOT_CONNECT} (${host}: ${detail})`;
}

function describe(code: string, text: string, tls: boolean): string | undefined {
  if (!tls) {
    // A TLS port closes a plaintext connection without a word.
    return code === ""
      ? "the connection closed before any reply; does the daemon want TLS (--tlsverify)?"
      : undefined;
  }
  if (CERT_REQUIRED.test(text) || CERT_REQUIRED.test(code)) {
    return "TLS: the daemon requires a client certificate (--tlscert, --tlskey)";
  }
  if (UNTRUSTED_SERVER.has(code)) {
    return `TLS: the daemon's certificate is not trusted by --tlscacert: ${text}`;
  }
  if (code.startsWith("ERR_SSL_")) return `TLS: ${text}`;
  // The daemon drops a client certificate it does not trust right after the handshake, which
  // under TLS 1.3 the client has already taken as done: it sees the connection close, or be
  // reset when its first request crosses the close.
  if (code === "" || CLOSED.has(code))
    return "TLS: the daemon closed the connection: it may not trust the client certificate (--tlscert)";
  return undefined;
}
