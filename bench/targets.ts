/**
 * The performance goals of issue #2 (load, images) and issue #3 (pull), checked against one
 * run's measurements. A goal whose scenario did not run, or whose peers did not finish, is
 * reported as not measurable rather than failed.
 */
import { find, fmtRatio, ratio, type Scenario, type Target } from "./report.ts";
import type { PeerResult } from "./scenario.ts";

const PEAK_RSS_LIMIT_KB = 200 * 1024;

/** ` = 4.38 s / 3.64 s`: the medians behind a ratio, so that a rounded 1.20x can be read. */
function medians(a?: PeerResult, b?: PeerResult): string {
  if (a?.medianMs === undefined || b?.medianMs === undefined) return "";
  return ` = ${(a.medianMs / 1000).toFixed(2)} s / ${(b.medianMs / 1000).toFixed(2)} s`;
}

/** The isula-over-floor target: ≤ 1.2x, with the ratio including writeback beside it. */
function floorTarget(command: string, isula?: PeerResult, floor?: PeerResult): Target {
  const r = ratio(isula, floor);
  const withSync =
    isula?.medianWithSyncMs && floor?.medianWithSyncMs
      ? isula.medianWithSyncMs / floor.medianWithSyncMs
      : null;
  return {
    goal: `${command} ≤ 1.2x the ${floor?.label ?? "floor"} floor (aim 1.0x)`,
    pass: r === null ? null : r <= 1.2,
    detail: `${fmtRatio(r)}${medians(isula, floor)} (with sync ${fmtRatio(withSync)})`,
  };
}

/** One "faster than <peer>" target per peer id present in the scenario. */
function fasterTargets(command: string, scenario: Scenario | undefined, ids: string[]): Target[] {
  const isula = find(scenario, "isula");
  return ids.map((id) => {
    const peer = find(scenario, id);
    const r = ratio(isula, peer);
    return {
      goal: `${command} faster than ${peer?.label ?? id}`,
      pass: r === null ? null : r < 1,
      detail: peer?.status === "ok" ? fmtRatio(r) : `${peer?.status ?? "not run"}`,
    };
  });
}

function rssTarget(command: string, isula?: PeerResult): Target {
  const rss = isula?.peakRssKb;
  return {
    goal: `${command} peak RSS < 200 MB`,
    pass: rss == null ? null : rss < PEAK_RSS_LIMIT_KB,
    detail: rss == null ? "–" : `${(rss / 1024).toFixed(0)} MB`,
  };
}

/**
 * Checks the goals against the plain-layer load, images and pull scenarios. Pull: faster than
 * `podman pull` and `ctr images pull`, at most 1.2x the sequential curl floor, RSS under 200 MB.
 */
export function checkTargets(scenarios: Scenario[]): Target[] {
  const load = scenarios.find((s) => s.id === "load-plain");
  const images = scenarios.find((s) => s.id === "images");
  const pull = scenarios.find((s) => s.id === "pull");
  const targets: Target[] = [];
  if (load || !pull) {
    const isula = find(load, "isula");
    targets.push(floorTarget("isula load", isula, find(load, "tar-sequential")));
    targets.push(...fasterTargets("isula load", load, ["podman-vfs", "podman-overlay", "ctr"]));
    targets.push(rssTarget("isula load", isula));
  }
  if (images || !pull) {
    const list = find(images, "isula-images-many");
    targets.push({
      goal: "isula images with 1,000 images < 150 ms",
      pass: list?.medianMs === undefined ? null : list.medianMs < 150,
      detail: list?.medianMs === undefined ? "–" : `${list.medianMs.toFixed(1)} ms median`,
    });
  }
  if (pull) {
    const isula = find(pull, "isula");
    targets.push(floorTarget("isula pull", isula, find(pull, "curl-sequential")));
    // podman's vfs driver runs only with --all; the other peers count even when they failed.
    const peers = ["podman-vfs", "podman-overlay", "ctr"].filter(
      (id) => id !== "podman-vfs" || find(pull, id),
    );
    targets.push(...fasterTargets("isula pull", pull, peers));
    targets.push(rssTarget("isula pull", isula));
  }
  targets.push(...daemonTargets(images, pull));
  return targets;
}

/** Issue #4: `isula images` through isulad < 150 ms, pull through it ≤ 1.1x, idle RSS < 80 MB. */
function daemonTargets(images?: Scenario, pull?: Scenario): Target[] {
  const out: Target[] = [];
  if (images) {
    const list = find(images, "isula-images-daemon");
    out.push({
      goal: "isula images through isulad with 1,000 images < 150 ms",
      pass: list?.medianMs === undefined ? null : list.medianMs < 150,
      detail: list?.medianMs === undefined ? "–" : `${list.medianMs.toFixed(1)} ms median`,
    });
    const idle = find(images, "isulad-start")?.peakRssKb;
    out.push({
      goal: "isulad idle RSS < 80 MB",
      pass: idle == null ? null : idle < 80 * 1024,
      detail: idle == null ? "–" : `${(idle / 1024).toFixed(0)} MB`,
    });
  }
  if (pull) {
    const daemon = find(pull, "isula-daemon");
    const direct = find(pull, "isula");
    const r = ratio(daemon, direct);
    out.push({
      goal: "isula pull through isulad ≤ 1.1x direct mode",
      pass: r === null ? null : r <= 1.1,
      detail: `${fmtRatio(r)}${medians(daemon, direct)}`,
    });
  }
  return out;
}
