import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import type { ProcessResult } from "../helpers/run-process.ts";
import { assertStoreInvariants } from "../helpers/store-invariants.ts";
import { isula, newSandbox, seededRandom, startDaemon, storeState } from "./torture-harness.ts";
import { tortureWorld } from "./torture-images.ts";

// Concurrency (issue #6): direct-mode `isula` processes and an `isulad` serving other `isula`
// processes work on one store at once, loading, pulling, tagging and removing overlapping
// images (they share layers) and saving what only their own names keep, for a bounded time.
// No name a worker gave is lost, no image loses a blob it needs (its save works), no process
// hangs, every command fails only the way a race allows ("No such image" when another worker
// removed a shared name first), the daemon downloads a blob in flight once however many
// pulls want it (and so do direct-mode processes), and the invariant checker finds the store whole at the end.

const SECONDS = Number(process.env.ISULAD_TS_TORTURE_SECONDS ?? 30);
const SEED = Number(process.env.ISULAD_TS_TORTURE_SEED ?? 6);
const DIRECT_WORKERS = 3;
const DAEMON_WORKERS = 2;
/** A command slower than this is taken for a deadlock. */
const HANG_MS = 120_000;

const { work, images, archives, reg } = await tortureWorld("concurrency");
const host = reg.host;

// Two downloads at a time: a pull of r (three new layers) starts a layer after another ends,
// which is when a second pull could start a download the first already made.
const box = newSandbox(work, "store", {
  config: { "insecure-registries": [host], "max-concurrent-downloads": 2 },
});
const seeded = await isula(box, ["load", "-i", archives.seed]);
assert.equal(seeded.code, 0, seeded.stderr);

/** Names every worker may use, and the image each always means. */
const shared: Record<string, string> = {
  "a:1": images.a.id,
  "c:1": images.c.id,
  "d:1": images.d.id,
  "e:1": images.e.id,
  [`${host}/torture/p:1`]: images.p.id,
  [`${host}/torture/q:1`]: images.q.id,
};
/** Shared names a worker may remove (a:1, a:2 and b:1 stay). */
const removable = Object.keys(shared).filter((n) => n !== "a:1");

/** What the workers did, for the figures. */
const tally = { ops: 0, ok: 0, raced: 0, byKind: new Map<string, number>() };

/** The blob GETs the registry served for `repo`, by digest. */
async function blobGets(repo: string): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  const re = new RegExp(`"GET /v2/${repo}/blobs/(sha256:[0-9a-f]{64}) `, "g");
  for (const m of (await reg.settledLog()).matchAll(re)) {
    counts.set(m[1] as string, (counts.get(m[1] as string) ?? 0) + 1);
  }
  return counts;
}

interface Worker {
  name: string;
  /** `ISULAD_HOST` for a daemon client, nothing for direct mode. */
  env: NodeJS.ProcessEnv;
  /** Names this worker gave, and the image each must still mean. */
  own: Map<string, string>;
  failures: string[];
}

async function run(w: Worker, args: string[]): Promise<ProcessResult> {
  const r = await isula(box, args, { env: w.env, timeoutMs: HANG_MS });
  tally.ops++;
  if (r.signal !== null) w.failures.push(`"isula ${args.join(" ")}" hung (killed by ${r.signal})`);
  return r;
}

/** Expects success, or "No such image" when `raceable` (another worker removed the name). */
function judge(w: Worker, args: string[], r: ProcessResult, raceable: boolean): boolean {
  const kind = args[0] as string;
  tally.byKind.set(kind, (tally.byKind.get(kind) ?? 0) + 1);
  if (r.code === 0) {
    tally.ok++;
    return true;
  }
  if (raceable && /No such image/.test(r.stderr)) {
    tally.raced++;
    return false;
  }
  if (r.signal === null) w.failures.push(`"isula ${args.join(" ")}" failed: ${r.stderr.trim()}`);
  return false;
}

async function step(w: Worker, random: () => number, n: number): Promise<void> {
  const pick = <T>(xs: T[]) => xs[Math.floor(random() * xs.length)] as T;
  const roll = random();
  const mine = [...w.own.keys()];
  if (roll < 0.15) {
    const args = ["load", "-i", pick([archives.load, archives.gzip])];
    judge(w, args, await run(w, args), false);
  } else if (roll < 0.3) {
    const args = ["pull", `${host}/torture/${pick(["p", "q"])}:1`];
    judge(w, args, await run(w, args), false);
  } else if (roll < 0.6 || mine.length === 0) {
    const source = pick(Object.keys(shared));
    const target = `${w.name}/img:${n}`;
    const args = ["tag", source, target];
    if (judge(w, args, await run(w, args), true)) w.own.set(target, shared[source] as string);
  } else if (roll < 0.7) {
    // Reads every blob of an image only this worker's name keeps: none may have been removed.
    const args = ["save", "-o", join(box.dir, "work", `${w.name}.tar`), pick(mine)];
    judge(w, args, await run(w, args), false);
  } else if (roll < 0.85) {
    const args = ["rmi", pick(removable)];
    judge(w, args, await run(w, args), true);
  } else {
    const name = pick(mine);
    const args = ["rmi", name];
    // Only this worker ever removes its own names: this must succeed.
    if (judge(w, args, await run(w, args), false)) w.own.delete(name);
  }
}

