import { imageError } from "../errors.ts";
import type { ImageService } from "./types.ts";

export interface OpenServiceOptions {
  /** `-H` or `ISULAD_HOST`: the daemon to talk to. */
  host?: string;
  debug: boolean;
  env?: Record<string, string | undefined>;
}

/** iSulad's text when no daemon answers; the CLI prints it verbatim. */
export const CANNOT_CONNECT =
  "Can not connect with server.Is the iSulad daemon running on the host?";

/**
 * The service the CLI talks to (DESIGN §2): with `-H`/`ISULAD_HOST`, the daemon at that address;
 * otherwise direct mode on the store that daemon.json (`ISULAD_CONFIG`) places. Heavy modules
 * (SQLite, the archive code) are loaded only here, so `isula --help` stays fast.
 * Throws `Unavailable` when a daemon was asked for and does not answer, `InvalidArgument` for a
 * bad daemon.json.
 */
export async function openService(opts: OpenServiceOptions): Promise<ImageService> {
  const env = opts.env ?? process.env;
  const host = opts.host ?? (env.ISULAD_HOST || undefined);
  if (host !== undefined) {
    // TODO(#4): the gRPC client of isulad; until the daemon exists nothing can answer.
    throw imageError("Unavailable", CANNOT_CONNECT);
  }
  const [{ resolveStorePaths }, { readRegistryConfig }, { ImageStore }, { LocalImageService }] =
    await Promise.all([
      import("../config/paths.ts"),
      import("../config/registry-config.ts"),
      import("../image/image-store.ts"),
      import("./local-service.ts"),
    ]);
  const paths = resolveStorePaths(env);
  const registry = {
    certsDir: paths.certsDir,
    authDir: paths.authDir,
    config: readRegistryConfig(paths.configFile),
    loadRegistry: async () => (await import("./registry-client-loader.ts")).loadRegistryModule(),
  };
  return new LocalImageService(ImageStore.open({ graph: paths.graph }), registry);
}
