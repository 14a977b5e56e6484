/**
 * Letting the disk go quiet before a timed run. `sync` returns once dirty pages are written,
 * but ext4 mounted with `discard` goes on trimming freed blocks afterwards, and a tool timed
 * during that pays for the previous tool's deletions. So we watch the block device's counters
 * (/sys/dev/block/<major>:<minor>/stat) until nothing moves for a while.
 */
import { readFile, stat } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { runQuiet } from "./measure.ts";

const SAMPLE_MS = 100;

/** How a wait for a quiet disk ended: after how long, and whether it gave up. */
export interface SettleResult {
  waitedMs: number;
  /** True when the disk never went quiet (other processes writing): timings are less reliable. */
  busy: boolean;
}

/** The stat file of the block device holding `dir`, from its device number. */
async function deviceStatFile(dir: string): Promise<string> {
  const dev = (await stat(dir)).dev;
  const major = (dev >> 8) & 0xfff;
  const minor = (dev & 0xff) | ((dev >> 12) & 0xfff00);
  return `/sys/dev/block/${major}:${minor}/stat`;
}

/** Written sectors, requests in flight and discarded sectors, as one comparable string. */
async function activity(file: string): Promise<{ key: string; inFlight: number } | undefined> {
  const text = await readFile(file, "utf8").catch(() => undefined);
  if (text === undefined) return undefined;
  const f = text.trim().split(/\s+/).map(Number);
  return { key: `${f[6]}/${f[13] ?? 0}`, inFlight: f[8] ?? 0 };
}

/**
 * Runs `sync`, then waits until the device under `dir` has written and discarded nothing for
 * `quietMs`, giving up after `timeoutMs`. Without a readable stat file it only syncs.
 */
export async function settleDisk(
  dir: string,
  quietMs = 500,
  timeoutMs = 5000,
): Promise<SettleResult> {
  const started = Date.now();
  await runQuiet(["sync"]);
  const file = await deviceStatFile(dir);
  let last = await activity(file);
  if (last === undefined) return { waitedMs: Date.now() - started, busy: false };
  let quietSince = Date.now();
  while (Date.now() - started < timeoutMs) {
    await sleep(SAMPLE_MS);
    const now = await activity(file);
    if (!now || now.key !== last?.key || now.inFlight > 0) quietSince = Date.now();
    last = now;
    if (Date.now() - quietSince >= quietMs) return { waitedMs: Date.now() - started, busy: false };
  }
  return { waitedMs: Date.now() - started, busy: true };
}
