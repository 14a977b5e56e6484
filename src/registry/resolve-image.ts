import { createGunzip } from "node:zlib";
import { parseJson, readBounded } from "../digest/bounded-read.ts";
import { type Digest, Digester } from "../digest/digest.ts";
import { imageError } from "../errors.ts";
import { checkIndex, checkManifest } from "../oci/check-descriptor.ts";
import { layerCompression, MediaType } from "../oci/media-types.ts";
import type { Descriptor, Platform } from "../oci/types.ts";
import { type BlobContext, streamBlob } from "./blob-fetch.ts";
import { type FetchedManifest, fetchManifest } from "./manifest-fetch.ts";
import { selectManifest } from "./platform.ts";
import { parseSchema1, synthesiseConfig, synthesiseManifest } from "./schema1.ts";
import { LIMITS } from "./transfer-options.ts";
import type { ResolvedImage } from "./types.ts";

export interface ResolveTarget {
  repository: string;
  /** Tag or digest to request. */
  reference: string;
  /** The name for messages. */
  what: string;
  platform: Platform;
  signal?: AbortSignal;
  /** Schema1: leave the layers to the caller (`ResolvedImage.schema1`). */
  deferSchema1Layers?: boolean;
}

const INDEX_TYPES = new Set<string>([MediaType.dockerManifestList, MediaType.ociIndex]);
const SCHEMA1_TYPES = new Set<string>([MediaType.dockerSchema1, MediaType.dockerSchema1Signed]);
const CONFIG_TYPES = new Set<string>([MediaType.dockerConfig, MediaType.ociConfig]);

/**
 * Resolves a reference on one registry: manifest (an index picks the platform and the chosen
 * manifest is fetched by digest and verified), then the config, verified against its digest.
 * Schema1 images get a synthesised config and schema2 manifest; their layers are fetched once
 * here to compute the diffIDs, unless `deferSchema1Layers` leaves that to the caller. Throws `NotFound`, `InvalidArgument` (unsupported type, nested
 * index, digest mismatch) and whatever the transport says.
 */
export async function resolveOn(ctx: BlobContext, target: ResolveTarget): Promise<ResolvedImage> {
  const req = { repository: ctx.repository, what: target.what, transfer: ctx.transfer };
  const signal = target.signal && { signal: target.signal };
  let m = await fetchManifest(ctx.session, { ...req, reference: target.reference, ...signal });
  if (INDEX_TYPES.has(m.mediaType)) {
    const what = `index of "${target.what}"`;
    const index = checkIndex(parseJson(m.bytes, what), what);
    const chosen = selectManifest(index.manifests, target.platform, `image "${target.what}"`);
    if (INDEX_TYPES.has(chosen.mediaType))
      throw imageError(
        "InvalidArgument",
        `image "${target.what}": nested indexes are not supported`,
      );
    m = await fetchManifest(ctx.session, { ...req, reference: chosen.digest, ...signal });
    if (INDEX_TYPES.has(m.mediaType))
      throw imageError(
        "InvalidArgument",
        `image "${target.what}": nested indexes are not supported`,
      );
  }
  if (SCHEMA1_TYPES.has(m.mediaType)) return resolveSchema1(ctx, m, target);
  return resolveSchema2(ctx, m, target);
}

async function resolveSchema2(
  ctx: BlobContext,
  m: FetchedManifest,
  target: ResolveTarget,
): Promise<ResolvedImage> {
  const what = `manifest of "${target.what}"`;
  const doc = checkManifest(parseJson(m.bytes, what), what);
  if (!CONFIG_TYPES.has(doc.config.mediaType))
    throw imageError(
      "InvalidArgument",
      `image "${target.what}" has unsupported config media type "${doc.config.mediaType}"`,
    );
  for (const l of doc.layers) {
    if (layerCompression(l.mediaType) === undefined)
      throw imageError(
        "InvalidArgument",
        `image "${target.what}" has unsupported layer media type "${l.mediaType}"`,
      );
  }
  if (doc.config.size > LIMITS.config)
    throw imageError(
      "ResourceExhausted",
      `config of "${target.what}" is larger than ${LIMITS.config} bytes`,
    );
  const signal = target.signal && { signal: target.signal };
  const config = await readBounded(
    streamBlob(ctx, doc.config, { ...signal }),
    LIMITS.config,
    "config",
  );
  return {
    host: ctx.session.host,
    repository: ctx.repository,
    manifestDigest: m.digest,
    manifestMediaType: m.mediaType,
    manifest: m.bytes,
    config,
    layers: doc.layers,
  };
}

