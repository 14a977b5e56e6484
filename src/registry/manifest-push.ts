import { type Digest, sha256Digest } from "../digest/digest.ts";
import { imageError } from "../errors.ts";
import type { BlobContext } from "./blob-fetch.ts";
import { pushScope, pushStatusError } from "./blob-upload.ts";
import { withRetry } from "./retry.ts";

/**
 * Uploads manifest bytes as they are (`PUT /v2/<repo>/manifests/<reference>` with the media type
 * as Content-Type), after every blob it names is in the repository. Returns the manifest's
 * digest, which the registry's `Docker-Content-Digest` answer must agree with. Retries transient
 * failures; throws `Unauthenticated`, `PermissionDenied`, `InvalidArgument` (the registry
 * refused the manifest: 400) or `Unavailable`.
 */
export async function putManifest(
  ctx: BlobContext,
  req: { reference: string; bytes: Buffer; mediaType: string; signal?: AbortSignal },
): Promise<Digest> {
  const digest = sha256Digest(req.bytes);
  const doing = `uploading manifest ${req.reference}`;
  const res = await withRetry(
    async () => {
      const r = await ctx.session.request(`/v2/${ctx.repository}/manifests/${req.reference}`, {
        method: "PUT",
        headers: { "content-type": req.mediaType, "content-length": String(req.bytes.length) },
        body: () => req.bytes,
        scope: pushScope(ctx.repository),
        ...(req.signal && { signal: req.signal }),
      });
      if (r.statusCode === 201 || r.statusCode === 200) return r;
      const err = await pushStatusError(ctx, r, doing);
      if (r.statusCode === 400)
        throw imageError(
          "InvalidArgument",
          err.message.replace("unexpected status 400", "refused"),
        );
      throw err;
    },
    ctx.transfer,
    { ...(req.signal && { signal: req.signal }) },
  );
  await res.body.dump();
  const said = res.headers["docker-content-digest"];
  const saidDigest = Array.isArray(said) ? said[0] : said;
  if (saidDigest !== undefined && saidDigest !== digest)
    throw imageError(
      "Unavailable",
      `${doing} to "${ctx.session.host}/${ctx.repository}": the registry stored ${saidDigest}, not ${digest}`,
    );
  return digest;
}
