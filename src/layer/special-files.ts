import { spawnSync } from "node:child_process";
import { imageError } from "../errors.ts";

/** A device node or fifo waiting to be made. */
export interface SpecialNode {
  abs: string;
  rel: string;
  type: "char" | "block" | "fifo";
  major: number;
  minor: number;
}

// One shell per batch runs mknod for each node; a failure names the entry and stops the batch.
const SCRIPT = `while [ $# -gt 0 ]; do
  if [ "$2" = p ]; then mknod -- "$1" p || { printf '%s\\n' "$5" >&2; exit 1; }
  else mknod -- "$1" "$2" "$3" "$4" || { printf '%s\\n' "$5" >&2; exit 1; }; fi
  shift 5
done`;

/** Arguments per shell, in bytes; far below ARG_MAX. */
const BATCH_BYTES = 256 * 1024;

/**
 * Creates device nodes and fifos with `mknod(1)`, since Node has no mknod: one shell per batch
 * instead of one process per node. Paths must already be confined and their parents exist.
 * Throws `PermissionDenied` when the kernel refuses (devices need CAP_MKNOD), naming the entry.
 */
export function createSpecialNodes(nodes: Iterable<SpecialNode>): void {
  let args: string[] = [];
  let bytes = 0;
  for (const n of nodes) {
    const type = n.type === "fifo" ? "p" : n.type === "char" ? "c" : "b";
    const entry = [n.abs, type, String(n.major), String(n.minor), n.rel];
    args.push(...entry);
    bytes += entry.reduce((sum, a) => sum + a.length + 1, 0);
    if (bytes > BATCH_BYTES) {
      runBatch(args);
      args = [];
      bytes = 0;
    }
  }
  if (args.length > 0) runBatch(args);
}

function runBatch(args: string[]): void {
  const r = spawnSync("sh", ["-c", SCRIPT, "sh", ...args], {
    stdio: ["ignore", "ignore", "pipe"],
    encoding: "utf8",
  });
  if (r.error) throw imageError("Internal", `running mknod: ${r.error.message}`, r.error);
  if (r.status === 0) return;
  const lines = r.stderr.trim().split("\n");
  const rel = lines.at(-1) ?? "";
  const reason = lines.find((l) => l.startsWith("mknod:"))?.replace(/^mknod: [^:]*: /, "");
  const denied = /not permitted|denied/i.test(r.stderr);
  throw imageError(
    denied ? "PermissionDenied" : "Internal",
    `creating ${JSON.stringify(rel)}: ${reason ?? `mknod exited with ${r.status}`}`,
  );
}
