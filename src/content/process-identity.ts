import { readFileSync } from "node:fs";
import { hasCode } from "../errors.ts";

/**
 * A process as the store records it: its pid, and its start time so that a pid the kernel has
 * since given to another process is not mistaken for the original owner.
 */
export interface ProcessIdentity {
  pid: number;
  /** Field 22 of `/proc/<pid>/stat` (clock ticks after boot), or "" where there is no /proc. */
  startTime: string;
}

let self: ProcessIdentity | undefined;

/** This process's identity (computed once). */
export function currentProcess(): ProcessIdentity {
  self ??= { pid: process.pid, startTime: readStat(process.pid)?.startTime ?? "" };
  return self;
}

/**
 * True when the process that `owner` describes still runs: the pid exists, is not a zombie, and
 * (when both sides know it) started at the recorded time. A pid owned by another user counts as
 * alive (`EPERM`).
 */
export function isProcessAlive(owner: ProcessIdentity): boolean {
  if (owner.pid === process.pid) return owner.startTime === currentProcess().startTime;
  if (!Number.isInteger(owner.pid) || owner.pid <= 0) return false;
  try {
    process.kill(owner.pid, 0);
  } catch (err) {
    if (hasCode(err, "ESRCH")) return false;
    if (!hasCode(err, "EPERM")) throw err;
  }
  const stat = readStat(owner.pid);
  if (stat === undefined) return currentProcess().startTime === ""; // no /proc: trust kill()
  if (stat.state === "Z" || stat.state === "X") return false;
  return owner.startTime === "" || stat.startTime === owner.startTime;
}

/**
 * A liveness check that remembers its answers, for sweeps that meet the same pid many times.
 */
export function livenessCache(): (owner: ProcessIdentity) => boolean {
  const known = new Map<string, boolean>();
  return (owner) => {
    const key = `${owner.pid}/${owner.startTime}`;
    let alive = known.get(key);
    if (alive === undefined) {
      alive = isProcessAlive(owner);
      known.set(key, alive);
    }
    return alive;
  };
}

function readStat(pid: number): { state: string; startTime: string } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "latin1");
  } catch (err) {
    if (hasCode(err, "ENOENT") || hasCode(err, "ESRCH")) return undefined;
    throw err;
  }
  // The command name (field 2) is in parentheses and may itself hold spaces and parentheses;
  // the fields after the last ")" start at field 3 (state), so field 22 is index 19.
  const rest = text.slice(text.lastIndexOf(")") + 2).split(" ");
  return { state: rest[0] ?? "", startTime: rest[19] ?? "" };
}
