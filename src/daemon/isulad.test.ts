// The `isulad` process end to end: `./bin/isulad` (run `npm run build` first) with the real gRPC
// server, on temp folders. Covers the lock, pid file, socket, signals, crash recovery, the
// image-layer-check, and logging through the real `isula -H`.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { writeDockerArchive } from "../../test/cli/harness.ts";
import { ImageStore } from "../image/image-store.ts";
import { commitFake, fakeChain, fakeImage } from "../image/testing/fixtures.ts";
import { verifyStore } from "../image/verify-store.ts";
import { openLocalService } from "../service/open.ts";
import {
  type DaemonDirs,
  daemonArgs,
  daemonDirs,
  ISULA_BIN,
  killAll,
  readLog,
  spawnDaemon,
  startReady,
} from "./isulad-testing.ts";

/** Seeds the graph with images over distinct layers; returns their IDs. */
function seed(graph: string, count: number): string[] {
  const store = ImageStore.open({ graph });
  const ids = Array.from({ length: count }, (_, i) => {
    const image = fakeImage(fakeChain([`base ${i}`, `app ${i}`]), { seed: String(i) });
    return commitFake(store, image, [`app${i}:latest`]).id;
  });
  store.close();
  return ids;
}

/**
 * Loads `count` images with real layers (`app<i>:latest`, whose top layer holds `app.txt`)
 * through the local service; returns their IDs.
 */
async function seedLoaded(dirs: DaemonDirs, count: number): Promise<string[]> {
  const config = join(dirs.root, "seed-daemon.json");
  writeFileSync(config, JSON.stringify({ graph: dirs.graph, state: dirs.state }));
  const service = await openLocalService({ ISULAD_CONFIG: config, HOME: dirs.root });
  try {
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const file = join(dirs.root, `seed-${i}.tar`);
      const archive = await writeDockerArchive(file, {
        repoTags: [`app${i}:latest`],
        seed: `${i}`,
      });
      await service.load({ file });
      ids.push(archive.id);
    }
    return ids;
  } finally {
    await service.close();
  }
}

async function storeProblems(graph: string): Promise<{ problems: string[]; ids: string[] }> {
  const store = ImageStore.open({ graph });
  try {
    return { problems: await verifyStore(store), ids: store.listImages().map((i) => i.id) };
  } finally {
    store.close();
  }
}

function isula(dirs: DaemonDirs, args: string[]) {
  const env = { ...process.env, ISULAD_HOST: `unix://${dirs.socket}` };
  return spawnSync(ISULA_BIN, args, { encoding: "utf8", env });
}

after(killAll);

const needCheck = (d: DaemonDirs) => join(d.graph, "storage", "NEED_CHECK");

