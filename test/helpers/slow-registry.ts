import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { sha256Digest } from "../../src/digest/digest.ts";
import { MediaType } from "../../src/oci/media-types.ts";
import { ociManifest } from "./archive-writer.ts";
import type { BuiltImage } from "./image-builder.ts";

/** How the slow registry serves each blob GET. */
export type BlobPace =
  /** Wait this long, then send the whole blob. */
  | { delayMs: number }
  /** Send the headers and half the blob, then nothing more until the client gives up. */
  | { stall: true };

/** A plain-HTTP registry on 127.0.0.1 serving one image, slowly, counting blob GETs in flight. */
export interface SlowRegistry {
  /** `127.0.0.1:<port>`. */
  host: string;
  /** How blobs are served; may be changed between pulls. */
  pace: BlobPace;
  /** Blob GETs being answered right now, and the most there ever were at once. */
  readonly inFlight: number;
  readonly peak: number;
  /** Blob GETs received in all. */
  readonly blobGets: number;
  /** Forgets `peak` and `blobGets`. */
  reset(): void;
  close(): Promise<void>;
}

/**
 * Starts a minimal distribution API (`/v2/`, one manifest by tag or digest, its config and layer
 * blobs) for `image` as `<repo>:<tag>`, with no authentication. Layer blobs are paced by `pace`;
 * the config is served at once. Anything else is 404. Stops with `close()` (open connections
 * are cut).
 */
export async function startSlowRegistry(
  image: BuiltImage,
  opts: { repo: string; tag: string; pace: BlobPace },
): Promise<SlowRegistry> {
  const manifest = ociManifest(image);
  const manifestDigest = sha256Digest(manifest);
  const blobs = new Map(image.layers.map((l) => [l.digest as string, l.blob]));
  let inFlight = 0;
  let peak = 0;
  let blobGets = 0;
  const stalled = new Set<ServerResponse>();

  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0] as string;
    if (path === "/v2/" || path === "/v2") return void res.end("{}");
    const m = /^\/v2\/(.+)\/(manifests|blobs)\/([^/]+)$/.exec(path);
    if (!m || m[1] !== opts.repo) return notFound(res);
    const [, , kind, ref] = m;
    if (kind === "manifests" && (ref === opts.tag || ref === manifestDigest)) {
      res.writeHead(200, {
        "content-type": MediaType.ociManifest,
        "content-length": manifest.length,
        "docker-content-digest": manifestDigest,
      });
      return void res.end(req.method === "HEAD" ? undefined : manifest);
    }
    if (kind === "blobs" && ref === image.configDigest) {
      res.writeHead(200, { "content-length": image.config.length });
      return void res.end(req.method === "HEAD" ? undefined : image.config);
    }
    const blob = kind === "blobs" ? blobs.get(ref as string) : undefined;
    if (blob === undefined) return notFound(res);
    if (req.method === "HEAD") {
      res.writeHead(200, { "content-length": blob.length });
      return void res.end();
    }
    blobGets++;
    inFlight++;
    peak = Math.max(peak, inFlight);
    res.on("close", () => {
      inFlight--;
      stalled.delete(res);
    });
    res.writeHead(200, {
      "content-length": blob.length,
      "content-type": "application/octet-stream",
    });
    const pace = registry.pace;
    if ("stall" in pace) {
      stalled.add(res);
      res.write(blob.subarray(0, Math.floor(blob.length / 2)));
      return;
    }
    setTimeout(() => res.end(blob), pace.delayMs);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const registry: SlowRegistry = {
    host: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    pace: opts.pace,
    get inFlight() {
      return inFlight;
    },
    get peak() {
      return peak;
    },
    get blobGets() {
      return blobGets;
    },
    reset() {
      peak = inFlight;
      blobGets = 0;
    },
    close() {
      for (const res of stalled) res.destroy();
      server.closeAllConnections();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
  return registry;
}

function notFound(res: ServerResponse): void {
  res.writeHead(404, { "content-type": "application/json" });
  res.end('{"errors":[{"code":"NOT_FOUND","message":"not here"}]}');
}
