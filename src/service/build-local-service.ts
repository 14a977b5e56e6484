import type { RegistryConfig } from "../config/registry-config.ts";
import type { ImageStore } from "../image/image-store.ts";
import { LocalImageService } from "./local-service.ts";

/** What a `LocalImageService` needs besides its store. */
export interface LocalServiceSettings {
  /** `certs.d` beside daemon.json. */
  certsDir: string;
  /** `$HOME/.isulad`: auths.json and aeskey. */
  authDir: string;
  /** Docker's config.json folder, consulted when auths.json has no entry (issue #7). */
  dockerConfigDir?: string;
  /** Protocol detail of the distribution client (the daemon's debug log); never a secret. */
  registryDebug?: (line: string) => void;
  /** Where a registry operation that carries on degraded says so (daemon log, CLI stderr). */
  registryWarn?: (line: string) => void;
  /** The registry keys of daemon.json (merged with flags, in the daemon). */
  registry: RegistryConfig;
}

/**
 * The in-process service over an open store, with pull, login and logout wired to the
 * distribution client, loaded on first use. Shared by direct mode (`open.ts`) and `isulad`, so
 * both build the same thing. The service's `close()` closes the store.
 */
export function buildLocalService(store: ImageStore, s: LocalServiceSettings): LocalImageService {
  return new LocalImageService(store, {
    certsDir: s.certsDir,
    authDir: s.authDir,
    ...(s.dockerConfigDir !== undefined ? { dockerConfigDir: s.dockerConfigDir } : {}),
    ...(s.registryDebug ? { debug: s.registryDebug } : {}),
    ...(s.registryWarn ? { warn: s.registryWarn } : {}),
    config: s.registry,
    loadRegistry: async () => (await import("./registry-client-loader.ts")).loadRegistryModule(),
  });
}
