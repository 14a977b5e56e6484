/** Hosts that mean Docker Hub, and where Docker Hub is reached on the network. */
const DOCKER_HUB_ALIASES = new Set(["docker.io", "index.docker.io"]);
export const DOCKER_HUB_REGISTRY = "registry-1.docker.io";

/** iSulad's `registry-transformation`: `docker.io` / `index.docker.io` → `registry-1.docker.io`. */
export function networkHost(host: string): string {
  return DOCKER_HUB_ALIASES.has(host) ? DOCKER_HUB_REGISTRY : host;
}

/**
 * The key credentials are stored under for `server` as a user types it to `isula login`: a
 * leading `http://` or `https://` dropped, the text before the first `/`, and Docker Hub's
 * names mapped to `registry-1.docker.io`.
 */
export function hostForLogin(server: string): string {
  const bare = server.replace(/^https?:\/\//i, "");
  const slash = bare.indexOf("/");
  return networkHost(slash >= 0 ? bare.slice(0, slash) : bare);
}

/** One `registry-mirrors` entry, parsed. */
export interface Mirror {
  host: string;
  /** Written with `http://`: plain HTTP allowed for this mirror (and only this one). */
  insecure: boolean;
  /** A path after the host, put before the repository (iSulad: `m/p` → `p/library/x`). */
  prefix: string;
}

/** Parses a mirror entry: `host[:port][/path]`, with or without `http://` / `https://`. */
export function parseMirror(entry: string): Mirror {
  const insecure = /^http:\/\//i.test(entry);
  const bare = entry.replace(/^https?:\/\//i, "").replace(/\/+$/, "");
  const slash = bare.indexOf("/");
  const host = networkHost(slash >= 0 ? bare.slice(0, slash) : bare);
  const prefix = slash >= 0 ? bare.slice(slash + 1) : "";
  return { host, insecure, prefix };
}
