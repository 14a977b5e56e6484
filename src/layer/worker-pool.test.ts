import assert from "node:assert/strict";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { applyLayer } from "./apply-layer.ts";
import { sandbox } from "./testing/sandbox.ts";
import { buildTar, gzipTar } from "./testing/tar-builder.ts";

/** A layer whose bytes arrive in `pieces` slices, `gapMs` apart, like a slow download. */
function slowLayer(index: number, pieces: number, gapMs: number) {
  const entries = Array.from({ length: 50 }, (_, j) => ({ name: `l${index}/f${j}`, body: `${j}` }));
  const blob = gzipTar(buildTar(entries));
  const times = { firstRead: 0, end: 0 };
  async function* stream(): AsyncGenerator<Uint8Array> {
    times.firstRead = performance.now();
    const step = Math.ceil(blob.length / pieces);
    for (let at = 0; at < blob.length; at += step) {
      await sleep(gapMs);
      yield blob.subarray(at, at + step);
    }
  }
  return { stream, times };
}

describe("worker pool", () => {
  it("lends a waiting layer an extra worker while the busy ones wait for their bytes", async (t) => {
    const box = sandbox(t);
    // One more slow layer than there are workers per CPU: each takes about a second to arrive.
    const count = availableParallelism() + 1;
    const layers = Array.from({ length: count }, (_, i) => slowLayer(i, 20, 50));
    await Promise.all(
      layers.map(async (layer, i) => {
        await applyLayer({
          source: { kind: "stream", stream: layer.stream() },
          target: join(box.dir, `out${i}`),
          whiteoutFormat: "aufs",
          workers: count,
        });
        layer.times.end = performance.now();
      }),
    );
    // Without an extra worker the last layer would start reading only once another had ended.
    const lastStart = Math.max(...layers.map((l) => l.times.firstRead));
    const firstEnd = Math.min(...layers.map((l) => l.times.end));
    assert.ok(
      lastStart < firstEnd,
      `last layer started at ${lastStart.toFixed(0)} ms, first ended at ${firstEnd.toFixed(0)}`,
    );
  });
});