async function resolveSchema1(
  ctx: BlobContext,
  m: FetchedManifest,
  target: ResolveTarget,
): Promise<ResolvedImage> {
  const image = parseSchema1(m.bytes, target.what);
  if (target.deferSchema1Layers) return deferSchema1(ctx, m, image, target.what);
  const measured = new Map<Digest, { diffId: Digest; size: number }>();
  for (const digest of new Set(image.layers))
    measured.set(digest, await measureLayer(ctx, digest, target.signal));
  const layers: Descriptor[] = image.layers.map((digest) => ({
    mediaType: MediaType.dockerLayerGzip,
    digest,
    size: measured.get(digest)?.size ?? 0,
  }));
  const diffIds = image.layers.map((d) => measured.get(d)?.diffId as Digest);
  const config = synthesiseConfig(image, diffIds);
  const manifest = synthesiseManifest(config, layers);
  return {
    host: ctx.session.host,
    repository: ctx.repository,
    manifestDigest: m.digest,
    manifestMediaType: MediaType.dockerManifest,
    manifest,
    config,
    layers,
  };
}

/**
 * A schema1 image whose layers the caller fetches and measures: no layer is downloaded here
 * (a pull then fetches each blob once, unpacking it in the same pass), and config and manifest
 * are synthesised by `complete` from the diffIDs and sizes it reports.
 */
function deferSchema1(
  ctx: BlobContext,
  m: FetchedManifest,
  image: ReturnType<typeof parseSchema1>,
  what: string,
): ResolvedImage {
  const descriptor = (digest: Digest, size: number): Descriptor => ({
    mediaType: MediaType.dockerLayerGzip,
    digest,
    size,
  });
  return {
    host: ctx.session.host,
    repository: ctx.repository,
    manifestDigest: m.digest,
    manifestMediaType: MediaType.dockerManifest,
    manifest: Buffer.alloc(0),
    config: Buffer.alloc(0),
    layers: image.layers.map((d) => descriptor(d, 0)),
    schema1: {
      complete(measured) {
        if (measured.length !== image.layers.length)
          throw imageError(
            "InvalidArgument",
            `schema1 image "${what}": ${measured.length} layers measured, ${image.layers.length} in the manifest`,
          );
        const layers = image.layers.map((d, i) => descriptor(d, measured[i]?.size ?? 0));
        const config = synthesiseConfig(
          image,
          measured.map((l) => l.diffId),
        );
        return { config, manifest: synthesiseManifest(config, layers), layers };
      },
    },
  };
}

/**
 * Downloads a schema1 layer (whose size the manifest does not give) to learn its size and its
 * diffID; the blob is verified against its digest on the way.
 */
async function measureLayer(ctx: BlobContext, digest: Digest, signal?: AbortSignal) {
  const blob: Descriptor = {
    mediaType: MediaType.dockerLayerGzip,
    digest,
    size: Number.MAX_SAFE_INTEGER,
  };
  const diff = new Digester();
  const compressed = new Digester();
  const gunzip = createGunzip();
  gunzip.on("data", (c: Buffer) => diff.update(c));
  const done = new Promise<void>((resolve, reject) =>
    gunzip.on("end", resolve).on("error", reject),
  );
  try {
    for await (const chunk of rawBlob(ctx, blob, signal)) {
      compressed.update(chunk);
      if (!gunzip.write(chunk)) await new Promise((r) => gunzip.once("drain", r));
    }
    gunzip.end();
    await done;
  } catch (err) {
    gunzip.destroy();
    throw err;
  }
  if (compressed.digest() !== digest)
    throw imageError(
      "InvalidArgument",
      `blob ${digest} does not match its digest (got ${compressed.digest()})`,
    );
  return { diffId: diff.digest(), size: compressed.size };
}

/** The blob's bytes without the size check (schema1 gives no sizes); digest checked by caller. */
async function* rawBlob(ctx: BlobContext, blob: Descriptor, signal?: AbortSignal) {
  const res = await ctx.session.request(`/v2/${ctx.repository}/blobs/${blob.digest}`, {
    scope: `repository:${ctx.repository}:pull`,
    ...(signal && { signal }),
  });
  if (res.statusCode !== 200) {
    await res.body.dump();
    throw imageError(
      "Unavailable",
      `fetching blob ${blob.digest} of "${ctx.repository}": status ${res.statusCode}`,
    );
  }
  yield* res.body as AsyncIterable<Uint8Array>;
}
