/**
 * `npm run bench`: builds the CLI, prepares (or reuses) the fixture, times `isula load` against
 * the GNU tar floor, podman and containerd, times `isula pull` from a local registry against a
 * curl floor, podman and containerd, times `isula images`, then prints a table and writes
 * `bench/results/latest.json` and `latest.md`. `--help` lists the flags.
 */

import { mkdir, rm, writeFile } from "node:fs/promises";
import { cpus, release, totalmem } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { ctrImport } from "./containerd.ts";
import { type Fixture, prepareFixture } from "./fixture.ts";
import { runImagesScenario } from "./images.ts";
import { hasGnuTime, runQuiet } from "./measure.ts";
import { isulaLoad, type Peer, REPO_ROOT, setBuildFailure, tarFloor } from "./peers.ts";
import { podmanLoad } from "./podman.ts";
import { runPullScenario } from "./pull-peers.ts";
import {
  type BenchReport,
  computeRatios,
  formatMarkdown,
  formatText,
  type Scenario,
} from "./report.ts";
import { emptyTrash, type RunOptions, runPeers } from "./scenario.ts";
import { checkTargets } from "./targets.ts";

const SCENARIOS = ["load", "load-gzip", "pull", "images", "ctr-images"];
const DEFAULT_SCENARIOS = ["load", "load-gzip", "pull", "images"];
const PEERS = ["tar", "curl", "isula", "podman", "ctr", "skopeo"];

const USAGE = `usage: npm run bench -- [options]
  --runs N          timed runs per load and pull peer, each with a fresh store (default 3)
  --images-runs N   timed runs of each listing command (default 10)
  --only LIST       scenarios, comma separated: ${SCENARIOS.join(", ")}
                    (default ${DEFAULT_SCENARIOS.join(",")}; ctr-images imports 1,000 images, ~1 min)
  --peers LIST      load and pull peers, comma separated (default all):
                    ${PEERS.join(", ")}; tar is the load floor, curl the pull floor
  --dir PATH        work folder for fixture and stores (default $BENCH_DIR or /var/tmp/isulad-ts-bench)
  --all             podman vfs for pull, and the gzip load variant with parallel tar and
                    podman vfs (adds ~2.5 min)
  --no-build        do not run \`npm run build\` first`;

