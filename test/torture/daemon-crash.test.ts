import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { CRASH_TRACE_ENV } from "../../src/testing/crash-point.ts";
import { assertStoreInvariants } from "../helpers/store-invariants.ts";
import {
  crashEnv,
  isula,
  newSandbox,
  readTrace,
  type Sandbox,
  startDaemon,
  storeState,
} from "./torture-harness.ts";
import { tortureWorld } from "./torture-images.ts";

// Crash consistency in the daemon (issue #6): `isulad` is killed with SIGKILL at kill points
// while it serves a load or a pull to `isula -H`; the next `isulad` start-up (which opens the
// store and so runs its cleanup) must leave a store the invariant checker finds whole, with
// the image whole or absent.

const { work, images, archives, reg } = await tortureWorld("daemon");
const config = { "insecure-registries": [reg.host] };
const host = reg.host;

const seed = newSandbox(work, "seed", { config });
const seeded = await isula(seed, ["load", "-i", archives.seed]);
assert.equal(seeded.code, 0, seeded.stderr);
const S0 = storeState(seed.graph);
const line = (name: string, id: string) => `${name} ${id}`;
const withLines = (...extra: string[]) => [...S0.split("\n"), ...extra].sort().join("\n");

interface DaemonScenario {
  name: string;
  args: string[];
  allowed: string[];
}

const scenarios: DaemonScenario[] = [
  {
    name: "load",
    args: ["load", "-i", archives.load],
    allowed: [
      S0,
      withLines(line("c:1", images.c.id)),
      withLines(line("c:1", images.c.id), line("d:1", images.d.id)),
    ],
  },
  {
    name: "pull",
    args: ["pull", `${host}/torture/p:1`],
    allowed: [S0, withLines(line(`${host}/torture/p:1`, images.p.id))],
  },
];

/**
 * The kill points the daemon passes while serving `args` (not during its start-up), as
 * `name:nth` counted from the daemon's start, each name at its first and last pass.
 */
async function daemonPlan(sc: DaemonScenario): Promise<string[]> {
  const box = newSandbox(work, `trace-${sc.name}`, { from: seed, config });
  const file = join(box.dir, "trace");
  const daemon = await startDaemon(box, { env: { [CRASH_TRACE_ENV]: file } });
  const startup = readTrace(file).length;
  const r = await isula(box, sc.args, { env: { ISULAD_HOST: box.daemonHost } });
  await daemon.stop();
  assert.equal(r.code, 0, r.stderr);
  const trace = readTrace(file);
  const counts = new Map<string, number>();
  const firstInOp = new Map<string, number>();
  trace.forEach((name, i) => {
    counts.set(name, (counts.get(name) ?? 0) + 1);
    if (i >= startup && !firstInOp.has(name)) firstInOp.set(name, counts.get(name) as number);
  });
  const plan: string[] = [];
  for (const [name, first] of firstInOp) {
    plan.push(`${name}:${first}`);
    const last = counts.get(name) as number;
    if (last > first) plan.push(`${name}:${last}`);
  }
  return plan;
}

/** Every third point, spread over every step of the operation (time budget). */
function thin(plan: string[]): string[] {
  return plan.filter((_, i) => i % 3 === 0);
}

const plans = new Map<DaemonScenario, string[]>();
for (const sc of scenarios) plans.set(sc, thin(await daemonPlan(sc)));
let n = 0;
let survived = 0;
const total = [...plans.values()].reduce((k, p) => k + p.length, 0);

async function killDaemonAt(sc: DaemonScenario, point: string): Promise<Sandbox> {
  const box = newSandbox(work, `d${n++}`, { from: seed, config });
  const daemon = await startDaemon(box, { env: crashEnv(point) });
  try {
    const r = await isula(box, sc.args, { env: { ISULAD_HOST: box.daemonHost } });
    const ended = await Promise.race([
      daemon.exited,
      new Promise<undefined>((resolve) => setTimeout(resolve, 5_000)),
    ]);
    assert.equal(ended?.signal, "SIGKILL", `isulad was not killed at ${point}: ${r.stderr}`);
    assert.notEqual(r.code, 0, "the client saw success from a daemon killed mid-request");
  } finally {
    await daemon.stop();
  }
  return box;
}

for (const [sc, plan] of plans) {
  describe(`isulad killed at ${plan.length} kill points while serving a ${sc.name}`, {
    concurrency: 2,
  }, () => {
    for (const point of plan) {
      test(`isulad killed at ${point} restarts onto a whole store`, async () => {
        const box = await killDaemonAt(sc, point);
        const daemon = await startDaemon(box);
        try {
          const list = await isula(box, ["images"], { env: { ISULAD_HOST: box.daemonHost } });
          assert.equal(list.code, 0, list.stderr);
        } finally {
          await daemon.stop();
        }
        await assertStoreInvariants(box.graph, { context: `isulad ${sc.name} killed at ${point}` });
        const state = storeState(box.graph);
        assert.ok(sc.allowed.includes(state), `killed at ${point}, the store holds:\n${state}`);
        rmSync(box.dir, { recursive: true, force: true });
        survived++;
      });
    }
  });
}

test(`isulad survives all ${total} kill points of a load and a pull it serves`, () => {
  assert.ok(total >= 12, `only ${total} kill points in the daemon`);
  assert.equal(survived, total);
});

test("a direct-mode rmi killed before COMMIT while isulad runs: isulad serves the image whole again", async () => {
  const box = newSandbox(work, "direct-under-daemon", { from: seed, config });
  const daemon = await startDaemon(box);
  const viaDaemon = { env: { ISULAD_HOST: box.daemonHost } };
  try {
    // Direct mode (the daemon is not on the default socket): the rmi moves b's files into the
    // trash inside its transaction and dies before COMMIT, so the records still name them.
    const killed = await isula(box, ["rmi", "b:1"], { env: crashEnv("rmi.dirs-synced:1") });
    assert.equal(killed.signal, "SIGKILL");
    // The daemon opened the store long before; it must still put the files back by itself.
    const deadline = Date.now() + 10_000;
    let saved = await isula(box, ["save", "-o", join(box.dir, "b.tar"), "b:1"], viaDaemon);
    while (saved.code !== 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      saved = await isula(box, ["save", "-o", join(box.dir, "b.tar"), "b:1"], viaDaemon);
    }
    assert.equal(saved.code, 0, saved.stderr);
    await assertStoreInvariants(box.graph, { context: "daemon running", allowLiveLeases: true });
  } finally {
    await daemon.stop();
  }
  assert.equal(storeState(box.graph), S0);
});
