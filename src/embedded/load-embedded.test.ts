import assert from "node:assert/strict";
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  symlinkSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { listTree } from "../../test/helpers/store-snapshot.ts";
import { ImageError } from "../errors.ts";
import { ImageStore, storeContext } from "../image/image-store.ts";
import { commitFake, fakeChain, fakeImage } from "../image/testing/fixtures.ts";
import { findEmbeddedByName, listEmbeddedImages, removeEmbeddedImage } from "./embedded-store.ts";
import { loadEmbeddedImage } from "./load-embedded.ts";
import { MSG } from "./messages.ts";
import { type ManifestDoc, makeImageDir, sha256Of, writeManifest } from "./testing/fixtures.ts";

describe("loadEmbeddedImage", () => {
  let root: string;
  let dir: string;
  let doc: ManifestDoc;
  let store: ImageStore;

  beforeEach(() => {
    root = realpathSync(mkdtempSync(join(tmpdir(), "embedded-load-")));
    ({ dir, doc } = makeImageDir(root));
    mkdirSync(join(root, "graph"));
    store = ImageStore.open({ graph: join(root, "graph") });
  });

  afterEach(() => {
    store.close();
    rmSync(root, { recursive: true, force: true });
  });

  const rejectsWith = async (file: string, message: string) =>
    assert.rejects(loadEmbeddedImage({ store, file }), (err: unknown) => {
      assert.ok(err instanceof ImageError);
      assert.equal(err.message, message);
      assert.equal(
        err.kind,
        message.startsWith(MSG.nameConflict) ? "AlreadyExists" : "InvalidArgument",
      );
      return true;
    });

  it("records name, ID, real path, verbatim bytes, created and the size of layers 1..n", async () => {
    const file = writeManifest(dir, doc);
    const filesBefore = listTree(store.root).filter((l) => !l.startsWith("metadata.db"));
    const { row, inserted } = await loadEmbeddedImage({ store, file });

    assert.equal(inserted, true);
    assert.equal(row.name, "test:v1");
    assert.equal(`sha256:${row.id}`, sha256Of(file));
    assert.equal(row.manifestPath, file);
    assert.deepEqual(row.manifest, readFileSync(file));
    assert.equal(row.created, "2018-03-01T15:55:44.322987811Z");
    assert.equal(row.mountString, "/");
    const squashfsBytes = ["app.img", "platform.img"].map((f) => statSync(join(dir, f)).size);
    assert.equal(
      row.size,
      squashfsBytes.reduce((a, b) => a + b, 0),
    );
    assert.deepEqual(findEmbeddedByName(store, "test:v1"), row);
    // Layers are referenced in place: nothing was copied into the store.
    assert.deepEqual(
      listTree(store.root).filter((l) => !l.startsWith("metadata.db")),
      filesBefore,
    );
  });

  it("stores nothing when cancelled before or during the checks of its layers", async () => {
    const file = writeManifest(dir, doc);
    const early = new AbortController();
    early.abort(new Error("SIGINT"));
    await assert.rejects(loadEmbeddedImage({ store, file, signal: early.signal }), /SIGINT/);
    // Aborted while the load is under way (reading the manifest or checking layers).
    const late = new AbortController();
    const loading = loadEmbeddedImage({ store, file, signal: late.signal });
    queueMicrotask(() => late.abort(new Error("SIGTERM")));
    await assert.rejects(
      loading,
      (err: Error) => err.name === "AbortError" || /SIGTERM/.test(err.message),
    );
    assert.deepEqual(listEmbeddedImages(store), []);
    assert.equal((await loadEmbeddedImage({ store, file })).inserted, true);
  });

  it("is a no-op when the same manifest is loaded again from the same path", async () => {
    const file = writeManifest(dir, doc);
    const first = await loadEmbeddedImage({ store, file });
    const again = await loadEmbeddedImage({ store, file });
    assert.equal(again.inserted, false);
    assert.deepEqual(again.row, first.row);
    assert.equal(listEmbeddedImages(store).length, 1);
  });

  it("resolves a symlinked folder to the manifest's real path, and finds layers there", async () => {
    const file = writeManifest(dir, doc);
    symlinkSync(dir, join(root, "link"));
    const { row } = await loadEmbeddedImage({ store, file: join(root, "link", "test.manifest") });
    assert.equal(row.manifestPath, file);
    // The same manifest through its real path is the same image: a no-op.
    assert.equal((await loadEmbeddedImage({ store, file })).inserted, false);
  });

  it("takes the .sgn and the layers beside a symlinked manifest's target", async () => {
    writeManifest(dir, doc);
    mkdirSync(join(root, "other"));
    symlinkSync(join(dir, "test.manifest"), join(root, "other", "app.manifest"));
    const { row } = await loadEmbeddedImage({ store, file: join(root, "other", "app.manifest") });
    assert.equal(row.manifestPath, join(dir, "test.manifest"));
  });

  it("accepts a .sgn that is a symlink", async () => {
    const file = writeManifest(dir, doc, { base: "signed", sgn: false });
    writeManifest(dir, doc, { base: "target" });
    symlinkSync(join(dir, "target.sgn"), join(dir, "signed.sgn"));
    assert.equal((await loadEmbeddedImage({ store, file })).row.manifestPath, file);
  });

  it("refuses the same manifest from a copied folder: the name is conflicted", async () => {
    await loadEmbeddedImage({ store, file: writeManifest(dir, doc) });
    cpSync(dir, join(root, "img2"), { recursive: true });
    await rejectsWith(join(root, "img2", "test.manifest"), MSG.nameConflict);
  });

  it("loads again after the record was removed, and the layer files stayed", async () => {
    const file = writeManifest(dir, doc);
    await loadEmbeddedImage({ store, file });
    assert.equal(removeEmbeddedImage(store, "test:v1"), true);
    assert.ok(statSync(join(dir, "app.img")).isFile());
    assert.equal((await loadEmbeddedImage({ store, file })).inserted, true);
  });

  it("stores the normalised name", async () => {
    const file = writeManifest(dir, { ...doc, imageName: "docker.io/library/test:v1" });
    assert.equal((await loadEmbeddedImage({ store, file })).row.name, "test:v1");
  });

  it("refuses a docker image taking an embedded image's name, by tag or by load", async () => {
    await loadEmbeddedImage({ store, file: writeManifest(dir, doc) });
    const image = commitFake(store, fakeImage(fakeChain(["x"])), ["busybox:latest"]);
    const held = /image name "test:v1" is held by an embedded image/;
    assert.throws(() => store.addName(image.id, "test:v1"), held);
    assert.throws(() => commitFake(store, fakeImage(fakeChain(["y"])), ["test:v1"]), held);
    assert.deepEqual(store.findByName("busybox:latest")?.names, ["busybox:latest"]);
  });

  it("keeps the names apart in the database itself (triggers)", async () => {
    await loadEmbeddedImage({ store, file: writeManifest(dir, doc) });
    const image = commitFake(store, fakeImage(fakeChain(["x"])), ["busybox:latest"]);
    const { db } = storeContext(store);
    assert.throws(() => db.images.putName("test:v1", image.id), /held by an embedded image/);
    const row = findEmbeddedByName(store, "test:v1");
    assert.ok(row);
    assert.throws(
      () => db.embedded.insert({ ...row, name: "busybox:latest" }),
      /held by an OCI image/,
    );
  });
});
