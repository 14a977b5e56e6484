import { ImageError, imageError } from "../errors.ts";
import { markTransient } from "./retry.ts";

const UNKNOWN_CA = new Set([
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "CERT_UNTRUSTED",
]);

const TRANSIENT = new Set([
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "ECONNABORTED",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "UND_ERR_SOCKET",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
  "UND_ERR_RES_CONTENT_LENGTH_MISMATCH",
  "UND_ERR_CLOSED",
]);

function codeOf(err: unknown): string {
  let e: unknown = err;
  for (let depth = 0; depth < 4 && e instanceof Error; depth++) {
    const code = (e as NodeJS.ErrnoException).code;
    if (typeof code === "string" && code !== "UND_ERR") return code;
    e = e.cause;
  }
  return "";
}

function textOf(err: unknown): string {
  return err instanceof Error ? `${err.message} ${textOf(err.cause)}` : "";
}

/**
 * Turns a connection-level failure talking to `host` into an `ImageError` a person can act on
 * (connection refused, no such host, unknown CA, client certificate demanded or rejected, not
 * TLS; `tls.clientCert` says whether we offered a client certificate, which tells "demanded"
 * from "rejected", as servers send the same alert for both). Resets and timeouts are marked transient. An `ImageError` or an abort passes through.
 */
export function describeNetworkError(
  err: unknown,
  host: string,
  tls?: { clientCert: boolean },
): unknown {
  if (err instanceof ImageError) return err;
  if (err instanceof Error && err.name === "AbortError") return err;
  const code = codeOf(err);
  const text = textOf(err).toLowerCase();
  const at = `"${host}"`;
  if (code === "ECONNREFUSED")
    return imageError("Unavailable", `connecting to ${at}: connection refused`, err);
  if (code === "ENOTFOUND" || code === "EAI_AGAIN" || code === "EAI_NONAME")
    return imageError("Unavailable", `looking up ${at}: no such host`, err);
  if (UNKNOWN_CA.has(code))
    return imageError(
      "FailedPrecondition",
      `connecting to ${at}: x509: certificate signed by unknown authority (add its CA to certs.d/${host}/ca.crt)`,
      err,
    );
  if (code === "CERT_HAS_EXPIRED")
    return imageError("FailedPrecondition", `connecting to ${at}: certificate has expired`, err);
  if (code === "ERR_TLS_CERT_ALTNAME_INVALID")
    return imageError(
      "FailedPrecondition",
      `connecting to ${at}: certificate is not valid for this host name`,
      err,
    );
  if (
    /certificate required|handshake failure|bad certificate|unknown ca|certificate unknown/.test(
      text,
    )
  )
    return clientCertError(host, tls?.clientCert ?? false, err);
  if (code === "ERR_SSL_WRONG_VERSION_NUMBER" || text.includes("wrong version number"))
    return imageError(
      "FailedPrecondition",
      `connecting to ${at}: the server does not speak TLS (list it in insecure-registries to use HTTP)`,
      err,
    );
  const detail = err instanceof Error ? err.message : String(err);
  const wrapped = imageError("Unavailable", `talking to ${at}: ${detail || code}`, err);
  return TRANSIENT.has(code) ? markTransient(wrapped) : wrapped;
}

/**
 * The error for a TLS server that refused us over client certificates: `FailedPrecondition`
 * "requires a client certificate" when we offered none, `PermissionDenied` "rejected the client
 * certificate" when we did.
 */
export function clientCertError(host: string, offered: boolean, cause: unknown) {
  if (!offered)
    return imageError(
      "FailedPrecondition",
      `connecting to "${host}": the registry requires a client certificate (certs.d/${host}/*.cert and *.key)`,
      cause,
    );
  return imageError(
    "PermissionDenied",
    `connecting to "${host}": the registry rejected the client certificate`,
    cause,
  );
}
