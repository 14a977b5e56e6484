import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { describe, it } from "node:test";
import type { ImageStore } from "../image/image-store.ts";
import { commitFake, fakeChain, fakeImage, useTempStore } from "../image/testing/fixtures.ts";
import { verifyStore } from "../image/verify-store.ts";
import { pruneImages } from "./prune-images.ts";

describe("pruneImages", () => {
  let store: ImageStore;
  useTempStore((s) => {
    store = s;
  });

  /** base (tagged), child on base (dangling), lone (dangling, digest name only). */
  function fill() {
    const baseLayers = fakeChain(["base"]);
    const childLayers = fakeChain(["base", "child"]);
    const loneLayers = fakeChain(["lone"]);
    const base = commitFake(store, fakeImage(baseLayers, { seed: "b" }), ["base:1"]);
    const child = commitFake(store, fakeImage(childLayers, { seed: "c" }));
    const lone = commitFake(store, fakeImage(loneLayers, { seed: "l" }), [
      `lone@sha256:${"1".repeat(64)}`,
    ]);
    return { base, child, lone, childLayers, loneLayers };
  }

  it("deletes only dangling images and counts only the layers it freed", async () => {
    const { base, child, lone, childLayers, loneLayers } = fill();
    const r = pruneImages(store, false);

    const deleted = r.items
      .filter((i) => "deleted" in i)
      .map((i) => (i as { deleted: string }).deleted);
    assert.deepEqual(deleted.sort(), [child.id, lone.id].sort());
    assert.deepEqual(
      r.items.filter((i) => "untagged" in i),
      [{ untagged: `lone@sha256:${"1".repeat(64)}` }],
    );
    // The child's own layer and the lone layer go (dir + blob); the shared base layer stays.
    const child2 = childLayers[1]?.record;
    const lone1 = loneLayers[0]?.record;
    assert.ok(child2 && lone1);
    assert.equal(r.reclaimed, child2.diffSize + child2.size + lone1.diffSize + lone1.size);
    assert.deepEqual(
      store.listImages().map((i) => i.id),
      [base.id],
    );
    assert.ok(existsSync(store.layerDir(base.topLayer as string)));
    assert.deepEqual(await verifyStore(store), []);
  });

  it("deletes every image with all, and reports each name before its image", async () => {
    const { base } = fill();
    const r = pruneImages(store, true);
    assert.equal(store.listImages().length, 0);
    const i = r.items.findIndex((x) => "untagged" in x && x.untagged === "base:1");
    assert.deepEqual(r.items[i + 1], { deleted: base.id });
    assert.equal(store.listLayers().length, 0);
    assert.ok(r.reclaimed > 0);
    assert.deepEqual(await verifyStore(store), []);
  });

  it("deletes nothing and reclaims 0 when nothing is dangling", () => {
    commitFake(store, fakeImage(fakeChain(["x"])), ["x:1"]);
    assert.deepEqual(pruneImages(store, false), { items: [], reclaimed: 0 });
    assert.equal(store.listImages().length, 1);
  });
});
