/**
 * What the load benchmark runs: the GNU tar floor, `isula load` and `podman load`. Each peer
 * prepares one fresh trial (its own empty store or target folders under a work folder on the
 * same file system as the fixture) and says how to clean it up afterwards.
 */
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
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

const nothingToRelease = async () => {};

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

/**
 * GNU `tar -x` of each layer into its own fresh folder: one after the other (`parallel` false,
 * the floor the issue sets) or all at once (for information).
 */
export function tarFloor(layers: string[], opts: { parallel: boolean; gzip: boolean }): Peer {
  const flags = opts.gzip ? "-xzf" : "-xf";
  const mode = opts.parallel ? "parallel" : "sequential";
  return {
    id: `tar-${mode}`,
    label: `GNU tar ${flags} (${mode})`,
    role: opts.parallel ? "info" : "floor",
    check: () => requireTools("tar"),
    prepare: async (dir) => {
      const steps = layers.map((layer, i) => {
        const target = shellQuote(join(dir, `layer-${i + 1}`));
        return `mkdir ${target} && tar ${flags} ${shellQuote(layer)} -C ${target}`;
      });
      const script = opts.parallel
        ? `${steps.map((s) => `(${s}) & `).join("")}fail=0; for j in $(jobs -p); do wait $j || fail=1; done; exit $fail`
        : steps.join(" && ");
      return { argv: ["bash", "-c", script], release: nothingToRelease };
    },
  };
}

/**
 * Writes a daemon.json whose `graph` and `state` are fresh folders inside `dir`, and returns the
 * environment that points the CLI at it (direct mode: no `-H`, no `ISULAD_HOST`).
 */
export async function isulaStore(dir: string): Promise<NodeJS.ProcessEnv> {
  const config = join(dir, "daemon.json");
  const graph = join(dir, "graph");
  const state = join(dir, "state");
  await mkdir(graph, { recursive: true });
  await mkdir(state, { recursive: true });
  await writeFile(config, `${JSON.stringify({ graph, state }, null, 2)}\n`);
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
        finish: async () => {
          // A load that exits 0 but stores nothing must not count as a fast load.
          const listed = await runQuiet([ISULA, "images"], { env });
          if (!/^bench\/load\s+latest\s/m.test(listed.stdout)) {
            throw new Error(`isula images does not list bench/load:latest:\n${listed.stdout}`);
          }
          return {};
        },
        release: nothingToRelease,
      };
    },
  };
}

/** The podman arguments that keep its store inside `dir` and its run state in `runroot`. */
export function podmanStore(dir: string, runroot: string, driver: string): string[] {
  const root = join(dir, "root");
  const tmp = join(dir, "tmp");
  return [
    "podman",
    "--root",
    root,
    "--runroot",
    runroot,
    "--tmpdir",
    tmp,
    "--storage-driver",
    driver,
  ];
}

/** `podman load -i <archive>` into a fresh store with the given storage driver. */
export function podmanLoad(archive: string, driver: "vfs" | "overlay"): Peer {
  return {
    id: `podman-${driver}`,
    label: `podman load (${driver})`,
    role: "peer",
    check: () => requireTools("podman"),
    prepare: async (dir) => {
      // The overlay driver refuses a runroot longer than 50 characters; it only holds locks and
      // mount state, so a short folder under /tmp does not change what is measured.
      const runroot = await mkdtemp(join(tmpdir(), "ibr-"));
      return {
        argv: [...podmanStore(dir, runroot, driver), "load", "-i", archive],
        // podman's overlay driver leaves its storage folder bind-mounted on itself.
        release: async () => {
          await unmountUnder(dir);
          await unmountUnder(runroot);
          await rm(runroot, { recursive: true, force: true });
        },
      };
    },
  };
}
