import { closeSync, ftruncateSync, mkdirSync, openSync, readFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { flock } from "../content/flock.ts";
import { imageError } from "../errors.ts";

/** An exclusive `flock` held on a file, with this process's pid written in it. */
export interface HeldLock {
  path: string;
  release(): void;
}

/**
 * Takes the daemon lock `<dir>/<name>` (created 0600), without waiting: the kernel drops a
 * `flock` when its holder dies, so a SIGKILLed daemon never blocks the next one. Writes our pid
 * into the file. Throws `FailedPrecondition` naming `what` and the holder's pid when another
 * process holds it.
 */
export function acquireLock(dir: string, name: string, what: string): HeldLock {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, name);
  const fd = openSync(path, "a+", 0o600);
  if (!flock().tryLock(fd)) {
    const holder = readFileSync(path, "utf8").trim();
    closeSync(fd);
    const pid = holder ? ` (pid ${holder})` : "";
    throw imageError("FailedPrecondition", `another isulad${pid} is running on ${what}`);
  }
  ftruncateSync(fd, 0);
  writeSync(fd, `${process.pid}\n`, 0);
  return {
    path,
    release() {
      ftruncateSync(fd, 0);
      flock().unlock(fd);
      closeSync(fd);
    },
  };
}
