/**
 * Ctrl-C (issue #6): SIGINT or SIGTERM to a running `isula load` or `isula import` cancels it
 * (in daemon mode the daemon's work too: test/cli-daemon/interrupt.test.ts runs this suite
 * there), exits 130 / 143 with one line on stderr, and leaves the store exactly as it was. The
 * signal is sent once the layer is being unpacked (its temp folder exists in the ingest area).
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { buildTar } from "../../src/layer/testing/tar-builder.ts";
import { writeArchive } from "../helpers/archive-writer.ts";
import { buildImage, buildLayer } from "../helpers/image-builder.ts";
import { assertStoreInvariants } from "../helpers/store-invariants.ts";
import {
  assertBuilt,
  ensureDaemon,
  isula,
  makeSandbox,
  ROOT,
  type Sandbox,
  TEST_MODE,
  writeDockerArchive,
} from "./harness.ts";

const MIB = 1 << 20;

let box: Sandbox;
let bigArchive: string;
let bigTar: string;

before(async () => {
  assertBuilt();
  box = makeSandbox();
  const seed = await writeDockerArchive(join(box.dir, "work", "seed.tar"), {
    repoTags: ["seed:1"],
  });
  assert.equal(isula(box, ["load", "-i", seed.file]).code, 0);
  // 256 MiB of random bytes: unpacking takes long enough to be interrupted mid-way.
  const tar = buildTar([{ name: "random.bin", body: randomBytes(256 * MIB) }]);
  bigTar = join(box.dir, "work", "rootfs.tar");
  writeFileSync(bigTar, tar);
  const layer = await buildLayer(tar, "none");
  bigArchive = join(box.dir, "work", "big.tar");
  await writeArchive(
    bigArchive,
    [{ image: buildImage({ layers: [layer] }), repoTags: ["big:1"] }],
    {
      shape: "docker25",
    },
  );
});

// 768 MiB of test files: removed at once (a daemon still running on it is stopped at exit).
after(() => rmSync(box.dir, { recursive: true, force: true }));

const ingest = () => join(box.dir, "graph", "storage", "ingest");

/** `isula images` and `isula images -q` as the user sees them. */
function images(): string {
  const r = isula(box, ["images"]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
}

/** Starts `isula args`; resolves with its exit code and output once it ends. */
function start(args: string[], stdin: "ignore" | "pipe" = "ignore") {
  ensureDaemon(box);
  const child = spawn(join(ROOT, "bin", "isula"), args, {
    cwd: join(box.dir, "work"),
    env: box.env,
    stdio: [stdin, "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (c) => {
    stdout += c;
  });
  child.stderr?.on("data", (c) => {
    stderr += c;
  });
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on("close", (code) => resolve({ code, stdout, stderr })),
  );
  return { child, done };
}

/** Waits until the ingest area holds a temp entry (a layer is being unpacked), up to 30 s. */
async function untilUnpacking(child: ChildProcess): Promise<void> {
  for (let i = 0; i < 1500; i++) {
    if (child.exitCode !== null) assert.fail("isula ended before it could be interrupted");
    if (existsSync(ingest()) && readdirSync(ingest()).length > 0) return;
    await sleep(20);
  }
  assert.fail("no layer was unpacked within 30 s");
}

/**
 * The store is as it was: same `isula images`, invariants hold. In daemon mode the daemon winds
 * down after the client has gone, so this waits for it (up to 20 s).
 */
async function assertUnchanged(before: string): Promise<void> {
  for (let i = 0; ; i++) {
    const leftovers = existsSync(ingest()) ? readdirSync(ingest()) : [];
    if (leftovers.length === 0 || i === 200) break;
    await sleep(100);
  }
  assert.equal(images(), before);
  await assertStoreInvariants(join(box.dir, "graph"), {
    allowLiveLeases: TEST_MODE === "daemon",
    context: "after an interrupted command",
  });
}

/** Exactly one line on stderr, matching `pattern`. */
function oneLine(stderr: string, pattern: RegExp): void {
  const lines = stderr.trimEnd().split("\n");
  assert.equal(lines.length, 1, JSON.stringify(stderr));
  assert.match(lines[0] as string, pattern);
}

describe(`isula load and import stop on SIGINT and SIGTERM (${TEST_MODE} mode)`, () => {
  test("SIGINT cancels a load of a 256 MiB layer: exit 130, store unchanged", async () => {
    const before = images();
    const started = performance.now();
    const { child, done } = start(["load", "-i", bigArchive]);
    await untilUnpacking(child);
    child.kill("SIGINT");
    const r = await done;
    console.log(`load interrupted after ${Math.round(performance.now() - started)} ms`);
    assert.equal(r.code, 130, r.stderr);
    assert.equal(r.stdout, "");
    oneLine(r.stderr, /^Load image from ".*big\.tar" cancelled by SIGINT$/);
    await assertUnchanged(before);
    // The same archive loads when left alone: the cancel left nothing in its way.
    const again = isula(box, ["load", "-i", bigArchive]);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(isula(box, ["rmi", "big:1"]).code, 0);
  });

  test("SIGTERM cancels an import of a 256 MiB tarball: exit 143, store unchanged", async () => {
    const before = images();
    const { child, done } = start(["import", bigTar, "imported:1"]);
    await untilUnpacking(child);
    child.kill("SIGTERM");
    const r = await done;
    assert.equal(r.code, 143, r.stderr);
    assert.equal(r.stdout, "");
    oneLine(r.stderr, /^Import tarball ".*rootfs\.tar" to "imported:1" cancelled by SIGTERM$/);
    await assertUnchanged(before);
  });

  test("SIGINT cancels an import reading a slow stdin: exit 130, store unchanged", async () => {
    const before = images();
    const { child, done } = start(["import", "-", "slow:1"], "pipe");
    // Half a tar, and then nothing: the import waits for the rest.
    child.stdin?.write(buildTar([{ name: "a", body: "x".repeat(4096) }]).subarray(0, 2048));
    await sleep(1000);
    assert.equal(child.exitCode, null, "the import should still be waiting for stdin");
    child.kill("SIGINT");
    const r = await done;
    child.stdin?.destroy();
    assert.equal(r.code, 130, r.stderr);
    oneLine(r.stderr, /^Import tarball "-" to "slow:1" cancelled by SIGINT$/);
    await assertUnchanged(before);
  });
});
