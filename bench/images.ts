/**
 * The `isula images` scenario: listing an empty store, and a store holding the many-images
 * archive (1,000 tiny images over one shared layer, loaded once). Optionally `ctr images ls` on
 * a containerd holding the same images, for context (importing them takes about a minute).
 */
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { startContainerd, stopContainerd } from "./containerd.ts";
import type { Fixture } from "./fixture.ts";
import { imagesBothModes } from "./isulad-daemon.ts";
import { type CommandResult, runQuiet, timeCommand } from "./measure.ts";
import { checkIsula, ISULA, isulaStore, requireTools, unmountUnder } from "./peers.ts";
import {
  describeFailure,
  type PeerResult,
  type RunOptions,
  type RunRecord,
  summariseRuns,
} from "./scenario.ts";

type Base = Pick<PeerResult, "id" | "label" | "role">;

/** Times the same command `count` times on the same store; stops at the first failure. */
async function timeRepeated(
  base: Base,
  argv: string[],
  count: number,
  env?: NodeJS.ProcessEnv,
): Promise<PeerResult> {
  const runs: RunRecord[] = [];
  for (let i = 0; i < count; i++) {
    const result = await timeCommand(argv, { env });
    if (result.code !== 0) {
      return { ...base, status: "failed", reason: describeFailure(result), runs };
    }
    runs.push({ wallMs: result.wallMs, peakRssKb: result.peakRssKb });
  }
  return summariseRuns(base, runs);
}

/** A single timed run reported as its own result (min = median = that run). */
function once(base: Base, result: CommandResult): PeerResult {
  if (result.code !== 0)
    return { ...base, status: "failed", reason: describeFailure(result), runs: [] };
  return summariseRuns(base, [{ wallMs: result.wallMs, peakRssKb: result.peakRssKb }]);
}

async function freshDir(options: RunOptions, name: string): Promise<string> {
  const dir = join(options.workRoot, name);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  return dir;
}

/** Runs the isula part: empty store, then the 1,000-image store. */
async function isulaImages(fixture: Fixture, repeat: number, options: RunOptions) {
  const n = fixture.manyCount.toLocaleString("en-US");
  const bases = {
    empty: { id: "isula-images-empty", label: "isula images (empty store)", role: "info" },
    load: { id: "isula-load-many", label: `isula load (${n} tiny images)`, role: "info" },
    many: { id: "isula-images-many", label: `isula images (${n} images)`, role: "subject" },
  } satisfies Record<string, Base>;
  const unavailable = await checkIsula();
  if (unavailable) {
    options.log(`isula images: ${unavailable.status} (${unavailable.reason.split("\n")[0]})`);
    return Object.values(bases).map((b): PeerResult => ({ ...b, ...unavailable, runs: [] }));
  }

  const emptyDir = await freshDir(options, "isula-images-empty");
  const empty = await timeRepeated(
    bases.empty,
    [ISULA, "images"],
    repeat,
    await isulaStore(emptyDir),
  );
  await rm(emptyDir, { recursive: true, force: true });
  options.log(`${bases.empty.label}: ${empty.status}`);

  const manyDir = await freshDir(options, "isula-images-many");
  const env = await isulaStore(manyDir);
  const load = once(
    bases.load,
    await timeCommand([ISULA, "load", "-i", fixture.manyArchive.path], { env }),
  );
  options.log(`${bases.load.label}: ${load.status}`);
  let many: PeerResult = {
    ...bases.many,
    status: "failed",
    reason: "loading the images failed",
    runs: [],
  };
  if (load.status === "ok") {
    // runQuiet keeps only the tail of the output; count the lines in the shell instead.
    const listed = await runQuiet(["sh", "-c", `"${ISULA}" images -q | wc -l`], { env });
    const count = Number(listed.stdout.trim());
    many = await timeRepeated(bases.many, [ISULA, "images"], repeat, env);
    if (count !== fixture.manyCount && many.status === "ok") {
      many.reason = `isula images -q listed ${count} lines, expected ${fixture.manyCount}`;
    }
  }
  options.log(`${bases.many.label}: ${many.status}`);
  // Direct mode and through isulad, alternating, on the same store (issue #4).
  const modes =
    load.status === "ok" ? await imagesBothModes(env, manyDir, fixture.manyCount, repeat) : [];
  for (const r of modes) options.log(`${r.label}: ${r.status}`);
  await rm(manyDir, { recursive: true, force: true });
  return [empty, load, many, ...modes];
}

/** Runs the containerd part: import the many-images archive once, then `ctr images ls`. */
async function ctrImages(fixture: Fixture, repeat: number, options: RunOptions) {
  const n = fixture.manyCount.toLocaleString("en-US");
  const bases = {
    load: { id: "ctr-import-many", label: `ctr images import (${n} tiny images)`, role: "info" },
    list: { id: "ctr-images-many", label: `ctr images ls (${n} images)`, role: "peer" },
  } satisfies Record<string, Base>;
  const missing = await requireTools("containerd", "ctr");
  if (missing) return Object.values(bases).map((b): PeerResult => ({ ...b, ...missing, runs: [] }));
  const dir = await freshDir(options, "ctr-images-many");
  try {
    const daemon = await startContainerd(dir);
    try {
      const ctr = ["ctr", "--address", daemon.socket, "images"];
      const load = once(
        bases.load,
        await timeCommand([...ctr, "import", fixture.manyArchive.path]),
      );
      options.log(`${bases.load.label}: ${load.status}`);
      const list =
        load.status === "ok"
          ? await timeRepeated(bases.list, [...ctr, "ls"], repeat)
          : { ...bases.list, status: "failed" as const, reason: "import failed", runs: [] };
      return [load, list];
    } finally {
      await stopContainerd(daemon);
    }
  } catch (err) {
    const reason = (err as Error).message;
    return Object.values(bases).map(
      (b): PeerResult => ({ ...b, status: "failed", reason, runs: [] }),
    );
  } finally {
    await unmountUnder(dir);
    await rm(dir, { recursive: true, force: true });
  }
}

/** Runs the images scenario: the isula part, the slow containerd comparison, or both. */
export async function runImagesScenario(
  fixture: Fixture,
  options: RunOptions & { repeat: number; withIsula: boolean; withCtr: boolean },
): Promise<PeerResult[]> {
  const results = options.withIsula ? await isulaImages(fixture, options.repeat, options) : [];
  if (options.withCtr) results.push(...(await ctrImages(fixture, options.repeat, options)));
  return results;
}
