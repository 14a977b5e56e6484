import assert from "node:assert/strict";
import { existsSync, readdirSync, statSync } from "node:fs";
import { describe, it } from "node:test";
import { sha256Digest } from "../digest/digest.ts";
import { ImageError } from "../errors.ts";
import { type ImageStore, storeContext } from "./image-store.ts";
import { commitFake, fakeChain, fakeImage, stageLayers, useTempStore } from "./testing/fixtures.ts";
import type { Lease, NewLayer } from "./types.ts";
import { verifyStore } from "./verify-store.ts";

const kind = (k: string) => (err: unknown) => err instanceof ImageError && err.kind === k;

describe("ImageStore", () => {
  let store: ImageStore;
  useTempStore((s) => {
    store = s;
  });

  it("open() creates the layout with mode 0700 and a 0600 database", () => {
    for (const dir of ["", "/blobs/sha256", "/ingest", "/overlay", "/trash"]) {
      assert.equal(statSync(`${store.root}${dir}`).mode & 0o777, 0o700, dir);
    }
    assert.equal(statSync(`${store.root}/metadata.db`).mode & 0o777, 0o600);
  });

  it("commitImage stores layers, blobs and the record with derived fields", async () => {
    const img = fakeImage(fakeChain(["base", "app"]), {
      created: "2023-01-02T03:04:05.5Z",
      labels: { team: "x" },
    });
    const rec = commitFake(store, img, ["app:1.0", "app:latest", "app:1.0"]);

    assert.equal(rec.id, img.id);
    assert.deepEqual(rec.names, ["app:1.0", "app:latest"]);
    assert.equal(rec.topLayer, img.layers[1]?.record.id);
    assert.equal(rec.digest, sha256Digest(img.manifest));
    assert.equal(rec.created, "2023-01-02T03:04:05.5Z");
    assert.deepEqual(rec.labels, { team: "x" });
    assert.match(rec.loaded, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
    const diff = img.layers.reduce((n, l) => n + l.record.diffSize, 0);
    assert.equal(rec.size, img.config.length + img.manifest.length + diff);
    assert.deepEqual(store.readBlob(`sha256:${img.id}`), img.config);
    assert.deepEqual(
      store.imageLayers(rec).map((l) => l.id),
      img.layers.map((l) => l.record.id),
    );
    for (const l of img.layers) assert.ok(existsSync(`${store.layerDir(l.record.id)}/etc/content`));
    assert.deepEqual(await verifyStore(store), []);
  });

  it("commitImage releases the lease and leaves the ingest area empty", async () => {
    const img = fakeImage(fakeChain(["a"]));
    const lease = store.lease();
    store.commitImage({
      lease,
      layers: stageLayers(lease, img.layers),
      config: img.config,
      manifest: img.manifest,
      manifestMediaType: "m",
      names: [],
    });
    assert.throws(() => lease.hold(img.layers[0]?.record.id ?? ""), kind("FailedPrecondition"));
    await lease.release(); // idempotent
    assert.deepEqual(await verifyStore(store), []);
    assert.deepEqual(readdirSync(`${store.root}/ingest`), []);
  });

  it("lookups find by ID, exact name, unique prefix and digest", () => {
    const a = commitFake(store, fakeImage(fakeChain(["base"]), { seed: "a" }), ["r:a"]);
    const b = commitFake(store, fakeImage(fakeChain(["base"]), { seed: "b" }), ["r:b"]);
    assert.equal(store.getImage(a.id)?.id, a.id);
    assert.equal(store.getImage(a.id.slice(0, 63)), undefined);
    assert.equal(store.findByName("r:a")?.id, a.id);
    assert.equal(store.findByName("r"), undefined);
    assert.equal(store.findByIdPrefix(a.id.slice(0, 12))?.id, a.id);
    assert.equal(store.findByIdPrefix(b.id)?.id, b.id);
    assert.equal(store.findByIdPrefix(a.id.slice(0, 2)), undefined);
    assert.equal(store.findByIdPrefix(a.id.slice(0, 12).toUpperCase()), undefined);
    assert.deepEqual(
      store.findByDigest(a.digest).map((r) => r.id),
      [a.id],
    );
    assert.deepEqual(
      store
        .listImages()
        .map((r) => r.id)
        .sort(),
      [a.id, b.id].sort(),
    );
  });

  it("findByIdPrefix treats an ambiguous prefix as not found", () => {
    const { db } = storeContext(store);
    const row = commitFake(store, fakeImage([]), []);
    for (const id of [`abc1${"0".repeat(60)}`, `abc2${"0".repeat(60)}`]) {
      db.images.insert({ ...row, id });
    }
    assert.equal(store.findByIdPrefix("abc"), undefined);
    assert.equal(store.findByIdPrefix("abc1")?.id, `abc1${"0".repeat(60)}`);
    assert.equal(store.findByIdPrefix("abd"), undefined);
  });

  it("addName moves a name, leaving the old image dangling", () => {
    const a = commitFake(store, fakeImage(fakeChain(["a"])), ["busybox:latest"]);
    const b = commitFake(store, fakeImage(fakeChain(["b"])), ["busybox:new"]);
    store.addName(b.id, "busybox:latest");
    assert.deepEqual(store.getImage(a.id)?.names, []);
    assert.deepEqual(store.getImage(b.id)?.names, ["busybox:new", "busybox:latest"]);
    assert.throws(() => store.addName("0".repeat(64), "x:y"), kind("NotFound"));
  });

  it("a commit that names an image moves the name off the image holding it", () => {
    const old = commitFake(store, fakeImage(fakeChain(["a"]), { seed: "1" }), ["app:latest"]);
    const neu = commitFake(store, fakeImage(fakeChain(["a"]), { seed: "2" }), ["app:latest"]);
    assert.deepEqual(store.getImage(old.id)?.names, []);
    assert.equal(store.findByName("app:latest")?.id, neu.id);
  });

  it("removeName takes only the name and throws NotFound for an unknown name", () => {
    const a = commitFake(store, fakeImage(fakeChain(["a"])), ["a:1", "a:2"]);
    store.removeName("a:1");
    assert.deepEqual(store.getImage(a.id)?.names, ["a:2"]);
    assert.throws(() => store.removeName("a:1"), kind("NotFound"));
  });

  it("removeName and deleteImage given the image as read do nothing once its names changed", async () => {
    const a = commitFake(store, fakeImage(fakeChain(["a"])), ["a:1", "a:2"]);
    const seen = store.getImage(a.id) as NonNullable<ReturnType<ImageStore["getImage"]>>;
    // Another process removes a:2 after `seen` was read: untagging a:1 would leave no tag.
    store.removeName("a:2");
    assert.equal(store.removeName("a:1", seen), false);
    assert.deepEqual(store.getImage(a.id)?.names, ["a:1"]);
    // A reading that does not hold the name (it moved between two reads) removes nothing.
    assert.equal(store.removeName("a:1", { id: a.id, names: [] }), false);
    // And one gives it a new name: deleting on the old reading would take that name with it.
    store.addName(a.id, "mine:1");
    const read = store.getImage(a.id) as typeof seen;
    store.addName(a.id, "mine:2");
    assert.equal(store.deleteImage(a.id, read), undefined);
    assert.deepEqual(store.getImage(a.id)?.names, ["a:1", "mine:1", "mine:2"]);
    // Read again, both go through; a vanished image is "changed" too, not an error.
    const now = store.getImage(a.id) as typeof seen;
    assert.equal(store.removeName("mine:2", now), true);
    const last = store.getImage(a.id) as typeof seen;
    assert.deepEqual(store.deleteImage(a.id, last)?.removedLayers.length, 1);
    assert.equal(store.getImage(a.id), undefined);
    assert.equal(store.deleteImage(a.id, last), undefined);
    assert.deepEqual(await verifyStore(store), []);
  });

  it("committing a stored image again keeps its record and adds names", () => {
    const img = fakeImage(fakeChain(["a", "b"]));
    const first = commitFake(store, img, ["x:1"]);
    const again = commitFake(store, img, ["x:2"]);
    assert.equal(again.loaded, first.loaded);
    assert.deepEqual(again.names, ["x:1", "x:2"]);
    assert.equal(store.listLayers().length, 2);
  });

  it("commitImage rejects a broken chain, diffIDs unlike the config, a foreign temp path", async () => {
    const img = fakeImage(fakeChain(["a", "b"]));
    const commit = (layers: NewLayer[], lease: Lease) =>
      store.commitImage({
        lease,
        layers,
        config: img.config,
        manifest: img.manifest,
        manifestMediaType: "m",
        names: [],
      });

    const l1 = store.lease();
    const broken = stageLayers(l1, fakeChain(["a", "b"]));
    if (broken[1]) broken[1].record.parent = "f".repeat(64);
    assert.throws(() => commit(broken, l1), kind("InvalidArgument"));

    const l2 = store.lease();
    assert.throws(() => commit(stageLayers(l2, fakeChain(["a"])), l2), kind("InvalidArgument"));

    const l3 = store.lease();
    const [layer] = fakeChain(["a"]);
    const outside = [{ record: layer?.record, tempDir: "/tmp", tempBlob: "/tmp/x" }] as NewLayer[];
    assert.throws(() => commit(outside, l3), kind("InvalidArgument"));

    assert.deepEqual(store.listImages(), []);
    assert.deepEqual(readdirSync(`${store.root}/ingest`), []);
    assert.deepEqual(await verifyStore(store), []);
  });

  it("a stored ID with another top layer is FailedPrecondition and moves no file", async () => {
    const config = Buffer.from('{"created":"x"}'); // no rootfs: the diffID check stays out
    const commit = (contents: string[]) => {
      const lease = store.lease();
      return store.commitImage({
        lease,
        layers: stageLayers(lease, fakeChain(contents)),
        config,
        manifest: Buffer.from("{}"),
        manifestMediaType: "m",
        names: ["n:1"],
      });
    };
    commit(["a"]);
    assert.throws(() => commit(["a", "new"]), kind("FailedPrecondition"));
    assert.equal(store.listLayers().length, 1);
    assert.deepEqual(readdirSync(`${store.root}/ingest`), []);
    assert.deepEqual(await verifyStore(store), []);
  });

  it("a layer neither stored nor given is FailedPrecondition", () => {
    const img = fakeImage(fakeChain(["a"]));
    const lease = store.lease();
    const layers = img.layers.map((l) => ({ record: l.record }));
    assert.throws(
      () =>
        store.commitImage({
          lease,
          layers,
          config: img.config,
          manifest: img.manifest,
          manifestMediaType: "m",
          names: [],
        }),
      kind("FailedPrecondition"),
    );
  });
});
