/**
 * Timing one command: wall time from our own clock, peak RSS from GNU time (`/usr/bin/time`,
 * `%M` in KiB, the largest of the process and the children it waited for). Without GNU time the
 * wall time is still measured and the RSS is reported as unknown.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

const GNU_TIME = "/usr/bin/time";
/** How much of a failed command's output the report keeps. */
const TAIL_BYTES = 4000;

/** One finished command. `peakRssKb` is null when GNU time is missing. */
export interface CommandResult {
  code: number | null;
  signal: string | null;
  wallMs: number;
  peakRssKb: number | null;
  stdout: string;
  stderr: string;
}

/** Options of {@link timeCommand}: environment (replaces ours when given) and working folder. */
export interface TimeOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Kill the command after this long; a benchmark must not hang CI or a developer. */
  timeoutMs?: number;
}

/** True when `/usr/bin/time` is GNU time and can report peak RSS. */
export function hasGnuTime(): boolean {
  return existsSync(GNU_TIME);
}

/** Keeps the last bytes of an output stream so a chatty failure cannot fill memory. */
function collectTail(stream: NodeJS.ReadableStream | null): () => string {
  let text = "";
  stream?.on("data", (chunk: Buffer) => {
    text += chunk.toString("utf8");
    if (text.length > 2 * TAIL_BYTES) text = text.slice(-TAIL_BYTES);
  });
  return () => text.slice(-TAIL_BYTES);
}

/**
 * Runs `argv` to completion and measures it. Never throws for a failing command: a non-zero
 * exit or a spawn error comes back in `code` and `stderr`, so one broken peer cannot stop the
 * benchmark. Safe to call concurrently (each call uses its own temp file).
 */
export async function timeCommand(
  argv: string[],
  options: TimeOptions = {},
): Promise<CommandResult> {
  const scratch = await mkdtemp(join(tmpdir(), "isulad-ts-bench-time-"));
  const timeFile = join(scratch, "time");
  const gnu = hasGnuTime();
  const full = gnu ? [GNU_TIME, "-f", "%M", "-o", timeFile, "--", ...argv] : argv;
  const [command = "", ...args] = full;
  try {
    const started = process.hrtime.bigint();
    const child = spawn(command, args, {
      env: options.env ?? process.env,
      cwd: options.cwd,
      stdio: ["ignore", "pipe", "pipe"],
      timeout: options.timeoutMs ?? 300_000,
    });
    const stdout = collectTail(child.stdout);
    const stderr = collectTail(child.stderr);
    const { code, signal, spawnError } = await new Promise<{
      code: number | null;
      signal: string | null;
      spawnError?: Error;
    }>((resolve) => {
      child.on("error", (err) => resolve({ code: null, signal: null, spawnError: err }));
      child.on("close", (c, s) => resolve({ code: c, signal: s }));
    });
    const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
    return {
      code,
      signal,
      wallMs,
      peakRssKb: gnu ? await readPeakRss(timeFile) : null,
      stdout: stdout(),
      stderr: spawnError ? `${stderr()}\n${spawnError.message}`.trim() : stderr(),
    };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** GNU time writes "Command exited with non-zero status N" before the figures on failure. */
async function readPeakRss(file: string): Promise<number | null> {
  try {
    const lines = (await readFile(file, "utf8")).trim().split("\n");
    const value = Number(lines[lines.length - 1]);
    return Number.isFinite(value) ? value : null;
  } catch {
    return null;
  }
}

/** Runs a command untimed and returns whether it succeeded, with its output for messages. */
export async function runQuiet(argv: string[], options: TimeOptions = {}) {
  const [command = "", ...args] = argv;
  const child = spawn(command, args, {
    env: options.env ?? process.env,
    cwd: options.cwd,
    stdio: ["ignore", "pipe", "pipe"],
    timeout: options.timeoutMs ?? 300_000,
  });
  const stdout = collectTail(child.stdout);
  const stderr = collectTail(child.stderr);
  const code = await new Promise<number | null>((resolve) => {
    child.on("error", () => resolve(null));
    child.on("close", (c) => resolve(c));
  });
  return { ok: code === 0, code, stdout: stdout(), stderr: stderr() };
}

/** Minimum and median of a non-empty list. */
export function summarise(values: number[]): { min: number; median: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median =
    sorted.length % 2 === 1
      ? (sorted[mid] ?? 0)
      : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
  return { min: sorted[0] ?? 0, median };
}
