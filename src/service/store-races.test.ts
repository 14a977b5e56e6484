// `rmi` and `tag` decide on the image as they read it, then write: another process may change
// the image in between (test/torture/concurrency.test.ts met each race below). Here the other
// process is simulated by a change made just before the service's write reaches the store.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { registryConfigFrom } from "../config/registry-config.ts";
import { ImageError } from "../errors.ts";
import type { ImageStore } from "../image/image-store.ts";
import { commitFake, fakeChain, fakeImage, useTempStore } from "../image/testing/fixtures.ts";
import { verifyStore } from "../image/verify-store.ts";
import { buildLocalService } from "./build-local-service.ts";

describe("LocalImageService against other writers", () => {
  let store: ImageStore;
  useTempStore((s) => {
    store = s;
  });

  const service = () =>
    buildLocalService(store, {
      certsDir: "/nonexistent/certs.d",
      authDir: "/nonexistent/auth",
      registry: registryConfigFrom({}, "daemon.json"),
    });

  /** Runs `change` once, right before the first call of `store[method]`. */
  function before(method: "removeName" | "deleteImage" | "addName", change: () => void) {
    const original = store[method].bind(store) as (...a: unknown[]) => unknown;
    let done = false;
    (store as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => {
      if (!done) {
        done = true;
        change();
      }
      return original(...args);
    };
  }

  const noSuchImage = (input: string) => (err: unknown) =>
    err instanceof ImageError &&
    err.kind === "NotFound" &&
    err.message === `No such image:${input}`;

  it("rmi of a name another process removed first says No such image", async () => {
    const a = commitFake(store, fakeImage(fakeChain(["a"])), ["a:1", "a:2"]);
    before("removeName", () => store.removeName("a:1"));
    await assert.rejects(service().remove({ name: "a:1", force: false }), noSuchImage("a:1"));
    assert.deepEqual(store.getImage(a.id)?.names, ["a:2"]);
  });

  it("rmi of the last tag keeps the image when another process tagged it meanwhile", async () => {
    const a = commitFake(store, fakeImage(fakeChain(["a"])), ["a:1"]);
    before("deleteImage", () => store.addName(a.id, "mine:1"));
    // Read again, a:1 is no longer the last tag: only the name goes.
    assert.deepEqual(await service().remove({ name: "a:1", force: false }), {
      action: "untagged",
      id: a.id,
    });
    assert.deepEqual(store.getImage(a.id)?.names, ["mine:1"]);
    assert.deepEqual(await verifyStore(store), []);
  });

  it("rmi of one of two tags deletes the image when the other went meanwhile", async () => {
    const a = commitFake(store, fakeImage(fakeChain(["a"])), ["a:1", "a:2"]);
    before("removeName", () => store.removeName("a:2"));
    // Untagging a:1 would leave a nameless image: read again, a:1 is the last tag.
    assert.deepEqual(await service().remove({ name: "a:1", force: false }), {
      action: "deleted",
      id: a.id,
    });
    assert.equal(store.getImage(a.id), undefined);
    assert.deepEqual(await verifyStore(store), []);
  });

  it("tag of an image another process deleted first says No such image", async () => {
    const a = commitFake(store, fakeImage(fakeChain(["a"])), ["a:1"]);
    before("addName", () => store.deleteImage(a.id));
    await assert.rejects(service().tag("a:1", "b:1"), noSuchImage("a:1"));
    assert.equal(store.findByName("b:1"), undefined);
  });

  it("tag follows its source name when it moved to another image meanwhile", async () => {
    const a = commitFake(store, fakeImage(fakeChain(["a"]), { seed: "a" }), ["a:1"]);
    const b = commitFake(store, fakeImage(fakeChain(["b"]), { seed: "b" }), ["b:1"]);
    before("addName", () => {
      store.addName(b.id, "a:1");
      store.deleteImage(a.id);
    });
    await service().tag("a:1", "c:1");
    assert.equal(store.findByName("c:1")?.id, b.id);
  });
});
