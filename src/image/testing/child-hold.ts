// Test child: opens the store, leases and holds one layer, writes an ingest file, and waits.
// argv: <graph> <layer-id>. Prints one JSON line, then waits for "release" on stdin.
import { writeFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { ImageStore } from "../image-store.ts";

const [graph, layerId] = process.argv.slice(2) as [string, string];
const store = ImageStore.open({ graph });
const lease = store.lease();
const held = lease.hold(layerId) !== undefined;
const temp = lease.tempPath("in-flight");
writeFileSync(temp, "partial download");
process.stdout.write(`${JSON.stringify({ held, temp })}\n`);

for await (const line of createInterface({ input: process.stdin })) {
  if (line === "release") break;
}
process.stdin.destroy();
await lease.release();
store.close();