function parseOptions() {
  const { values } = parseArgs({
    options: {
      runs: { type: "string", default: "3" },
      "images-runs": { type: "string", default: "10" },
      only: { type: "string", default: DEFAULT_SCENARIOS.join(",") },
      peers: { type: "string", default: PEERS.join(",") },
      dir: { type: "string", default: process.env.BENCH_DIR ?? "/var/tmp/isulad-ts-bench" },
      all: { type: "boolean", default: false },
      "no-build": { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  const list = (value: string, allowed: string[], flag: string) => {
    const items = value
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean);
    const bad = items.filter((i) => !allowed.includes(i));
    if (bad.length > 0)
      throw new Error(`${flag}: unknown "${bad.join(", ")}" (known: ${allowed.join(", ")})`);
    return new Set(items);
  };
  const count = (value: string, flag: string) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1)
      throw new Error(`${flag}: "${value}" is not a positive integer`);
    return n;
  };
  return {
    help: values.help,
    runs: count(values.runs, "--runs"),
    imagesRuns: count(values["images-runs"], "--images-runs"),
    scenarios: list(values.only, SCENARIOS, "--only"),
    peers: list(values.peers, PEERS, "--peers"),
    dir: values.dir,
    all: values.all,
    build: !values["no-build"],
  };
}

const log = (line: string) =>
  console.error(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}`);

/**
 * The load peers for one archive variant, in report order, filtered by `--peers`. The gzip
 * variant leaves out the parallel tar and podman's vfs driver unless `all` is set: they say
 * nothing the plain variant has not said, and keeping them would push the run past 10 minutes.
 */
function loadPeers(fixture: Fixture, gzip: boolean, wanted: Set<string>, all: boolean): Peer[] {
  const archive = gzip ? fixture.gzipArchive.path : fixture.plainArchive.path;
  const layers = (gzip ? fixture.gzipLayers : fixture.layers).map((l) => l.path);
  const full = !gzip || all;
  const peers: [string, Peer | false][] = [
    ["tar", tarFloor(layers, { parallel: false, gzip })],
    ["tar", full && tarFloor(layers, { parallel: true, gzip })],
    ["isula", isulaLoad(archive)],
    ["podman", full && podmanLoad(archive, "vfs")],
    ["podman", podmanLoad(archive, "overlay")],
    ["ctr", ctrImport(archive)],
  ];
  return peers.flatMap(([group, peer]) => (peer && wanted.has(group) ? [peer] : []));
}

async function buildCli(): Promise<void> {
  log("building the CLI (npm run build)");
  const result = await runQuiet(["npm", "run", "build"], { cwd: REPO_ROOT });
  if (!result.ok) {
    const output = `npm run build failed:\n${result.stderr.trim()}\n${result.stdout.trim()}`.trim();
    setBuildFailure(output);
    log(output.split("\n").slice(0, 5).join("\n"));
  }
}

async function hostInfo(dir: string): Promise<Record<string, string | number>> {
  const fs = await runQuiet(["stat", "-f", "-c", "%T", dir]);
  return {
    cpus: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    kernel: release(),
    node: process.version,
    filesystem: fs.stdout.trim() || "unknown",
    dir,
  };
}

async function main(): Promise<void> {
  const opts = parseOptions();
  if (opts.help) {
    console.log(USAGE);
    return;
  }
  const started = Date.now();
  if (!hasGnuTime())
    log("/usr/bin/time is missing (apt-get install time): peak RSS will be unknown");
  if (opts.build) await buildCli();
  const fixture = await prepareFixture(opts.dir, log);
  const workRoot = join(opts.dir, "work");
  await rm(workRoot, { recursive: true, force: true });
  await mkdir(workRoot, { recursive: true });
  await emptyTrash(workRoot); // lets the deletion of a previous run's leftovers settle
  // Read every input once so that no peer pays for a cold page cache the others do not.
  await runQuiet(["sh", "-c", `cat ${fixture.dir}/*.tar ${fixture.dir}/*.tar.gz > /dev/null`]);

  const runOptions: RunOptions = { runs: opts.runs, workRoot, log };
  const scenarios: Scenario[] = [];
  // Listing first: it is timed in milliseconds, and on this machine's ext4 everything runs
  // slower for minutes after the gigabytes that load and pull write and delete (bench/README.md).
  if (opts.scenarios.has("images") || opts.scenarios.has("ctr-images")) {
    log("scenario images");
    const results = await runImagesScenario(fixture, {
      ...runOptions,
      repeat: opts.imagesRuns,
      withIsula: opts.scenarios.has("images"),
      withCtr: opts.scenarios.has("ctr-images"),
    });
    scenarios.push({ id: "images", title: "images: listing the store", unit: "ms", results });
    await emptyTrash(workRoot);
  }
  for (const gzip of [false, true]) {
    if (!opts.scenarios.has(gzip ? "load-gzip" : "load")) continue;
    const title = `load bench/load:latest (${gzip ? "gzip" : "plain"} layers)`;
    log(`scenario ${title}`);
    const results = await runPeers(loadPeers(fixture, gzip, opts.peers, opts.all), runOptions);
    await emptyTrash(workRoot);
    scenarios.push({ id: gzip ? "load-gzip" : "load-plain", title, unit: "s", results });
  }
  if (opts.scenarios.has("pull")) {
    const title = "pull bench/pull:latest from docker-registry (gzip layers)";
    log(`scenario ${title}`);
    const results = await runPullScenario(fixture, {
      ...runOptions,
      peers: opts.peers,
      all: opts.all,
    });
    await emptyTrash(workRoot);
    scenarios.push({ id: "pull", title, unit: "s", results });
  }
  await rm(workRoot, { recursive: true, force: true });

  const report: BenchReport = {
    startedAt: new Date(started).toISOString(),
    durationS: (Date.now() - started) / 1000,
    host: await hostInfo(opts.dir),
    options: {
      runs: opts.runs,
      imagesRuns: opts.imagesRuns,
      peers: [...opts.peers].join(","),
    },
    fixture: {
      layerMiB: Math.round(fixture.layerBytes / 2 ** 20),
      layerFiles: fixture.layerFiles,
      plainArchiveMiB: Math.round(fixture.plainArchive.size / 2 ** 20),
      gzipArchiveMiB: Math.round(fixture.gzipArchive.size / 2 ** 20),
      manyImages: fixture.manyCount,
    },
    scenarios,
    ratios: computeRatios(scenarios),
    targets: checkTargets(scenarios),
  };
  const resultsDir = join(REPO_ROOT, "bench", "results");
  await mkdir(resultsDir, { recursive: true });
  await writeFile(join(resultsDir, "latest.json"), `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(join(resultsDir, "latest.md"), formatMarkdown(report));
  console.log(formatText(report));
  console.log(`\nwrote bench/results/latest.json and latest.md (${report.durationS.toFixed(0)} s)`);
}

main().catch((err: unknown) => {
  console.error(`bench: ${(err as Error).message}`);
  process.exitCode = 1;
});
