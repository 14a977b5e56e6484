import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { describe, test } from "node:test";
import { assertStoreInvariants } from "../helpers/store-invariants.ts";
import {
  crashEnv,
  isula,
  killPlan,
  newSandbox,
  runPool,
  type Sandbox,
  seededRandom,
  storeState,
  tracePoints,
} from "./torture-harness.ts";
import { tortureWorld } from "./torture-images.ts";

// Crash consistency in direct mode (issue #6): `isula load`, `pull`, `rmi` and `tag` are killed
// with SIGKILL at every kill point they pass (src/testing/crash-point.ts), then the next `isula`
// command (which opens the store and so runs its start-up cleanup) must leave a store that the
// invariant checker finds whole, holding each image whole or not at all; running the command
// again must then succeed. Start-up cleanup itself is killed at each of its points too.

const { work, images, archives, reg } = await tortureWorld("crash");
const config = { "insecure-registries": [reg.host] };
const host = reg.host;

const seed = newSandbox(work, "seed", { config });
const seeded = await isula(seed, ["load", "-i", archives.seed]);
assert.equal(seeded.code, 0, seeded.stderr);

/** A store state (see `storeState`) built from name → image pairs. */
function state(entries: [string, string][]): string {
  return entries
    .map(([name, id]) => `${name} ${id}`)
    .sort()
    .join("\n");
}

const { a, b, c, d, e, p } = images;
const s0: [string, string][] = [
  ["a:1", a.id],
  ["a:2", a.id],
  ["b:1", b.id],
];
assert.equal(storeState(seed.graph), state(s0));

/** One operation to kill: the states a crash may leave (the first is the start, the last the end). */
interface Scenario {
  name: string;
  args: string[];
  /** The store the operation starts from. */
  from: Sandbox;
  allowed: string[];
  /** Prefixes of the points that are this operation's own steps. */
  own: string[];
}

function scenarios(crashedLoad: Sandbox, crashedRmi: Sandbox): Scenario[] {
  const S0 = state(s0);
  const named = (x: string, id: string): [string, string] => [x, id];
  return [
    {
      name: "load of two images from a plain archive",
      args: ["load", "-i", archives.load],
      from: seed,
      own: ["load."],
      allowed: [
        S0,
        state([...s0, named("c:1", c.id)]),
        state([...s0, named("c:1", c.id), named("d:1", d.id)]),
      ],
    },
    {
      name: "load of a gzip'd OCI archive",
      args: ["load", "-i", archives.gzip],
      from: seed,
      own: ["load."],
      allowed: [S0, state([...s0, named("e:1", e.id)])],
    },
    {
      name: "pull",
      args: ["pull", `${host}/torture/p:1`],
      from: seed,
      own: ["pull.", "lease."],
      allowed: [S0, state([...s0, named(`${host}/torture/p:1`, p.id)])],
    },
    {
      name: "rmi of an image's last name",
      args: ["rmi", "b:1"],
      from: seed,
      own: ["rmi."],
      allowed: [S0, state(s0.filter(([n]) => n !== "b:1"))],
    },
    {
      name: "rmi of one of two names",
      args: ["rmi", "a:2"],
      from: seed,
      own: ["untag."],
      allowed: [S0, state(s0.filter(([n]) => n !== "a:2"))],
    },
    {
      name: "tag moving a name",
      args: ["tag", "a:1", "b:1"],
      from: seed,
      own: ["tag."],
      allowed: [
        S0,
        state([
          ["a:1", a.id],
          ["a:2", a.id],
          ["b:1", a.id],
          ["<none>", b.id],
        ]),
      ],
    },
    {
      name: "start-up cleanup after a load killed before COMMIT",
      args: ["images"],
      from: crashedLoad,
      own: ["open.", "cleanup.", "trash.", "ingest."],
      allowed: [S0],
    },
    {
      name: "start-up cleanup after an rmi killed before COMMIT",
      args: ["images"],
      from: crashedRmi,
      own: ["open.", "cleanup.", "trash."],
      allowed: [S0],
    },
  ];
}

/** A copy of the seed store left by `args` killed at `point`, not cleaned up yet. */
async function crashedStore(name: string, args: string[], point: string): Promise<Sandbox> {
  const box = newSandbox(work, name, { from: seed, config });
  const r = await isula(box, args, { env: crashEnv(point) });
  assert.equal(r.signal, "SIGKILL", `"isula ${args.join(" ")}" was not killed at ${point}`);
  return box;
}

