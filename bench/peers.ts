/**
 * What the benchmarks run, and the parts their peers share: the layer floors, the isula store
 * and `isula load`. Each peer prepares one fresh trial (its own empty store or target folders
 * under a work folder on the same file system as the fixture) and says how to clean it up
 * afterwards. podman.ts and containerd.ts hold the other tools' peers.
 */
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { runQuiet } from "./measure.ts";

/** The root of the repository (the folder above `bench/`). */
export const REPO_ROOT = resolve(fileURLToPath(new URL("..", import.meta.url)));
/** The CLI under test, as a user runs it. */
export const ISULA = join(REPO_ROOT, "bin", "isula");

/** One fresh run of a peer: the command to time, and what to do around it. */
export interface Trial {
  argv: string[];
  env?: NodeJS.ProcessEnv;
  /**
   * Runs after the timed command succeeded: checks the result (throws if it is wrong) and may
   * report the peak RSS of a server process.
   */
  finish?: () => Promise<{ serverPeakRssKb?: number }>;
  /**
   * Stops what the trial started and unmounts what it mounted; runs whatever happened. The
   * runner deletes the folder itself later, outside any timed run.
   */
  release: () => Promise<void>;
}

/** How a peer counts in the report: the floor, the subject under test, a peer, or a note. */
export type Role = "floor" | "subject" | "peer" | "info";

/** Why a peer cannot run: `skipped` when a tool is not installed, `failed` when it is broken. */
export interface Unavailable {
  status: "skipped" | "failed";
  reason: string;
}

/** Something the benchmark can time repeatedly with a fresh store each time. */
export interface Peer {
  id: string;
  label: string;
  role: Role;
  /** Why this peer cannot run here (a missing tool: skipped; a broken build: failed). */
  check: () => Promise<Unavailable | undefined>;
  /** Creates the fresh store or folders inside `dir` (an empty folder) and returns the trial. */
  prepare: (dir: string) => Promise<Trial>;
}

/** Resolves a program on PATH, or undefined. */
export async function which(program: string): Promise<string | undefined> {
  const result = await runQuiet(["sh", "-c", `command -v ${program}`]);
  return result.ok ? result.stdout.trim() : undefined;
}

/** Checks that every tool is on PATH; a missing one makes the peer `skipped`. */
export async function requireTools(...tools: string[]): Promise<Unavailable | undefined> {
  for (const tool of tools) {
    if (!(await which(tool))) return { status: "skipped", reason: `${tool} is not installed` };
  }
  return undefined;
}

/** A `Trial.release` for trials that start and mount nothing. */
export const nothingToRelease = async () => {};

