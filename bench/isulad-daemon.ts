/**
 * `isulad` for the benchmark (issue #4): a daemon on the store of a trial's daemon.json, so
 * that `isula pull` and `isula images` can be timed through it beside direct mode in the same
 * run, and its idle RSS read from /proc.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { connectionAnswers } from "../src/service/endpoint-answers.ts";
import { peakRssOf } from "./containerd.ts";
import { runQuiet, timeCommand } from "./measure.ts";
import { ISULA, nothingToRelease, type Peer, REPO_ROOT } from "./peers.ts";
import { describeFailure, type PeerResult, type RunRecord, summariseRuns } from "./scenario.ts";

const ISULAD = join(REPO_ROOT, "bin", "isulad");
const START_TIMEOUT_MS = 20_000;

/** A daemon started by {@link startBenchDaemon}. */
export interface BenchDaemon {
  /** `unix://<dir>/isulad.sock`. */
  host: string;
  child: ChildProcess;
  /** Current resident memory in KiB (VmRSS). */
  rssKb(): Promise<number | undefined>;
  /** Peak resident memory in KiB (VmHWM). */
  peakRssKb(): Promise<number | undefined>;
  /** SIGTERM and wait for the exit. */
  stop(): Promise<void>;
}

/**
 * Starts `bin/isulad` on the store `env.ISULAD_CONFIG` places, with its socket, pid file and
 * log in `dir`, and waits until the socket answers. Throws with the daemon's output when it
 * exits or does not answer within 20 s.
 */
export async function startBenchDaemon(env: NodeJS.ProcessEnv, dir: string): Promise<BenchDaemon> {
  const socket = join(dir, "isulad.sock");
  const args = ["--config-file", env.ISULAD_CONFIG ?? "", "-H", `unix://${socket}`];
  args.push("-p", join(dir, "isulad.pid"), "--log-opt", `log-path=${dir}`);
  const child = spawn(ISULAD, args, { env, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (c) => {
    stderr += c;
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (!(await connectionAnswers({ path: socket }, 1000))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill("SIGKILL");
      const log = await readFile(join(dir, "isulad.log"), "utf8").catch(() => "");
      throw new Error(`isulad did not start: ${stderr}${log}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const status = async (key: string) => {
    const text = await readFile(`/proc/${child.pid}/status`, "utf8").catch(() => "");
    const m = new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(text);
    return m ? Number(m[1]) : undefined;
  };
  return {
    host: `unix://${socket}`,
    child,
    rssKb: () => status("VmRSS"),
    peakRssKb: () => peakRssOf(child.pid),
    stop: async () => {
      if (child.exitCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}

/**
 * A peer that runs `isula <args...> -H <daemon>` against a daemon started on the trial's fresh
 * store (`makeStore` writes its daemon.json); the daemon's start is not timed, its peak RSS is
 * reported beside the client's. `finish` checks the result through the daemon.
 */
export function throughDaemon(opts: {
  id: string;
  label: string;
  makeStore: (dir: string) => Promise<NodeJS.ProcessEnv>;
  command: string;
  args: string[];
  check: (env: NodeJS.ProcessEnv) => Promise<unknown>;
  isAvailable: Peer["check"];
}): Peer {
  return {
    id: opts.id,
    label: opts.label,
    role: "info",
    check: opts.isAvailable,
    prepare: async (dir) => {
      const env = await opts.makeStore(dir);
      const daemon = await startBenchDaemon(env, dir);
      const clientEnv = { ...env, ISULAD_HOST: daemon.host };
      return {
        argv: [ISULA, opts.command, "-H", daemon.host, ...opts.args],
        env: clientEnv,
        finish: async () => {
          await opts.check(clientEnv);
          return { serverPeakRssKb: await daemon.peakRssKb() };
        },
        release: async () => {
          await daemon.stop();
          await nothingToRelease();
        },
      };
    },
  };
}

type Base = Pick<PeerResult, "id" | "label" | "role">;

/**
 * `isula images` on the store of `env` (already holding the many-images archive) in direct mode
 * and through a daemon started on it, alternating the two `repeat` times so that drift hits both
 * alike; plus the daemon's start (wall time until its socket answers) with its idle RSS, read
 * before the first request, as the peak-RSS figure.
 */
export async function imagesBothModes(
  env: NodeJS.ProcessEnv,
  dir: string,
  count: number,
  repeat: number,
): Promise<PeerResult[]> {
  const n = count.toLocaleString("en-US");
  const bases = {
    start: { id: "isulad-start", label: "isulad start-up (RSS: idle)", role: "info" },
    direct: { id: "isula-images-direct", label: `isula images (${n}, direct)`, role: "info" },
    daemon: { id: "isula-images-daemon", label: `isula images (${n}, isulad)`, role: "info" },
  } satisfies Record<string, Base>;
  const failed = (b: Base, reason: string): PeerResult => ({
    ...b,
    status: "failed",
    reason,
    runs: [],
  });

  const started = Date.now();
  let daemon: BenchDaemon;
  try {
    daemon = await startBenchDaemon(env, dir);
  } catch (err) {
    return Object.values(bases).map((b) => failed(b, (err as Error).message));
  }
  try {
    const startMs = Date.now() - started;
    await new Promise((r) => setTimeout(r, 1000)); // let start-up garbage be collected
    const idle = (await daemon.rssKb()) ?? null;
    const start = summariseRuns(bases.start, [{ wallMs: startMs, peakRssKb: idle }]);
    const runs = { direct: [] as RunRecord[], daemon: [] as RunRecord[] };
    const daemonEnv = { ...env, ISULAD_HOST: daemon.host };
    // A command that exits 0 but lists nothing must not count as a fast one.
    for (const e of [env, daemonEnv]) {
      const listed = await runQuiet(["sh", "-c", `"${ISULA}" images -q | wc -l`], { env: e });
      if (Number(listed.stdout.trim()) !== count) {
        const why = `isula images -q listed ${listed.stdout.trim()} lines, not ${count}`;
        return [start, failed(bases.direct, why), failed(bases.daemon, why)];
      }
    }
    for (let i = 0; i < repeat; i++) {
      for (const mode of ["direct", "daemon"] as const) {
        const r = await timeCommand([ISULA, "images"], {
          env: mode === "daemon" ? daemonEnv : env,
        });
        if (r.code !== 0) {
          const why = describeFailure(r);
          return [start, failed(bases.direct, why), failed(bases.daemon, why)];
        }
        runs[mode].push({ wallMs: r.wallMs, peakRssKb: r.peakRssKb });
      }
    }
    const serverPeakRssKb = (await daemon.peakRssKb()) ?? 0;
    runs.daemon = runs.daemon.map((r) => ({ ...r, serverPeakRssKb }));
    return [
      start,
      summariseRuns(bases.direct, runs.direct),
      summariseRuns(bases.daemon, runs.daemon),
    ];
  } finally {
    await daemon.stop();
  }
}
