/**
 * `ctr images import` and `ctr images pull` against a containerd the benchmark starts for each
 * trial: private root, state and socket inside the trial folder, CRI plugin disabled, stopped
 * and removed afterwards.
 * containerd does the unpacking, so the report takes its peak RSS as well as the client's.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, existsSync, openSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { type Peer, requireTools, unmountUnder } from "./peers.ts";

const START_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 10_000;

/** A running private containerd. */
export interface Daemon {
  child: ChildProcess;
  socket: string;
  log: string;
}

function configToml(dir: string, socket: string): string {
  return [
    "version = 2",
    `root = ${JSON.stringify(join(dir, "root"))}`,
    `state = ${JSON.stringify(join(dir, "state"))}`,
    'disabled_plugins = ["io.containerd.grpc.v1.cri"]',
    "[grpc]",
    `  address = ${JSON.stringify(socket)}`,
    "[debug]",
    '  level = "warn"',
    "",
  ].join("\n");
}

async function logTail(log: string): Promise<string> {
  const text = await readFile(log, "utf8").catch(() => "");
  return text.trim().split("\n").slice(-15).join("\n");
}

/** Starts containerd with everything inside `dir`; throws with its log when it does not come up. */
export async function startContainerd(dir: string): Promise<Daemon> {
  const socket = join(dir, "c.sock");
  const config = join(dir, "config.toml");
  const log = join(dir, "containerd.log");
  await writeFile(config, configToml(dir, socket));
  const out = openSync(log, "a");
  const child = spawn("containerd", ["--config", config], { stdio: ["ignore", out, out] });
  closeSync(out);
  let exited = false;
  child.on("exit", () => {
    exited = true;
  });

  const deadline = Date.now() + START_TIMEOUT_MS;
  while (!existsSync(socket)) {
    if (exited || Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`containerd did not start:\n${await logTail(log)}`);
    }
    await sleep(50);
  }
  return { child, socket, log };
}

/** Stops containerd: SIGTERM, then SIGKILL if it is still there after a while. */
export async function stopContainerd(daemon: Daemon): Promise<void> {
  const { child } = daemon;
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  const stopped = await Promise.race([exited.then(() => true), sleep(STOP_TIMEOUT_MS, false)]);
  if (!stopped) {
    child.kill("SIGKILL");
    await exited;
  }
}

/** Peak resident memory of a live process in KiB, from /proc. */
export async function peakRssOf(pid: number | undefined): Promise<number | undefined> {
  if (pid === undefined) return undefined;
  const status = await readFile(`/proc/${pid}/status`, "utf8").catch(() => "");
  const match = /^VmHWM:\s+(\d+) kB/m.exec(status);
  return match ? Number(match[1]) : undefined;
}

/**
 * `ctr --address <socket> <args...>` against a containerd started for the trial; `id` and
 * `label` name the peer in the report.
 */
export function ctrPeer(id: string, label: string, args: string[]): Peer {
  return {
    id,
    label,
    role: "peer",
    check: () => requireTools("containerd", "ctr"),
    prepare: async (dir) => {
      const daemon = await startContainerd(dir);
      return {
        argv: ["ctr", "--address", daemon.socket, ...args],
        finish: async () => ({ serverPeakRssKb: await peakRssOf(daemon.child.pid) }),
        release: async () => {
          await stopContainerd(daemon);
          await unmountUnder(dir);
        },
      };
    },
  };
}

/** `ctr images import <archive>` (which also unpacks into the overlayfs snapshotter). */
export function ctrImport(archive: string): Peer {
  return ctrPeer("ctr", "ctr images import (overlayfs)", ["images", "import", archive]);
}
