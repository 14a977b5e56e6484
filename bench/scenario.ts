/**
 * Running peers N times, each run with a fresh store, and turning the runs into one result per
 * peer. A peer that is missing or fails is reported as such, with its output; it never stops the
 * benchmark.
 */
import { mkdir, rename, rm } from "node:fs/promises";
import { basename, join } from "node:path";
import { settleDisk } from "./disk.ts";
import { runQuiet, summarise, timeCommand } from "./measure.ts";
import type { Peer, Role } from "./peers.ts";

/** One successful timed run. */
export interface RunRecord {
  wallMs: number;
  /** How long the `sync` right after the command took: writeback the tool left behind. */
  syncMs?: number;
  /** The disk had not gone quiet before this run started (see disk.ts). */
  diskBusy?: boolean;
  peakRssKb: number | null;
  /** Peak RSS of a server doing the work for the timed client (containerd for ctr). */
  serverPeakRssKb?: number;
}

/** What one peer did in one scenario. Timings and memory are present when `status` is ok. */
export interface PeerResult {
  id: string;
  label: string;
  role: Role;
  status: "ok" | "failed" | "skipped";
  /** Why it was skipped, or the tail of its output when it failed. */
  reason?: string;
  runs: RunRecord[];
  minMs?: number;
  medianMs?: number;
  /** Median of wall time plus the following sync: the cost including writeback. */
  medianWithSyncMs?: number;
  /** How many runs started while the disk was still busy. */
  busyRuns?: number;
  peakRssKb?: number | null;
  serverPeakRssKb?: number;
}

/** Options shared by every timed run. */
export interface RunOptions {
  runs: number;
  /** Folder on the fixture's file system where trials create their stores. */
  workRoot: string;
  log: (line: string) => void;
}

/** Builds a result from successful runs. */
export function summariseRuns(base: Omit<PeerResult, "status" | "runs">, runs: RunRecord[]) {
  const { min, median } = summarise(runs.map((r) => r.wallMs));
  const rss = runs.map((r) => r.peakRssKb).filter((v): v is number => v !== null);
  const server = runs.map((r) => r.serverPeakRssKb).filter((v): v is number => v !== undefined);
  const result: PeerResult = {
    ...base,
    status: "ok",
    runs,
    minMs: min,
    medianMs: median,
    peakRssKb: rss.length > 0 ? Math.max(...rss) : null,
  };
  if (server.length > 0) result.serverPeakRssKb = Math.max(...server);
  if (runs.every((r) => r.syncMs !== undefined)) {
    result.medianWithSyncMs = summarise(runs.map((r) => r.wallMs + (r.syncMs ?? 0))).median;
  }
  const busy = runs.filter((r) => r.diskBusy).length;
  if (busy > 0) result.busyRuns = busy;
  return result;
}

/** Formats a failed command for the report: exit status, then the end of its output. */
export function describeFailure(r: { code: number | null; signal: string | null } & Output) {
  const status = r.signal ? `killed by ${r.signal}` : `exit code ${r.code ?? "none"}`;
  const output = [r.stderr.trim(), r.stdout.trim()].filter(Boolean).join("\n");
  return output ? `${status}:\n${output}` : status;
}

interface Output {
  stdout: string;
  stderr: string;
}

/** A peer being run, with the runs so far and its failure once it has failed. */
interface PeerState {
  peer: Peer;
  runs: RunRecord[];
  failure?: string;
}

/**
 * Times every peer `options.runs` times, each run in a fresh folder. Runs are interleaved
 * (round 1 of every peer, then round 2, ...) so that drift on a shared disk hits all peers
 * alike. A peer stops at its first failure, which is reported with its output. Folders of
 * finished runs are moved into `<workRoot>/trash` and deleted by {@link emptyTrash}, because
 * deleting gigabytes (with online discard) while another peer is timed would slow that peer.
 */
export async function runPeers(peers: Peer[], options: RunOptions): Promise<PeerResult[]> {
  const results = new Map<Peer, PeerResult>();
  const states: PeerState[] = [];
  for (const peer of peers) {
    const unavailable = await peer.check();
    if (!unavailable) {
      states.push({ peer, runs: [] });
      continue;
    }
    options.log(`${peer.label}: ${unavailable.status} (${unavailable.reason.split("\n")[0]})`);
    results.set(peer, { ...baseOf(peer), ...unavailable, runs: [] });
  }

  for (let round = 1; round <= options.runs; round++) {
    for (const state of states.filter((s) => s.failure === undefined)) {
      await runRound(state, round, options);
    }
  }
  for (const { peer, runs, failure } of states) {
    const base = baseOf(peer);
    const result: PeerResult =
      failure === undefined
        ? summariseRuns(base, runs)
        : { ...base, status: "failed", reason: failure, runs };
    results.set(peer, result);
  }
  return peers.map((peer) => results.get(peer) as PeerResult);
}

function baseOf(peer: Peer) {
  return { id: peer.id, label: peer.label, role: peer.role };
}

/** Runs one round of one peer and logs it; records a failure in `state`. */
async function runRound(state: PeerState, round: number, options: RunOptions): Promise<void> {
  const { peer } = state;
  const dir = join(options.workRoot, `${peer.id}-${round}`);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  try {
    state.failure = await runTrial(peer, dir, options, state.runs);
  } catch (err) {
    state.failure = `preparing the run: ${(err as Error).message}`;
  }
  await moveToTrash(dir, options.workRoot);
  if (state.failure !== undefined) {
    options.log(`${peer.label}: FAILED (${state.failure.split("\n").slice(0, 3).join(" | ")})`);
    return;
  }
  const wall = ((state.runs[state.runs.length - 1]?.wallMs ?? 0) / 1000).toFixed(2);
  options.log(`${peer.label}: run ${round}/${options.runs} ${wall} s`);
}

async function moveToTrash(dir: string, workRoot: string): Promise<void> {
  const trash = join(workRoot, "trash");
  await mkdir(trash, { recursive: true });
  await rename(dir, join(trash, `${Date.now()}-${basename(dir)}`));
}

/**
 * Deletes the folders of finished runs, then gives the disk up to 30 s to finish trimming the
 * freed blocks; call between scenarios.
 */
export async function emptyTrash(workRoot: string): Promise<void> {
  await rm(join(workRoot, "trash"), { recursive: true, force: true });
  await settleDisk(workRoot, 1000, 30_000);
}

/**
 * One fresh trial; returns a failure description, or undefined after recording the run. Before
 * the timed command the disk is flushed and left to go quiet; after it, a separate `sync` is
 * timed so the report can show the cost with writeback too.
 */
async function runTrial(peer: Peer, dir: string, options: RunOptions, runs: RunRecord[]) {
  const trial = await peer.prepare(dir);
  try {
    const settled = await settleDisk(options.workRoot);
    const result = await timeCommand(trial.argv, { env: trial.env });
    if (result.code !== 0) return describeFailure(result);
    const syncStarted = performance.now();
    await runQuiet(["sync"]);
    const syncMs = performance.now() - syncStarted;
    let extra = {};
    try {
      extra = trial.finish ? await trial.finish() : {};
    } catch (err) {
      return `checking the result: ${(err as Error).message}`;
    }
    runs.push({
      wallMs: result.wallMs,
      syncMs,
      diskBusy: settled.busy,
      peakRssKb: result.peakRssKb,
      ...extra,
    });
    return undefined;
  } finally {
    await trial.release();
  }
}