async function workLoop(w: Worker, seed: number, until: number): Promise<void> {
  const random = seededRandom(seed);
  for (let n = 0; Date.now() < until && w.failures.length === 0; n++) await step(w, random, n);
}

test(`isulad downloads each blob once for 10 concurrent pulls of one image`, async () => {
  const daemon = await startDaemon(box);
  try {
    const started = Array.from({ length: 10 }, (_, i) => i * 100).map(async (delay) => {
      await new Promise((r) => setTimeout(r, delay));
      return isula(box, ["pull", `${host}/torture/r:1`], {
        env: { ISULAD_HOST: box.daemonHost },
      });
    });
    for (const r of await Promise.all(started)) assert.equal(r.code, 0, r.stderr);
  } finally {
    await daemon.stop();
  }
  const gets = await blobGets("torture/r");
  const fresh = images.r.layers.slice(1).map((l) => l.digest);
  for (const d of fresh)
    assert.equal(gets.get(d), 1, `blob ${d} was downloaded ${gets.get(d)} times`);
  assert.equal(gets.get(images.base.digest), undefined, "a stored layer was downloaded");
});

test("10 concurrent direct-mode pulls of one image download each blob once", async () => {
  // Separate processes share in-flight downloads through blob claims (src/content/blob-claim.ts).
  const own = newSandbox(work, "direct-pulls", {
    config: { "insecure-registries": [host], "max-concurrent-downloads": 2 },
  });
  const loaded = await isula(own, ["load", "-i", archives.seed]);
  assert.equal(loaded.code, 0, loaded.stderr);
  const before = await blobGets("torture/r");
  const started = Array.from({ length: 10 }, (_, i) => i * 100).map(async (delay) => {
    await new Promise((r) => setTimeout(r, delay));
    return isula(own, ["pull", `${host}/torture/r:1`]);
  });
  for (const r of await Promise.all(started)) assert.equal(r.code, 0, r.stderr);
  const gets = await blobGets("torture/r");
  for (const d of images.r.layers.slice(1).map((l) => l.digest)) {
    const n = (gets.get(d) ?? 0) - (before.get(d) ?? 0);
    assert.equal(n, 1, `blob ${d} was downloaded ${n} times`);
  }
  await assertStoreInvariants(own.graph, { context: "after 10 direct-mode pulls" });
});

test(`${DIRECT_WORKERS} direct-mode and ${DAEMON_WORKERS} daemon-client workers load, pull, tag and remove for ${SECONDS} s (seed ${SEED})`, async (t) => {
  const daemon = await startDaemon(box);
  const workers: Worker[] = [];
  for (let i = 0; i < DIRECT_WORKERS + DAEMON_WORKERS; i++) {
    const viaDaemon = i >= DIRECT_WORKERS;
    workers.push({
      name: `${viaDaemon ? "daemon" : "direct"}${i}`,
      env: viaDaemon ? { ISULAD_HOST: box.daemonHost } : {},
      own: new Map(),
      failures: [],
    });
  }
  const until = Date.now() + SECONDS * 1000;
  try {
    await Promise.all(workers.map((w, i) => workLoop(w, SEED * 100 + i, until)));
  } finally {
    await daemon.stop();
  }
  const failures = workers.flatMap((w) => w.failures.map((f) => `${w.name}: ${f}`));
  assert.deepEqual(failures, []);

  // The next direct-mode command cleans up; then every invariant holds and no name was lost.
  const next = await isula(box, ["images"]);
  assert.equal(next.code, 0, next.stderr);
  await assertStoreInvariants(box.graph, { context: "after the concurrent workload" });
  const lines = new Set(storeState(box.graph).split("\n"));
  for (const w of workers) {
    for (const [name, id] of w.own) assert.ok(lines.has(`${name} ${id}`), `lost name ${name}`);
  }
  const kinds = [...tally.byKind].map(([k, v]) => `${k} ${v}`).join(", ");
  t.diagnostic(
    `${tally.ops} concurrent operations (${kinds}): ${tally.ok} succeeded, ${tally.raced} lost a race for a shared name; ${workers.reduce((k, w) => k + w.own.size, 0)} worker names held`,
  );
  assert.ok(tally.ops >= workers.length, `only ${tally.ops} operations ran`);
});
