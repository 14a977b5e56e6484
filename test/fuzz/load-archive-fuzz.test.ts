/**
 * A time-bounded fuzz run of the archive loader (issue #6): mutated real archives are loaded
 * in-process; a crash (see archive-fuzz.ts), or a loaded image that breaks the store invariants
 * (test/helpers/store-invariants.ts), fails the test and its input is kept under
 * test/fixtures/fuzz/, which the replay test below loads on every run.
 *
 * FUZZ_SECONDS (default 20) bounds the run; FUZZ_SEED (default 6) fixes the inputs. The seed and
 * the number of executions are printed.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { ImageStore } from "../../src/image/image-store.ts";
import { checkStoreInvariants } from "../helpers/store-invariants.ts";
import { snapshotStore } from "../helpers/store-snapshot.ts";
import {
  buildSeeds,
  judgeLoad,
  makeInput,
  prepareSurroundings,
  type Seed,
  type Surroundings,
  saveFixture,
} from "./archive-fuzz.ts";
import { Rng } from "./mutate.ts";

const FIXTURES = join(import.meta.dirname, "../fixtures/fuzz");
const SECONDS = Number(process.env.FUZZ_SECONDS ?? 20);
const SEED = Number(process.env.FUZZ_SEED ?? 6);

let work: string;
let store: ImageStore;
let around: Surroundings;
let seeds: Seed[];

before(async () => {
  work = mkdtempSync(join(tmpdir(), "load-fuzz-"));
  around = prepareSurroundings(work);
  store = ImageStore.open({ graph: join(work, "graph") });
  seeds = await buildSeeds();
});

after(() => {
  store.close();
  rmSync(work, { recursive: true, force: true });
});

describe("the archive loader under fuzzing", () => {
  test("the seed archives load (the corpus is valid before mutation)", async () => {
    for (const seed of seeds) {
      const file = join(work, "seed.tar");
      writeFileSync(file, seed.tar);
      assert.deepEqual(await judgeLoad(store, file, around), { ok: true, loaded: true }, seed.what);
    }
  });

  test("every saved crash input is refused or loaded cleanly (regression fixtures)", async () => {
    const files = readdirSync(FIXTURES).filter((f) => f.endsWith(".tar"));
    assert.ok(files.length > 0, "no fixtures in test/fixtures/fuzz");
    for (const f of files) {
      const verdict = await judgeLoad(store, join(FIXTURES, f), around);
      assert.equal(verdict.ok, true, `${f}: ${verdict.ok ? "" : verdict.reason}`);
    }
  });

  test(`mutated archives never crash the loader (${SECONDS} s, seed ${SEED})`, async () => {
    const rng = new Rng(SEED);
    const file = join(work, "input.tar");
    const deadline = Date.now() + SECONDS * 1000;
    let baseline = snapshotStore(store);
    const counts = { runs: 0, loaded: 0, refused: 0 };
    const crashes: string[] = [];
    while (Date.now() < deadline) {
      const input = await makeInput(rng, seeds);
      writeFileSync(file, input.bytes);
      const verdict = await judgeLoad(store, file, around, baseline);
      counts.runs += 1;
      if (!verdict.ok) {
        const saved = saveFixture(FIXTURES, input, verdict.reason, SEED);
        crashes.push(`${input.how}: ${verdict.reason.split("\n")[0]} (saved as ${saved})`);
        baseline = snapshotStore(store);
      } else if (verdict.loaded) {
        counts.loaded += 1;
        baseline = snapshotStore(store);
        // What a mutated archive got into the store must still be a whole, consistent image.
        const problems = await checkStoreInvariants(join(work, "graph"), { shallow: true });
        if (problems.length > 0) {
          const saved = saveFixture(FIXTURES, input, problems.join("; "), SEED);
          crashes.push(`${input.how}: store invariants broken: ${problems[0]} (saved as ${saved})`);
        }
      } else counts.refused += 1;
    }
    assert.deepEqual(await checkStoreInvariants(join(work, "graph")), []);
    console.log(
      `fuzz: seed ${SEED}, ${counts.runs} executions in ${SECONDS} s: ` +
        `${counts.refused} refused, ${counts.loaded} loaded, ${crashes.length} crashes`,
    );
    assert.deepEqual(crashes, []);
  });
});