/** Unmounts every mount point at or below `dir`, deepest first (a store tool may leave some). */
export async function unmountUnder(dir: string): Promise<void> {
  const mountinfo = await readFile("/proc/self/mountinfo", "utf8");
  const points = mountinfo
    .split("\n")
    .map((line) => line.split(" ")[4] ?? "")
    .filter((point) => point === dir || point.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
  for (const point of points) await runQuiet(["umount", "-l", point]);
}

function shellQuote(value: string): string {
  return `'${value.replaceAll("'", "'\\''")}'`;
}

/** What {@link layerFloor} unpacks: one source per layer and the shell command for one. */
export interface FloorOptions {
  id: string;
  label: string;
  /** Layer files or URLs, bottom first. */
  sources: string[];
  /** One after the other (the floor the issues set) or all at once (for information). */
  parallel: boolean;
  /** Tools the commands need; a missing one skips the peer. */
  tools: string[];
  /** The shell command unpacking `source` (quoted) into `target` (quoted, existing). */
  extract: (source: string, target: string) => string;
}

/**
 * A floor peer: unpacks each layer into its own fresh folder with plain tools, under bash with
 * `pipefail` so that a failing stage of a pipeline fails the run.
 */
export function layerFloor(opts: FloorOptions): Peer {
  return {
    id: opts.id,
    label: opts.label,
    role: opts.parallel ? "info" : "floor",
    check: () => requireTools(...opts.tools),
    prepare: async (dir) => {
      const steps = opts.sources.map((source, i) => {
        const target = shellQuote(join(dir, `layer-${i + 1}`));
        return `mkdir ${target} && ${opts.extract(shellQuote(source), target)}`;
      });
      const script = opts.parallel
        ? `${steps.map((s) => `(${s}) & `).join("")}fail=0; for j in $(jobs -p); do wait $j || fail=1; done; exit $fail`
        : steps.join(" && ");
      return { argv: ["bash", "-c", `set -o pipefail; ${script}`], release: nothingToRelease };
    },
  };
}

/**
 * GNU `tar -x` of each layer into its own fresh folder: one after the other (`parallel` false,
 * the floor the issue sets) or all at once (for information).
 */
export function tarFloor(layers: string[], opts: { parallel: boolean; gzip: boolean }): Peer {
  const flags = opts.gzip ? "-xzf" : "-xf";
  const mode = opts.parallel ? "parallel" : "sequential";
  return layerFloor({
    id: `tar-${mode}`,
    label: `GNU tar ${flags} (${mode})`,
    sources: layers,
    parallel: opts.parallel,
    tools: ["tar"],
    extract: (layer, target) => `tar ${flags} ${layer} -C ${target}`,
  });
}

/**
 * Writes a daemon.json whose `graph` and `state` are fresh folders inside `dir` (plus `settings`,
 * such as `insecure-registries`), and returns the environment that points the CLI at it (direct mode: no `-H`, no `ISULAD_HOST`).
 */
export async function isulaStore(
  dir: string,
  settings: Record<string, unknown> = {},
): Promise<NodeJS.ProcessEnv> {
  const config = join(dir, "daemon.json");
  const graph = join(dir, "graph");
  const state = join(dir, "state");
  await mkdir(graph, { recursive: true });
  await mkdir(state, { recursive: true });
  await writeFile(config, `${JSON.stringify({ ...settings, graph, state }, null, 2)}\n`);
  const env: NodeJS.ProcessEnv = { ...process.env, ISULAD_CONFIG: config, HOME: dir };
  delete env.ISULAD_HOST;
  return env;
}

let buildFailure: string | undefined;

/** Records that `npm run build` failed, so every isula peer reports that output as its failure. */
export function setBuildFailure(output: string): void {
  buildFailure = output;
}

/** Why the CLI cannot run yet (always `failed`: the CLI is what is being built), or undefined. */
export async function checkIsula(): Promise<Unavailable | undefined> {
  if (buildFailure !== undefined) return { status: "failed", reason: buildFailure };
  if (!existsSync(ISULA)) return { status: "failed", reason: `${ISULA} does not exist` };
  if (!existsSync(join(REPO_ROOT, "dist", "isula.mjs"))) {
    return { status: "failed", reason: "dist/isula.mjs is missing: run `npm run build`" };
  }
  return undefined;
}

/**
 * Throws unless `isula images` in the store of `env` lists `repository` with `tag`: a command
 * that exits 0 but stores nothing must not count as a fast one.
 */
export async function expectListed(env: NodeJS.ProcessEnv, repository: string, tag: string) {
  const listed = await runQuiet([ISULA, "images"], { env });
  const escaped = repository.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  if (!new RegExp(`^${escaped}\\s+${tag}\\s`, "m").test(listed.stdout)) {
    throw new Error(`isula images does not list ${repository}:${tag}:\n${listed.stdout}`);
  }
  return {};
}

/** `isula load -i <archive>` into a fresh store. */
export function isulaLoad(archive: string): Peer {
  return {
    id: "isula",
    label: "isula load",
    role: "subject",
    check: checkIsula,
    prepare: async (dir) => {
      const env = await isulaStore(dir);
      return {
        argv: [ISULA, "load", "-i", archive],
        env,
        finish: () => expectListed(env, "bench/load", "latest"),
        release: nothingToRelease,
      };
    },
  };
}
