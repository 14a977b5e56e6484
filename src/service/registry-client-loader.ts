import type { RegistryModule } from "./registry-ops.ts";

/**
 * Loads the distribution client (`src/registry/registry-client.ts`) on first use, so commands
 * that never reach a registry do not pay for undici and TLS set-up.
 */
export async function loadRegistryModule(): Promise<RegistryModule> {
  const { RegistryClient, hostForLogin } = await import("../registry/registry-client.ts");
  return { openClient: (opts) => new RegistryClient(opts), hostForLogin };
}
