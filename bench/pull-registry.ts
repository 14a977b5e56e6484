/**
 * The registry the pull benchmark pulls from: Debian's `docker-registry` on 127.0.0.1 over plain
 * HTTP, started by the tests' registry harness (test/helpers/registry-harness.ts), holding the
 * fixture's gzip image pushed by `skopeo copy` as `bench/pull:latest`.
 */
import { startRegistry } from "../test/helpers/registry-harness.ts";
import type { Fixture } from "./fixture.ts";
import { runQuiet } from "./measure.ts";
import { requireTools, type Unavailable } from "./peers.ts";

/** Repository and tag of the benchmark image in the registry. */
export const PULL_REPOSITORY = "bench/pull";
export const PULL_TAG = "latest";

const MANIFEST_TYPES = [
  "application/vnd.docker.distribution.manifest.v2+json",
  "application/vnd.oci.image.manifest.v1+json",
].join(", ");

/** What the pull peers need to know about the image in the registry. */
export interface PullSource {
  /** `127.0.0.1:<port>`. */
  host: string;
  /** `<host>/bench/pull`: the repository as a client names it. */
  repository: string;
  /** `<repository>:latest`. */
  reference: string;
  /** `http://<host>/v2/bench/pull/blobs/<digest>` of each layer, bottom first. */
  blobUrls: string[];
}

/** A running benchmark registry; `stop()` ends it and deletes its storage. */
export interface BenchRegistry {
  source: PullSource;
  stop: () => Promise<void>;
}

/** Why the pull scenario cannot run here (a missing tool), or undefined. */
export function checkRegistryTools(): Promise<Unavailable | undefined> {
  return requireTools("docker-registry", "skopeo");
}

/** The layer digests of the image's manifest, read back from the registry. */
async function layerDigests(url: string): Promise<string[]> {
  const response = await fetch(`${url}/v2/${PULL_REPOSITORY}/manifests/${PULL_TAG}`, {
    headers: { accept: MANIFEST_TYPES },
  });
  if (!response.ok) throw new Error(`fetching the manifest: ${response.status}`);
  const manifest = (await response.json()) as { layers?: { digest: string }[] };
  return (manifest.layers ?? []).map((layer) => layer.digest);
}

/** Reads a blob to the end and drops it. */
async function readThrough(url: string): Promise<void> {
  const response = await fetch(url);
  if (!response.ok || !response.body) throw new Error(`reading ${url}: ${response.status}`);
  for await (const _ of response.body) {
    // only the reading matters
  }
}

/**
 * Starts the registry, pushes the fixture's gzip archive and reads every blob once, so that the
 * registry serves every peer from a warm page cache. skopeo recompresses the layers on the way
 * (the digests differ from the fixture's), so the layer URLs come from the pushed manifest.
 * Throws with the tool's output when something fails; the registry is stopped then.
 */
export async function startBenchRegistry(fixture: Fixture): Promise<BenchRegistry> {
  const registry = await startRegistry("http");
  try {
    const repository = `${registry.host}/${PULL_REPOSITORY}`;
    const reference = `${repository}:${PULL_TAG}`;
    const pushed = await runQuiet([
      "skopeo",
      "copy",
      "--insecure-policy",
      "--quiet",
      "--dest-tls-verify=false",
      `docker-archive:${fixture.gzipArchive.path}`,
      `docker://${reference}`,
    ]);
    if (!pushed.ok) throw new Error(`skopeo copy failed:\n${pushed.stderr.trim()}`);

    const base = `${registry.url}/v2/${PULL_REPOSITORY}/blobs`;
    const blobUrls = (await layerDigests(registry.url)).map((digest) => `${base}/${digest}`);
    for (const url of blobUrls) await readThrough(url);
    return {
      source: { host: registry.host, repository, reference, blobUrls },
      stop: () => registry.stop(),
    };
  } catch (err) {
    await registry.stop();
    throw err;
  }
}
