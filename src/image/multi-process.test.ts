import assert from "node:assert/strict";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { ImageStore } from "./image-store.ts";
import { spawnChild } from "./testing/child-process.ts";
import { commitFake, fakeChain, fakeImage, useTempStore } from "./testing/fixtures.ts";
import { verifyStore } from "./verify-store.ts";

describe("ImageStore across processes", () => {
  let graph: string;
  let store: ImageStore;
  useTempStore((s, g) => {
    store = s;
    graph = g;
  });

  it("a layer held by another process's lease survives deleteImage, and so do its temp files", async () => {
    const img = fakeImage(fakeChain(["base", "top"]));
    commitFake(store, img, ["x:1"]);
    const [base, top] = img.layers.map((l) => l.record.id) as [string, string];

    const child = spawnChild("child-hold.ts", [graph, top]);
    const { held, temp } = JSON.parse(await child.nextLine()) as { held: boolean; temp: string };
    assert.equal(held, true);

    ImageStore.open({ graph }).close(); // another opener's cleanup must spare the live lease
    assert.deepEqual(store.deleteImage(img.id).removedLayers, []);
    assert.ok(existsSync(store.layerDir(top)) && existsSync(store.layerDir(base)));
    assert.ok(existsSync(temp));

    child.send("release");
    await child.exited();
    assert.equal(existsSync(temp), false);
    commitFake(store, img, ["x:1"]);
    assert.deepEqual(store.deleteImage(img.id).removedLayers, [top, base]);
    assert.deepEqual(await verifyStore(store), []);
  });

  it("a killed process's lease stops pinning, and its ingest files go at the next open", async () => {
    const img = fakeImage(fakeChain(["base"]));
    commitFake(store, img);
    const layer = img.layers[0]?.record.id ?? "";

    const child = spawnChild("child-hold.ts", [graph, layer]);
    const { temp } = JSON.parse(await child.nextLine()) as { temp: string };
    child.proc.kill("SIGKILL");
    await child.exited().catch(() => {});

    store.close();
    store = ImageStore.open({ graph });
    assert.equal(existsSync(temp), false);
    assert.deepEqual(store.deleteImage(img.id).removedLayers, [layer]);
    assert.deepEqual(await verifyStore(store), []);
  });

  it("two processes committing the same layers at once both succeed and leave one copy", async () => {
    for (let round = 0; round < 2; round++) {
      const children = ["a", "b"].map((seed) =>
        spawnChild("child-commit.ts", [
          graph,
          JSON.stringify({ contents: ["base", `r${round}`], seed, names: [`img:${seed}${round}`] }),
        ]),
      );
      const staged: Record<string, number>[] = [];
      for (const c of children) staged.push(JSON.parse(await c.nextLine()).inodes);
      for (const c of children) c.send("go");
      const results = await Promise.all(children.map(async (c) => JSON.parse(await c.nextLine())));
      await Promise.all(children.map((c) => c.exited()));
      assert.equal(results.length, 2);

      // Both staged their own copy of every new layer; the store kept exactly one of them.
      const top = fakeChain(["base", `r${round}`]).map((l) => l.record.id);
      for (const id of round === 0 ? top : top.slice(1)) {
        const copies = staged.map((inodes) => inodes[id]);
        assert.equal(copies.filter((ino) => ino !== undefined).length, 2);
        assert.ok(copies.includes(statSync(store.layerDir(id)).ino));
      }
    }

    const images = store.listImages();
    assert.equal(images.length, 4);
    assert.equal(store.listLayers().length, 3); // base + r0, r1
    assert.equal(readdirSync(join(store.root, "overlay")).length, 3);
    assert.deepEqual(readdirSync(join(store.root, "ingest")), []);
    assert.deepEqual(readdirSync(join(store.root, "trash")), []);
    assert.deepEqual(await verifyStore(store), []);
  });
});
