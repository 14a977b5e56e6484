import { readBounded } from "../digest/bounded-read.ts";
import { type Digest, isDigest, sha256Digest } from "../digest/digest.ts";
import { imageError } from "../errors.ts";
import { MediaType } from "../oci/media-types.ts";
import type { RegistrySession } from "./registry-session.ts";
import { withRetry } from "./retry.ts";
import { schema1PayloadDigest } from "./schema1.ts";
import { statusError } from "./status-errors.ts";
import { LIMITS, type TransferOptions } from "./transfer-options.ts";

/** Every manifest type we read, in iSulad's order, sent as `Accept`. */
export const MANIFEST_TYPES: readonly string[] = [
  MediaType.dockerManifest,
  MediaType.dockerSchema1Signed,
  MediaType.dockerSchema1,
  MediaType.dockerManifestList,
  MediaType.ociManifest,
  MediaType.ociIndex,
];

const ACCEPT = [...MANIFEST_TYPES, "application/json"].join(", ");

/** A manifest as received. */
export interface FetchedManifest {
  bytes: Buffer;
  mediaType: string;
  /** sha256 of the bytes; for signed schema1, of the payload without signatures. */
  digest: Digest;
}

export interface ManifestRequest {
  repository: string;
  /** Tag or digest. */
  reference: string;
  /** How the user named the image, for messages. */
  what: string;
  transfer: TransferOptions;
  signal?: AbortSignal;
}

/**
 * Fetches `/v2/<repo>/manifests/<ref>` (bounded to 4 MiB, retried on transient failures),
 * decides its media type (Content-Type, or the body for a bare `application/json`), and verifies
 * its digest when `reference` is a digest. Throws `NotFound` for an unknown image,
 * `InvalidArgument` for an unsupported type or a digest mismatch.
 */
export async function fetchManifest(
  session: RegistrySession,
  req: ManifestRequest,
): Promise<FetchedManifest> {
  const m = await withRetry(() => fetchOnce(session, req), req.transfer, {
    ...(req.signal && { signal: req.signal }),
  });
  if (isDigest(req.reference) && m.digest !== req.reference)
    throw imageError(
      "InvalidArgument",
      `manifest of "${req.what}" from "${session.host}" does not match its digest ${req.reference} (got ${m.digest})`,
    );
  return m;
}

async function fetchOnce(session: RegistrySession, req: ManifestRequest): Promise<FetchedManifest> {
  const res = await session.request(`/v2/${req.repository}/manifests/${req.reference}`, {
    headers: { accept: ACCEPT },
    scope: `repository:${req.repository}:pull`,
    ...(req.signal && { signal: req.signal }),
  });
  if (res.statusCode === 404) {
    await res.body.dump();
    throw imageError("NotFound", `image "${req.what}" not found in registry "${session.host}"`);
  }
  if (res.statusCode !== 200) {
    const doing = `fetching manifest of "${req.what}" from "${session.host}"`;
    const err = await statusError(res, doing);
    if (err.kind !== "Unauthenticated") throw err;
    const hint = session.hasCredentials
      ? "the registry refused the credentials"
      : `authentication required (isula login ${session.host})`;
    throw imageError("Unauthenticated", `${doing}: unauthorized: ${hint}`);
  }
  const bytes = await readBounded(res.body, LIMITS.manifest, `manifest of "${req.what}"`);
  const mediaType = manifestMediaType(headerOf(res.headers["content-type"]), bytes);
  if (!MANIFEST_TYPES.includes(mediaType))
    throw imageError(
      "InvalidArgument",
      `manifest of "${req.what}" has unsupported media type "${mediaType}"`,
    );
  const isSchema1 =
    mediaType === MediaType.dockerSchema1 || mediaType === MediaType.dockerSchema1Signed;
  const digest = isSchema1 ? schema1PayloadDigest(bytes) : sha256Digest(bytes);
  return { bytes, mediaType, digest };
}

function headerOf(v: string | string[] | undefined): string {
  const s = Array.isArray(v) ? v[0] : v;
  return (s ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
}

/** The media type from Content-Type, or from the body when the server only says JSON. */
export function manifestMediaType(contentType: string, bytes: Buffer): string {
  if (contentType !== "" && contentType !== "application/json" && contentType !== "text/plain")
    return contentType;
  try {
    const doc = JSON.parse(bytes.toString("utf8")) as {
      schemaVersion?: number;
      mediaType?: string;
    };
    if (doc.schemaVersion === 1) return MediaType.dockerSchema1;
    if (typeof doc.mediaType === "string") return doc.mediaType;
    if ("manifests" in doc) return MediaType.ociIndex;
    if ("config" in doc) return MediaType.ociManifest;
  } catch {
    // Not JSON: reported as an unsupported type below.
  }
  return contentType || "(none)";
}
