import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { ingestEntryName } from "../content/ingest.ts";
import { currentProcess } from "../content/process-identity.ts";
import { sha256Digest } from "../digest/digest.ts";
import { WHITEOUT_PROBE_PREFIX } from "../layer/types.ts";
import { type ImageStore, storeContext } from "./image-store.ts";
import { commitFake, fakeChain, fakeImage, useTempStore } from "./testing/fixtures.ts";
import { verifyStore } from "./verify-store.ts";

/** The pid of a process that has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ["-e", ""]);
  assert.ok(r.pid);
  return r.pid;
}

describe("ImageStore.open cleanup", () => {
  let store: ImageStore;
  const { reopen } = useTempStore((s) => {
    store = s;
  });

  it("removes ingest entries of dead or reused pids and keeps those of live processes", () => {
    const ingest = join(store.root, "ingest");
    const self = currentProcess();
    const dead = ingestEntryName({ pid: deadPid(), startTime: "42" }, "t.0", "layer");
    const reused = ingestEntryName({ pid: self.pid, startTime: "1" }, "t.1", "blob");
    const live = ingestEntryName(self, "t.2", "blob");
    mkdirSync(join(ingest, dead, "etc"), { recursive: true });
    writeFileSync(join(ingest, dead, "etc", "f"), "x");
    writeFileSync(join(ingest, reused), "x");
    writeFileSync(join(ingest, live), "x");
    writeFileSync(join(ingest, "not-ours"), "x");

    reopen();

    assert.deepEqual(readdirSync(ingest).sort(), [live, "not-ours"].sort());
  });

  it("removes trash entries whose thing no record wants", () => {
    const trash = join(store.root, "trash");
    mkdirSync(join(trash, `layer-${"a".repeat(64)}.0a1b`, "diff"), { recursive: true });
    writeFileSync(join(trash, `blob-${"b".repeat(64)}.0c`), "x");
    writeFileSync(join(trash, "junk"), "x");
    reopen();
    assert.deepEqual(readdirSync(trash), []);
  });

  it("restores what a delete that died before COMMIT had moved to the trash", async () => {
    const img = fakeImage(fakeChain(["base", "top"]));
    commitFake(store, img, ["x:1"]);
    const top = img.layers[1]?.record;
    assert.ok(top);
    // What deleteImage does inside its transaction, with the COMMIT never happening.
    const { trash } = storeContext(store);
    trash.moveIn(join(store.root, "overlay", top.id), { kind: "layer", key: top.id });
    trash.moveIn(store.blobPath(top.digest), { kind: "blob", key: top.digest.slice(7) });
    trash.moveIn(store.blobPath(`sha256:${img.id}`), { kind: "blob", key: img.id });
    assert.notDeepEqual(await verifyStore(store), []);

    reopen();

    assert.deepEqual(await verifyStore(store), []);
    assert.deepEqual(readdirSync(join(store.root, "trash")), []);
  });

  it("after a writer died, collects layer dirs and blobs that no record names", async () => {
    commitFake(store, fakeImage(fakeChain(["kept"])), ["k:1"]);
    // A commit that renamed its files in and died before COMMIT: files, a lease, no records.
    const orphanLayer = "c".repeat(64);
    mkdirSync(join(store.root, "overlay", orphanLayer, "diff"), { recursive: true });
    const blob = Buffer.from("orphan");
    writeFileSync(store.blobPath(sha256Digest(blob)), blob);

    reopen(); // no dead writer on record: open stays cheap and does not scan
    assert.ok(existsSync(join(store.root, "overlay", orphanLayer)));

    storeContext(store).db.leases.insert({
      id: "crashed",
      pid: deadPid(),
      startTime: "7",
      created: "",
    });
    reopen();

    assert.equal(existsSync(join(store.root, "overlay", orphanLayer)), false);
    assert.equal(existsSync(store.blobPath(sha256Digest(blob))), false);
    assert.deepEqual(storeContext(store).db.leases.list(), []);
    assert.deepEqual(await verifyStore(store), []);
  });

  it("removes the whiteout-probe folder of a process killed mid-probe, not a live one's", () => {
    const dead = `${WHITEOUT_PROBE_PREFIX}${deadPid()}-abc123`;
    const live = `${WHITEOUT_PROBE_PREFIX}${process.pid}-def456`;
    mkdirSync(join(store.root, dead));
    mkdirSync(join(store.root, live));

    reopen();

    assert.equal(existsSync(join(store.root, dead)), false);
    assert.equal(existsSync(join(store.root, live)), true);
  });

  it("a commit finds a stale directory of an uncommitted layer and replaces it", async () => {
    const img = fakeImage(fakeChain(["a"]));
    const id = img.layers[0]?.record.id ?? "";
    mkdirSync(join(store.root, "overlay", id, "diff", "stale"), { recursive: true });
    commitFake(store, img);
    assert.deepEqual(readdirSync(store.layerDir(id)), ["etc"]);
    assert.deepEqual(readdirSync(join(store.root, "trash")), []);
    assert.deepEqual(await verifyStore(store), []);
  });
});
