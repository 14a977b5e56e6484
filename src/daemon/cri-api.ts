import { join } from "node:path";
import { ImageError, imageError } from "../errors.ts";
import type { ImageService, ImageSummary } from "../service/types.ts";
import type { AuthConfig, Image, ImageServiceServer, RuntimeServiceServer } from "./gen/cri.ts";
import { unaryHandler } from "./grpc-handlers.ts";
import { cachedUsage } from "./image-fs-usage.ts";
import type { DaemonLogger } from "./types.ts";

/** What `RuntimeService.Version` reports. */
export const RUNTIME_NAME = "isulad-ts";
export const RUNTIME_API_VERSION = "v1";

/** The inspect document fields CRI's `Image` is made of (reference §2.3). */
interface InspectedImage {
  id: string;
  repo_tags?: string[];
  repo_digests?: string[];
  size?: number;
  uid?: { value: number };
  username?: string;
}

/**
 * CRI v1 `runtime.v1.ImageService` over `service` (reference §2.3): failures are gRPC statuses
 * of their kind (`grpc-errors.ts`). Image IDs are 64 hex without `sha256:`, as iSulad returns
 * them; `PullImage` returns that ID. `ImageFsInfo` reports `<graph>/storage/overlay`, measured
 * at most every 10 s; without `graph` it reports no file system.
 */
export function criImageApi(
  service: ImageService,
  log: DaemonLogger,
  graph?: string,
): ImageServiceServer {
  const mountpoint = graph === undefined ? undefined : join(graph, "storage", "overlay");
  const usage = mountpoint === undefined ? undefined : cachedUsage(mountpoint);
  return {
    listImages: unaryHandler(log, "CRI ListImages", {
      describe: (req) => `filter=${req.filter?.image?.image ?? ""}`,
      run: async (req) => {
        const wanted = req.filter?.image?.image;
        const only = wanted ? (await statusOf(service, wanted))?.id : undefined;
        if (wanted && only === undefined) return { images: [] };
        const oci = (await service.list({ filters: {} })).filter(
          (s) => s.type !== "embedded" && (only === undefined || s.id === only),
        );
        const images: Image[] = [];
        for (const s of oci) images.push(await criImageOf(service, s));
        return { images };
      },
    }),
    imageStatus: unaryHandler(log, "CRI ImageStatus", {
      describe: (req) => `image=${req.image?.image ?? ""}`,
      run: async (req) => {
        const found = await statusOf(service, req.image?.image ?? "");
        return found ? { image: toCri(found), info: {} } : { info: {} };
      },
    }),
    pullImage: unaryHandler(log, "CRI PullImage", {
      // Never the credentials: only whether some were given.
      describe: (req) => `image=${req.image?.image ?? ""} auth=${req.auth ? "yes" : "no"}`,
      run: async (req) => {
        const credentials = credentialsOf(req.auth);
        const r = await service.pull({
          name: req.image?.image ?? "",
          ...(credentials ? { credentials } : {}),
        });
        return { imageRef: r.id };
      },
    }),
    removeImage: unaryHandler(log, "CRI RemoveImage", {
      describe: (req) => `image=${req.image?.image ?? ""}`,
      run: async (req) => {
        try {
          await service.remove({ name: req.image?.image ?? "", force: false });
        } catch (err) {
          // CRI: removing an image that is already gone succeeds.
          if (!(err instanceof ImageError && err.kind === "NotFound")) throw err;
        }
        return {};
      },
    }),
    imageFsInfo: unaryHandler(log, "CRI ImageFsInfo", {
      describe: () => "",
      run: async () => {
        if (mountpoint === undefined || usage === undefined) {
          return { imageFilesystems: [], containerFilesystems: [] };
        }
        const u = await usage();
        const fs = {
          timestamp: BigInt(Date.now()) * 1_000_000n,
          fsId: { mountpoint },
          usedBytes: { value: BigInt(u.bytes) },
          inodesUsed: { value: BigInt(u.inodes) },
        };
        return { imageFilesystems: [fs], containerFilesystems: [] };
      },
    }),
  };
}

/** CRI `RuntimeService` with only `Version`, so crictl and kubelet recognise the endpoint. */
export function criRuntimeApi(log: DaemonLogger, runtimeVersion: string): RuntimeServiceServer {
  return {
    version: unaryHandler(log, "CRI Version", {
      describe: (req) => `version=${req.version}`,
      run: async () => ({
        version: "0.1.0",
        runtimeName: RUNTIME_NAME,
        runtimeVersion,
        runtimeApiVersion: RUNTIME_API_VERSION,
      }),
    }),
  };
}

/**
 * CRI `AuthConfig` as credentials: `auth` (base64 `user:pass`, split at the first `:`) wins
 * over `username`/`password`; neither means stored credentials. A malformed `auth` is
 * `InvalidArgument`.
 */
export function credentialsOf(auth: AuthConfig | undefined) {
  if (!auth) return undefined;
  if (auth.auth) {
    const text = Buffer.from(auth.auth, "base64").toString("utf8");
    const colon = text.indexOf(":");
    if (colon <= 0)
      throw imageError("InvalidArgument", "invalid auth: not base64 of user:password");
    return { username: text.slice(0, colon), password: text.slice(colon + 1) };
  }
  if (auth.username) return { username: auth.username, password: auth.password };
  return undefined;
}

/** The inspect document of `name`, or undefined when no OCI image has that name. */
async function statusOf(service: ImageService, name: string): Promise<InspectedImage | undefined> {
  let doc: unknown;
  try {
    doc = await service.inspect(name);
  } catch (err) {
    if (err instanceof ImageError && err.kind === "NotFound") return undefined;
    throw err;
  }
  const image = (doc as { image?: InspectedImage }).image;
  // Embedded images inspect as their manifest; CRI does not see them.
  return typeof image?.id === "string" ? image : undefined;
}

async function criImageOf(service: ImageService, s: ImageSummary): Promise<Image> {
  const found = await statusOf(service, s.id);
  return toCri(
    found ?? { id: s.id, repo_tags: s.repoTags, repo_digests: s.repoDigests, size: s.size },
  );
}

function toCri(i: InspectedImage): Image {
  return {
    id: i.id,
    repoTags: i.repo_tags ?? [],
    repoDigests: i.repo_digests ?? [],
    size: BigInt(i.size ?? 0),
    ...(i.uid ? { uid: { value: BigInt(i.uid.value) } } : {}),
    username: i.username ?? "",
    pinned: false,
  };
}
