// Limits a user sets on `isula pull` (issue #6), end to end through `./bin/isula` (and through a
// daemon in test/cli-daemon): `max-concurrent-downloads` and `pull-timeout` in daemon.json, and
// `isula pull --timeout`. The registry is a slow one in this process that counts the blob GETs
// it is answering at once. Needs `npm run build` first.
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { ImageStore } from "../../src/image/image-store.ts";
import { type BuiltImage, buildImage, buildLayer } from "../helpers/image-builder.ts";
import { runProcess } from "../helpers/run-process.ts";
import { type SlowRegistry, startSlowRegistry } from "../helpers/slow-registry.ts";
import { snapshotStore } from "../helpers/store-snapshot.ts";
import {
  assertBuilt,
  ensureDaemon,
  makeSandbox,
  ROOT,
  type Sandbox,
  TEST_MODE,
} from "./harness.ts";

const LAYERS = 6;
let image: BuiltImage;
let reg: SlowRegistry;

before(async () => {
  assertBuilt();
  const layers = [];
  for (let i = 0; i < LAYERS; i++) {
    layers.push(await buildLayer([{ name: `layer-${i}.txt`, body: `layer ${i}\n` }], "gzip"));
  }
  image = buildImage({ layers });
  reg = await startSlowRegistry(image, { repo: "team/app", tag: "1", pace: { delayMs: 400 } });
});

after(() => reg?.close());

function sandbox(keys: Record<string, unknown>): Sandbox {
  const box = makeSandbox();
  const file = join(box.dir, "daemon.json");
  const config = JSON.parse(readFileSync(file, "utf8"));
  const all = { ...config, "insecure-registries": [reg.host], ...keys };
  writeFileSync(file, JSON.stringify(all));
  return box;
}

async function pull(box: Sandbox, extra: string[] = []) {
  ensureDaemon(box);
  return runProcess(join(ROOT, "bin", "isula"), ["pull", ...extra, `${reg.host}/team/app:1`], {
    cwd: join(box.dir, "work"),
    env: box.env,
  });
}

function snapshot(box: Sandbox) {
  ensureDaemon(box);
  const store = ImageStore.open({ graph: join(box.dir, "graph") });
  try {
    return snapshotStore(store);
  } finally {
    store.close();
  }
}

/** The snapshot once it equals `want`, or the last one after `ms` (a daemon cleans up late). */
async function settledSnapshot(box: Sandbox, want: unknown, ms = 15_000) {
  const deadline = Date.now() + ms;
  let now = snapshot(box);
  while (Date.now() < deadline) {
    try {
      assert.deepEqual(now, want);
      return now;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
      now = snapshot(box);
    }
  }
  return now;
}

describe(`pull limits (${TEST_MODE} mode)`, () => {
  it("max-concurrent-downloads in daemon.json bounds the blob GETs in flight", async (t) => {
    for (const max of [1, 3]) {
      const box = sandbox({ "max-concurrent-downloads": max });
      reg.pace = { delayMs: 300 };
      reg.reset();
      const r = await pull(box);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(reg.blobGets, LAYERS);
      t.diagnostic(`max-concurrent-downloads ${max}: ${reg.peak} blob GETs at once at most`);
      assert.ok(reg.peak <= max, `limit ${max}, yet ${reg.peak} blob GETs at once`);
      // Parallel downloads do happen, up to the layer workers (one per CPU) at least.
      const least = Math.min(max, availableParallelism());
      assert.ok(reg.peak >= least, `limit ${max}: only ${reg.peak} at once`);
    }
  });

  it("pull-timeout in daemon.json fails a stalled pull with a clear line, store unchanged", async () => {
    const box = sandbox({ "pull-timeout": "1s" });
    reg.pace = { stall: true };
    const before = snapshot(box);
    const started = Date.now();
    const r = await pull(box);
    assert.equal(r.code, 1);
    assert.equal(
      r.stderr.trim().split("\n").at(-1),
      `Failed to pull image ${reg.host}/team/app:1 with error: timed out after 1s (pull-timeout)`,
    );
    assert.ok(Date.now() - started < 15_000, "the timeout fired");
    assert.deepEqual(await settledSnapshot(box, before), before);
  });

  it("isula pull --timeout gives up after that long, store unchanged", async () => {
    const box = sandbox({});
    reg.pace = { stall: true };
    const before = snapshot(box);
    const r = await pull(box, ["--timeout", "1500ms"]);
    assert.equal(r.code, 1);
    assert.equal(
      r.stderr.trim().split("\n").at(-1),
      `Failed to pull image ${reg.host}/team/app:1 with error: timed out after 1500ms (--timeout)`,
    );
    assert.deepEqual(await settledSnapshot(box, before), before);
    for (let i = 0; i < 100 && reg.inFlight > 0; i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(reg.inFlight, 0, "the stalled downloads were given up");
  });

  it("a --timeout that is not a duration is refused before any request", async () => {
    const box = sandbox({});
    reg.reset();
    const r = await pull(box, ["--timeout", "soon"]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^invalid --timeout "soon": give seconds or a duration such as 10m$/m);
    assert.equal(reg.blobGets, 0);
  });
});
