import { redactSecrets } from "../auth/redact.ts";
import { readBounded } from "../digest/bounded-read.ts";
import { type ImageError, imageError } from "../errors.ts";
import type { HttpResponse } from "./http-request.ts";
import { markTransient } from "./retry.ts";
import { LIMITS } from "./transfer-options.ts";

/** Longest registry error detail quoted in a message. */
const MAX_DETAIL = 300;

/** The first `errors[].code` / `message` of a distribution error body, if there is one. */
async function registryErrorText(res: HttpResponse): Promise<string> {
  try {
    const body = await readBounded(res.body, LIMITS.errorBody, "error body");
    const doc = JSON.parse(body.toString("utf8")) as {
      errors?: { code?: string; message?: string }[];
    };
    const first = doc.errors?.[0];
    if (!first) return "";
    // A registry may quote our Authorization header or a URL with user info back to us.
    const text = redactSecrets(
      [first.code?.toLowerCase(), first.message].filter(Boolean).join(": "),
    );
    // Its words end up in a one-line message: no control characters, no essays.
    const line = text.replace(/\p{Cc}+/gu, " ").trim();
    return line.length > MAX_DETAIL ? `${line.slice(0, MAX_DETAIL)}...` : line;
  } catch {
    return "";
  }
}

/**
 * Turns an unexpected status into an `ImageError` saying what we were `doing`: 401
 * `Unauthenticated`, 403 `PermissionDenied`, 404 `NotFound`, 429 `ResourceExhausted`, 5xx
 * `Unavailable` (transient, so retried). Consumes the body.
 */
export async function statusError(res: HttpResponse, doing: string): Promise<ImageError> {
  const detail = await registryErrorText(res);
  const suffix = detail ? ` (${detail})` : "";
  const s = res.statusCode;
  if (s === 401) return imageError("Unauthenticated", `${doing}: unauthorized${suffix}`);
  if (s === 403) return imageError("PermissionDenied", `${doing}: access denied${suffix}`);
  if (s === 404) return imageError("NotFound", `${doing}: not found${suffix}`);
  if (s === 429)
    return markTransient(imageError("ResourceExhausted", `${doing}: too many requests${suffix}`));
  if (s >= 500)
    return markTransient(imageError("Unavailable", `${doing}: server error ${s}${suffix}`));
  return imageError("Unavailable", `${doing}: unexpected status ${s}${suffix}`);
}
