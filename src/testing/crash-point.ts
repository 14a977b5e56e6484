import { appendFileSync } from "node:fs";

/**
 * Kill points for the crash-consistency torture suite (test/torture/). A store step calls
 * `crashPoint("commit.tx-begin")` at a place where a crash must leave the store whole; nothing
 * happens unless one of two variables was set when this module loaded:
 *
 * - `ISULAD_TS_CRASH_AT=<name>[:<nth>]`: the process SIGKILLs itself the `nth` time (default 1)
 *   it reaches point `name`, in any thread (layer workers included);
 * - `ISULAD_TS_CRASH_TRACE=<file>`: every point reached appends its name and a newline to
 *   `file`, so a test can list the points an operation passes through.
 *
 * The variables are read once, so a point costs one comparison when both are unset. Counting is
 * per thread: a point reached in a layer worker counts in that worker only.
 */
export function crashPoint(name: string): void {
  if (target === undefined && traceFile === undefined) return;
  if (traceFile !== undefined) appendFileSync(traceFile, `${name}\n`);
  if (target === undefined || target.name !== name) return;
  if (++reached < target.nth) return;
  process.kill(process.pid, "SIGKILL");
}

/** The environment variable naming the point to die at. */
export const CRASH_AT_ENV = "ISULAD_TS_CRASH_AT";
/** The environment variable naming the file that collects the points reached. */
export const CRASH_TRACE_ENV = "ISULAD_TS_CRASH_TRACE";

const target = parseTarget(process.env[CRASH_AT_ENV]);
const traceFile = process.env[CRASH_TRACE_ENV] || undefined;
let reached = 0;

/** `name` or `name:nth` (nth ≥ 1); anything else is ignored, so a typo never kills. */
export function parseTarget(value: string | undefined): { name: string; nth: number } | undefined {
  if (!value) return undefined;
  const m = /^([A-Za-z0-9._-]+)(?::([1-9][0-9]*))?$/.exec(value);
  if (!m) return undefined;
  return { name: m[1] as string, nth: m[2] === undefined ? 1 : Number(m[2]) };
}