const all = scenarios(
  await crashedStore("crashed-load", ["load", "-i", archives.load], "commit.records-written:1"),
  await crashedStore("crashed-rmi", ["rmi", "b:1"], "rmi.dirs-synced:1"),
);
// Every point of a scenario's own steps is killed; a point of shared code (commit, lease, trash)
// already killed in an earlier scenario at the same count is not killed again, to keep the
// suite's time down.
const plans = new Map<Scenario, string[]>();
const planned = new Set<string>();
for (const sc of all) {
  const trace = await tracePoints(
    newSandbox(work, `trace-${plans.size}`, { from: sc.from, config }),
    sc.args,
  );
  // A command's own store open is part of it; only the recovery scenarios kill it.
  const skip = sc.args[0] === "images" ? [] : ["open.", "cleanup.", "ingest."];
  const plan = killPlan(trace, skip).filter(
    (pt) => !planned.has(pt) || sc.own.some((prefix) => pt.startsWith(prefix)),
  );
  for (const pt of plan) planned.add(pt);
  plans.set(sc, plan);
}
const total = [...plans.values()].reduce((n, pl) => n + pl.length, 0);
const distinct = new Set([...plans.values()].flat().map((pt) => pt.replace(/:\d+$/, "")));
let survived = 0;
let counter = 0;

for (const [sc, plan] of plans) {
  describe(`${sc.name} killed at each of its ${plan.length} kill points`, {
    concurrency: 3,
  }, () => {
    plan.forEach((point, i) => {
      test(`SIGKILL at ${point} leaves a whole store`, async () => {
        const box = newSandbox(work, `k${counter++}`, { from: sc.from, config });
        const killed = await isula(box, sc.args, { env: crashEnv(point) });
        assert.equal(killed.signal, "SIGKILL", `not killed at ${point}: ${killed.stderr}`);

        const next = await isula(box, ["images"]);
        assert.equal(next.code, 0, next.stderr);
        await assertStoreInvariants(box.graph, { context: `${sc.name}, killed at ${point}` });
        const after = storeState(box.graph);
        assert.ok(sc.allowed.includes(after), `killed at ${point}, the store holds:\n${after}`);

        // For every third point: the command works again, and ends where an uninterrupted
        // run ends (nothing left behind blocks it).
        if (i % 3 === 0) {
          const final = sc.allowed.at(-1);
          const again = await isula(box, sc.args);
          if (again.code !== 0) assert.equal(after, final, `re-run failed: ${again.stderr}`);
          assert.equal(storeState(box.graph), final);
          await assertStoreInvariants(box.graph, { context: `${sc.name}, re-run`, shallow: true });
        }
        rmSync(box.dir, { recursive: true, force: true });
        survived++;
      });
    });
  });
}

test(`${total} kill points (${distinct.size} distinct points) in load, pull, rmi, tag and start-up cleanup are survived`, () => {
  assert.ok(distinct.size >= 50, `only ${distinct.size} distinct kill points were reached`);
  assert.equal(survived, total);
});

const SEED = Number(process.env.ISULAD_TS_TORTURE_SEED ?? 6);
const RANDOM_KILLS = 6;

describe(`load and pull killed at ${2 * RANDOM_KILLS} random times (seed ${SEED})`, () => {
  const random = seededRandom(SEED);
  for (const op of ["load", "pull"] as const) {
    const args = op === "load" ? ["load", "-i", archives.big] : ["pull", `${host}/torture/r:1`];
    const name = op === "load" ? "r:1" : `${host}/torture/r:1`;
    test(`${op} of a 3-layer image killed at ${RANDOM_KILLS} seeded random times`, async () => {
      const timing = newSandbox(work, `timing-${op}`, { from: seed, config });
      const started = Date.now();
      const full = await isula(timing, args);
      assert.equal(full.code, 0, full.stderr);
      const span = Date.now() - started;
      const delays = Array.from({ length: RANDOM_KILLS }, () => Math.floor(random() * span));
      await runPool(delays, 2, async (delay) => {
        const box = newSandbox(work, `rand-${op}-${counter++}`, { from: seed, config });
        const run = isula(box, args, { timeoutMs: delay });
        const r = await run;
        const next = await isula(box, ["images"]);
        assert.equal(next.code, 0, next.stderr);
        const ctx = `${op} killed after ${delay} ms (${r.signal ?? `exit ${r.code}`})`;
        await assertStoreInvariants(box.graph, { context: ctx });
        const after = storeState(box.graph);
        const whole = state([...s0, [name, images.r.id]]);
        assert.ok(after === state(s0) || after === whole, `${ctx}: the store holds\n${after}`);
        rmSync(box.dir, { recursive: true, force: true });
      });
    });
  }
});
