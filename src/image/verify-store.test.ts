import assert from "node:assert/strict";
import { renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { ImageStore, storeContext } from "./image-store.ts";
import { commitFake, fakeChain, fakeImage, tempGraph } from "./testing/fixtures.ts";
import { verifyStore } from "./verify-store.ts";

describe("verifyStore", () => {
  let cleanup: () => void;
  let store: ImageStore;
  const img = fakeImage(fakeChain(["base", "top"]), { labels: { a: "b" } });
  const [base, top] = img.layers.map((l) => l.record) as [
    (typeof img.layers)[0]["record"],
    (typeof img.layers)[0]["record"],
  ];

  beforeEach(() => {
    let graph: string;
    ({ graph, cleanup } = tempGraph());
    store = ImageStore.open({ graph });
    commitFake(store, img, ["v:1"]);
  });
  afterEach(() => {
    store.close();
    cleanup();
  });

  it("finds nothing wrong with a healthy store", async () => {
    assert.deepEqual(await verifyStore(store), []);
  });

  it("reports a blob whose bytes changed on disk", async () => {
    writeFileSync(store.blobPath(top.digest), Buffer.from("fake layer tar: toP\n"));
    const problems = await verifyStore(store);
    assert.equal(problems.length, 1, problems.join("\n"));
    assert.match(problems[0] ?? "", new RegExp(`blob "${top.digest}" hashes to`));
  });

  it("skips re-hashing blobs over rehashLimit", async () => {
    writeFileSync(store.blobPath(top.digest), Buffer.from("fake layer tar: toP\n"));
    assert.deepEqual(await verifyStore(store, { rehashLimit: 8 }), []);
  });

  it("reports a corrupted config as a wrong image ID", async () => {
    const config = store.blobPath(`sha256:${img.id}`);
    writeFileSync(config, Buffer.from(img.config.toString().replace("amd64", "arm64")));
    const problems = (await verifyStore(store)).join("\n");
    assert.match(problems, /config bytes do not hash to the image ID/);
  });

  it("reports a missing layer directory and a missing blob", async () => {
    rmSync(join(store.root, "overlay", base.id), { recursive: true });
    rmSync(store.blobPath(img.layers[1]?.record.digest ?? "sha256:"));
    const problems = (await verifyStore(store)).join("\n");
    assert.match(problems, new RegExp(`layer "${base.id}": directory .* is missing`));
    assert.match(problems, new RegExp(`layer "${top.id}": blob .* is missing`));
  });

  it("reports records that disagree: size, parent, orphan files", async () => {
    const { db } = storeContext(store);
    const image = store.getImage(img.id);
    assert.ok(image);
    db.images.delete(img.id);
    db.images.insert({ ...image, size: image.size + 1 });
    renameSync(join(store.root, "overlay", top.id), join(store.root, "overlay", "f".repeat(64)));
    const problems = (await verifyStore(store)).join("\n");
    assert.match(problems, /size \d+, expected \d+/);
    assert.match(problems, /layer directory "f{64}" has no record/);
  });
});