describe("isulad lifecycle", () => {
  test("start creates pid file, 0660 socket and NEED_CHECK; SIGTERM removes them, store consistent", async (t) => {
    const dirs = daemonDirs();
    t.after(dirs.cleanup);
    const [id] = seed(dirs.graph, 1);
    const d = await startReady(dirs);
    assert.equal(readFileSync(dirs.pidfile, "utf8").trim(), String(d.child.pid));
    const sock = statSync(dirs.socket);
    assert.ok(sock.isSocket());
    assert.equal(sock.mode & 0o777, 0o660);
    assert.ok(existsSync(needCheck(dirs)));
    const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${d.child.pid}/status`, "utf8"));
    t.diagnostic(`idle RSS ${Number(rss?.[1]) / 1024} MB`);

    const listed = isula(dirs, ["images", "-q"]);
    assert.equal(listed.status, 0, listed.stderr);
    assert.equal(listed.stdout.trim(), id?.slice(0, 12));

    d.child.kill("SIGTERM");
    assert.equal(await d.exited, 0);
    assert.ok(!existsSync(dirs.socket), "socket removed");
    assert.ok(!existsSync(dirs.pidfile), "pid file removed");
    assert.ok(!existsSync(needCheck(dirs)), "NEED_CHECK removed on clean shutdown");
    const after = await storeProblems(dirs.graph);
    assert.deepEqual(after.problems, []);
    assert.deepEqual(after.ids, [id]);
    assert.match(readLog(dirs), /INFO {2}isulad: isulad stopped cleanly/);
  });

  test("a second daemon on the same graph is refused, and so is one on the same state", async (t) => {
    const dirs = daemonDirs();
    t.after(dirs.cleanup);
    const first = await startReady(dirs);

    const other = daemonDirs();
    t.after(other.cleanup);
    const sameGraph = spawnDaemon(daemonArgs(other, ["-g", dirs.graph]));
    assert.equal(await sameGraph.exited, 1);
    assert.match(sameGraph.stderr(), /another isulad \(pid \d+\) is running on graph/);
    assert.ok(!existsSync(other.socket), "the refused daemon created no socket");

    const sameState = spawnDaemon(daemonArgs(other, ["-S", dirs.state, "-g", other.graph]));
    assert.equal(await sameState.exited, 1);
    assert.match(sameState.stderr(), /another isulad \(pid \d+\) is running on state/);
    assert.ok(existsSync(dirs.socket) && existsSync(dirs.pidfile), "the first one is untouched");

    first.child.kill("SIGINT");
    assert.equal(await first.exited, 0);
  });

  test("after SIGKILL a restart removes ingest leftovers and the stale socket", async (t) => {
    const dirs = daemonDirs();
    t.after(dirs.cleanup);
    seed(dirs.graph, 1);
    const d = await startReady(dirs);
    d.child.kill("SIGKILL");
    await d.exited;
    assert.ok(existsSync(dirs.socket), "SIGKILL leaves the socket");
    assert.ok(existsSync(needCheck(dirs)), "SIGKILL leaves NEED_CHECK");
    const leftover = join(dirs.graph, "storage", "ingest", `${d.child.pid}-1-pull-layer`);
    mkdirSync(join(leftover, "etc"), { recursive: true });
    writeFileSync(join(leftover, "etc", "half-written"), "x");

    const again = await startReady(dirs);
    assert.ok(!existsSync(leftover), "ingest leftover of the dead daemon removed");
    assert.match(readLog(dirs), /WARN {2}isulad: previous isulad did not shut down cleanly/);
    assert.equal(isula(dirs, ["images"]).status, 0);
    again.child.kill("SIGTERM");
    assert.equal(await again.exited, 0);
    assert.deepEqual((await storeProblems(dirs.graph)).problems, []);
  });

  test("image-layer-check after an unclean shutdown removes the image whose blob was corrupted", async (t) => {
    const dirs = daemonDirs({ "image-layer-check": true });
    t.after(dirs.cleanup);
    const [good, bad] = await seedLoaded(dirs, 2);
    const d = await startReady(dirs);
    d.child.kill("SIGKILL");
    await d.exited;

    const store = ImageStore.open({ graph: dirs.graph });
    const layer = store.imageLayers(store.getImage(bad as string) ?? assert.fail())[1];
    const blob = store.blobPath(layer?.digest ?? assert.fail());
    store.close();
    const bytes = readFileSync(blob);
    bytes[0] = bytes[0] === 0x41 ? 0x42 : 0x41; // same size, other bytes
    writeFileSync(blob, bytes);

    const again = await startReady(dirs);
    const log = readLog(dirs);
    assert.match(log, new RegExp(`image-layer-check: removed image "${bad}" app1:latest: layer`));
    assert.match(log, /image-layer-check: 2 images, \d+ blobs checked, 1 removed/);
    again.child.kill("SIGTERM");
    assert.equal(await again.exited, 0);
    const after = await storeProblems(dirs.graph);
    assert.deepEqual(after.ids, [good]);
    assert.deepEqual(after.problems, []);
  });

  test("image-layer-check removes the image whose layer directory holds a changed file", async (t) => {
    const dirs = daemonDirs({ "image-layer-check": true });
    t.after(dirs.cleanup);
    const [good, bad] = await seedLoaded(dirs, 2);
    const d = await startReady(dirs);
    d.child.kill("SIGKILL");
    await d.exited;

    const store = ImageStore.open({ graph: dirs.graph });
    const top =
      store.imageLayers(store.getImage(bad as string) ?? assert.fail())[1] ?? assert.fail();
    const file = join(store.layerDir(top.id), "app.txt");
    store.close();
    const text = readFileSync(file, "utf8");
    writeFileSync(file, text.replace("app", "APP")); // same size, other bytes

    const again = await startReady(dirs);
    const log = readLog(dirs);
    assert.match(
      log,
      new RegExp(`removed image "${bad}" app1:latest: layer "${top.id}": file "app.txt" differs`),
    );
    assert.match(log, /image-layer-check: 2 images, \d+ blobs checked, 1 removed/);
    again.child.kill("SIGTERM");
    assert.equal(await again.exited, 0);
    const after = await storeProblems(dirs.graph);
    assert.deepEqual(after.ids, [good]);
    assert.deepEqual(after.problems, []);
  });

  test("without an unclean shutdown image-layer-check does not run", async (t) => {
    const dirs = daemonDirs({ "image-layer-check": true });
    t.after(dirs.cleanup);
    const d = await startReady(dirs);
    d.child.kill("SIGTERM");
    assert.equal(await d.exited, 0);
    assert.doesNotMatch(readLog(dirs), /image-layer-check/);
  });
});

describe("isulad logging", () => {
  test("-l ERROR writes no INFO lines; -l DEBUG logs each request", async (t) => {
    const quiet = daemonDirs();
    t.after(quiet.cleanup);
    const q = await startReady(quiet, ["-l", "ERROR"]);
    isula(quiet, ["images"]);
    q.child.kill("SIGTERM");
    assert.equal(await q.exited, 0);
    assert.equal(readLog(quiet), "");

    const loud = daemonDirs({ "log-level": "DEBUG" });
    t.after(loud.cleanup);
    const l = await startReady(loud);
    assert.equal(isula(loud, ["images"]).status, 0);
    l.child.kill("SIGTERM");
    assert.equal(await l.exited, 0);
    const log = readLog(loud);
    assert.match(log, /DEBUG isulad: List /);
    assert.match(log, /INFO {2}isulad: isulad started/);
    assert.doesNotMatch(log, /TRACE/);
  });
});
