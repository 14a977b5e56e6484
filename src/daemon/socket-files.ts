import { readFileSync } from "node:fs";
import { chmod, chown, lstat, unlink } from "node:fs/promises";
import { hasCode, imageError } from "../errors.ts";
import { connectionAnswers } from "../service/endpoint-answers.ts";

/**
 * True when something accepts a connection on the unix socket `path` within `timeoutMs`.
 * Never throws: a missing file, a refused or timed-out connection are all false.
 */
export function socketAnswers(path: string, timeoutMs: number): Promise<boolean> {
  return connectionAnswers({ path }, timeoutMs);
}

/**
 * Makes `path` free for a new socket: a socket file nothing answers on (left by a crash) is
 * removed; one a live process answers on is `AlreadyExists`; any other kind of file is
 * `FailedPrecondition` (we never delete what is not a socket).
 */
export async function clearStaleSocket(path: string): Promise<void> {
  const st = await lstat(path).catch((err: unknown) => {
    if (hasCode(err, "ENOENT")) return undefined;
    throw err;
  });
  if (st === undefined) return;
  if (!st.isSocket()) {
    throw imageError("FailedPrecondition", `"${path}" exists and is not a socket`);
  }
  if (await socketAnswers(path, 500)) {
    throw imageError("AlreadyExists", `another daemon is listening on "${path}"`);
  }
  await unlink(path).catch((err: unknown) => {
    if (!hasCode(err, "ENOENT")) throw err;
  });
}

/** The gid of `group` (a name looked up in /etc/group, or a number), undefined if unknown. */
export function groupId(group: string | number): number | undefined {
  if (typeof group === "number") return group;
  if (/^\d+$/.test(group)) return Number(group);
  let text: string;
  try {
    text = readFileSync("/etc/group", "utf8");
  } catch {
    return undefined;
  }
  for (const line of text.split("\n")) {
    const [name, , gid] = line.split(":");
    if (name === group && gid !== undefined && /^\d+$/.test(gid)) return Number(gid);
  }
  return undefined;
}

/**
 * Gives the socket iSulad's permissions: mode 0660, and group `group` when that group exists.
 * Returns a warning for what could not be done (no such group, not allowed to chgrp), undefined
 * when all went well.
 */
export async function secureSocket(
  path: string,
  group: string | number | undefined,
): Promise<string | undefined> {
  await chmod(path, 0o660);
  if (group === undefined) return undefined;
  const gid = groupId(group);
  if (gid === undefined) return `group "${group}" does not exist; "${path}" keeps its group`;
  try {
    await chown(path, -1, gid);
  } catch (err) {
    if (hasCode(err, "EPERM")) return `not allowed to give "${path}" to group "${group}"`;
    throw err;
  }
  return undefined;
}

/** Removes a socket file we created; already gone is fine. */
export async function removeSocket(path: string): Promise<void> {
  await unlink(path).catch((err: unknown) => {
    if (!hasCode(err, "ENOENT")) throw err;
  });
}
