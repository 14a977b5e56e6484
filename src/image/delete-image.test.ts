import assert from "node:assert/strict";
import { existsSync, readdirSync } from "node:fs";
import { describe, it } from "node:test";
import { ImageError } from "../errors.ts";
import { type ImageStore, storeContext } from "./image-store.ts";
import { commitFake, fakeChain, fakeImage, useTempStore } from "./testing/fixtures.ts";
import { verifyStore } from "./verify-store.ts";

describe("ImageStore.deleteImage", () => {
  let store: ImageStore;
  useTempStore((s) => {
    store = s;
  });

  it("keeps shared base layers and removes the unshared ones with their blobs", async () => {
    const a = fakeImage(fakeChain(["base", "mid", "a"]));
    const b = fakeImage(fakeChain(["base", "mid", "b"]));
    commitFake(store, a, ["a:1"]);
    commitFake(store, b, ["b:1"]);
    const [base, mid, top] = a.layers.map((l) => l.record);
    assert.ok(base && mid && top);

    const { removedLayers } = store.deleteImage(a.id);

    assert.deepEqual(removedLayers, [top.id]);
    assert.equal(store.getLayer(top.id), undefined);
    assert.equal(existsSync(`${store.root}/overlay/${top.id}`), false);
    assert.equal(existsSync(store.blobPath(top.digest)), false);
    assert.equal(existsSync(store.blobPath(`sha256:${a.id}`)), false);
    assert.equal(existsSync(store.blobPath(`sha256:${b.id}`)), true);
    for (const l of [base, mid]) assert.ok(existsSync(store.layerDir(l.id)));
    assert.equal(store.findByName("a:1"), undefined);
    assert.deepEqual(readdirSync(`${store.root}/trash`), []);
    assert.deepEqual(await verifyStore(store), []);

    assert.deepEqual(store.deleteImage(b.id).removedLayers.length, 3);
    assert.deepEqual(readdirSync(`${store.root}/overlay`), []);
    assert.deepEqual(readdirSync(`${store.root}/blobs/sha256`), []);
    assert.deepEqual(await verifyStore(store), []);
  });

  it("stops at a layer that is another image's top layer", () => {
    const base = fakeImage(fakeChain(["base"]));
    const app = fakeImage(fakeChain(["base", "app"]));
    commitFake(store, base);
    commitFake(store, app);
    assert.deepEqual(store.deleteImage(app.id).removedLayers, [app.layers[1]?.record.id]);
    assert.ok(store.getLayer(base.layers[0]?.record.id ?? ""));
  });

  it("keeps a blob another image still references (same manifest)", async () => {
    const one = fakeImage(fakeChain(["x"]), { seed: "1" });
    const two = fakeImage(fakeChain(["x"]), { seed: "2" });
    const manifest = one.manifest; // two images, one manifest digest (as docker-archive loads do)
    commitFake(store, one);
    commitFake(store, { ...two, manifest });
    store.deleteImage(one.id);
    assert.ok(existsSync(store.blobPath(store.getImage(two.id)?.digest ?? "sha256:")));
    assert.deepEqual(await verifyStore(store), []);
  });

  it("spares a layer held by a live lease, not one held by a dead process", () => {
    const img = fakeImage(fakeChain(["base", "top"]));
    commitFake(store, img);
    const [base, top] = img.layers.map((l) => l.record.id) as [string, string];
    const lease = store.lease();
    assert.ok(lease.hold(base));
    assert.deepEqual(store.deleteImage(img.id).removedLayers, [top]);
    assert.ok(store.getLayer(base));

    // The same hold, recorded for a process that no longer runs.
    const { db } = storeContext(store);
    commitFake(store, img);
    db.leases.insert({ id: "dead", pid: 2 ** 22 + 7, startTime: "1", created: "" });
    db.leases.hold("dead", top);
    void lease.release();
    assert.deepEqual(store.deleteImage(img.id).removedLayers, [top, base]);
  });

  it("throws NotFound for an unknown image", () => {
    assert.throws(
      () => store.deleteImage("0".repeat(64)),
      (err: unknown) => err instanceof ImageError && err.kind === "NotFound",
    );
  });
});
