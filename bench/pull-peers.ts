/**
 * The pull scenario of issue #3: `isula pull` against `podman pull`, `ctr images pull` and the
 * floor of `curl | gunzip | tar -x` of the same blobs, all from the benchmark's local registry,
 * each run into a fresh store on the fixture's file system. `skopeo copy` to an OCI layout
 * (download only, nothing unpacked) is shown beside them for information.
 */
import { join } from "node:path";
import { ctrPeer } from "./containerd.ts";
import type { Fixture } from "./fixture.ts";
import { throughDaemon } from "./isulad-daemon.ts";
import {
  checkIsula,
  expectListed,
  ISULA,
  isulaStore,
  layerFloor,
  nothingToRelease,
  type Peer,
  requireTools,
} from "./peers.ts";
import { podmanPeer } from "./podman.ts";
import {
  type BenchRegistry,
  checkRegistryTools,
  PULL_REPOSITORY,
  PULL_TAG,
  type PullSource,
  startBenchRegistry,
} from "./pull-registry.ts";
import type { PeerResult, RunOptions } from "./scenario.ts";
import { runPeers } from "./scenario.ts";

/** `curl -s <blob> | gunzip | tar -x` of each layer into a fresh folder. */
function curlFloor(source: PullSource, parallel: boolean): Peer {
  const mode = parallel ? "parallel" : "sequential";
  return layerFloor({
    id: `curl-${mode}`,
    label: `curl | gunzip | tar -x (${mode})`,
    sources: source.blobUrls,
    parallel,
    tools: ["curl", "gunzip", "tar"],
    extract: (url, target) => `curl -sf ${url} | gunzip | tar -x -C ${target}`,
  });
}

/** `isula pull` in direct mode into a fresh store that lists the registry as insecure. */
function isulaPull(source: PullSource): Peer {
  return {
    id: "isula",
    label: "isula pull",
    role: "subject",
    check: checkIsula,
    prepare: async (dir) => {
      const env = await isulaStore(dir, { "insecure-registries": [source.host] });
      return {
        argv: [ISULA, "pull", source.reference],
        env,
        finish: () => expectListed(env, source.repository, PULL_TAG),
        release: nothingToRelease,
      };
    },
  };
}

/** `isula pull -H <isulad>`: the same pull through a daemon on a fresh store (issue #4). */
function isulaDaemonPull(source: PullSource): Peer {
  return throughDaemon({
    id: "isula-daemon",
    label: "isula pull through isulad",
    makeStore: (dir) => isulaStore(dir, { "insecure-registries": [source.host] }),
    command: "pull",
    args: [source.reference],
    check: (env) => expectListed(env, source.repository, PULL_TAG),
    isAvailable: checkIsula,
  });
}

/** `ctr images pull --plain-http` (which also unpacks into the overlayfs snapshotter). */
function ctrPull(source: PullSource): Peer {
  const args = ["images", "pull", "--plain-http", source.reference];
  return ctrPeer("ctr", "ctr images pull (overlayfs)", args);
}

/** `skopeo copy` of the image to an OCI layout: downloading and verifying, no unpacking. */
function skopeoCopy(source: PullSource): Peer {
  return {
    id: "skopeo-oci",
    label: "skopeo copy to oci: (no unpack)",
    role: "info",
    check: () => requireTools("skopeo"),
    prepare: async (dir) => ({
      argv: [
        "skopeo",
        "copy",
        "--insecure-policy",
        "--quiet",
        "--src-tls-verify=false",
        `docker://${source.reference}`,
        `oci:${join(dir, "oci")}:${PULL_TAG}`,
      ],
      release: nothingToRelease,
    }),
  };
}

/**
 * The pull peers in report order, filtered by `wanted` (peer groups). podman's vfs driver
 * (which copies every lower layer again) only runs when `all` is set.
 */
export function pullPeers(source: PullSource, wanted: Set<string>, all: boolean): Peer[] {
  const podman = (driver: string) =>
    podmanPeer(`podman-${driver}`, `podman pull (${driver})`, driver, [
      "pull",
      "--tls-verify=false",
      source.reference,
    ]);
  const peers: [string, Peer | false][] = [
    ["curl", curlFloor(source, false)],
    ["curl", curlFloor(source, true)],
    ["isula", isulaPull(source)],
    ["isula", isulaDaemonPull(source)],
    ["podman", all && podman("vfs")],
    ["podman", podman("overlay")],
    ["ctr", ctrPull(source)],
    ["skopeo", skopeoCopy(source)],
  ];
  return peers.flatMap(([group, peer]) => (peer && wanted.has(group) ? [peer] : []));
}

/** Every peer of `peers` reported with the same status and reason. */
function allUnavailable(peers: Peer[], status: "skipped" | "failed", reason: string) {
  return peers.map(
    (p): PeerResult => ({ id: p.id, label: p.label, role: p.role, status, reason, runs: [] }),
  );
}

/**
 * Runs the pull scenario: starts the registry, pushes the image, times every wanted peer
 * `options.runs` times, and stops the registry whatever happened. When the registry cannot run,
 * every peer is reported skipped (tools missing) or failed (with the reason).
 */
export async function runPullScenario(
  fixture: Fixture,
  options: RunOptions & { peers: Set<string>; all: boolean },
): Promise<PeerResult[]> {
  const placeholder = { host: "", repository: PULL_REPOSITORY, reference: "", blobUrls: [] };
  const missing = await checkRegistryTools();
  if (missing) {
    options.log(`pull: ${missing.status} (${missing.reason})`);
    return allUnavailable(
      pullPeers(placeholder, options.peers, options.all),
      "skipped",
      missing.reason,
    );
  }

  options.log("pull: starting docker-registry and pushing bench/pull:latest");
  let registry: BenchRegistry;
  try {
    registry = await startBenchRegistry(fixture);
  } catch (err) {
    const reason = `starting the registry: ${(err as Error).message}`;
    options.log(`pull: FAILED (${reason.split("\n")[0]})`);
    return allUnavailable(pullPeers(placeholder, options.peers, options.all), "failed", reason);
  }
  try {
    options.log(`pull: registry at ${registry.source.host}`);
    return await runPeers(pullPeers(registry.source, options.peers, options.all), options);
  } finally {
    await registry.stop();
  }
}
