import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { type ArchiveShape, ociManifest, writeArchive } from "../../test/helpers/archive-writer.ts";
import { buildImage, buildLayer, sampleImage } from "../../test/helpers/image-builder.ts";
import { listTree } from "../../test/helpers/store-snapshot.ts";
import { digestHex } from "../digest/digest.ts";
import { ImageStore } from "../image/image-store.ts";
import { MediaType } from "../oci/media-types.ts";
import { loadArchive } from "./load-archive.ts";
import type { LoadProgress } from "./prepare-layers.ts";

const root = mkdtempSync(join(tmpdir(), "load-archive-test-"));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

function freshStore(): ImageStore {
  return ImageStore.open({ graph: join(root, `graph-${n++}`) });
}

function archivePath(name: string): string {
  return join(root, `${n++}-${name}`);
}

const shapes: ArchiveShape[] = ["docker25", "docker-legacy", "skopeo", "oci"];
const compressions = ["none", "gzip", "zstd"] as const;

describe("loadArchive loads every archive shape", async () => {
  const reference = await sampleImage("gzip");
  let expectedTrees: string[][] | undefined;

  for (const shape of shapes) {
    for (const compression of compressions) {
      test(`a ${shape} archive, ${compression}, gives the same image ID and layer contents`, async () => {
        const store = freshStore();
        const file = archivePath(`${shape}.tar`);
        await writeArchive(file, [{ image: reference, repoTags: ["busybox:1.0"] }], {
          shape,
          compression,
        });
        const result = await loadArchive({ store, file });
        assert.deepEqual(result.images, [{ id: reference.id, names: ["busybox:1.0"] }]);

        const image = store.getImage(reference.id);
        assert.ok(image);
        const layers = store.imageLayers(image);
        assert.deepEqual(
          layers.map((l) => l.diffId),
          reference.layers.map((l) => l.diffId),
        );
        // Blobs are kept as they were in the archive: the gzip'd bytes.
        assert.deepEqual(
          layers.map((l) => [l.digest, l.size]),
          reference.layers.map((l) => [l.digest, l.blob.length]),
        );
        const trees = layers.map((l) => listTree(store.layerDir(l.id)));
        expectedTrees ??= trees;
        assert.deepEqual(trees, expectedTrees);
        assert.ok(trees[1]?.some((line) => line.startsWith("app/hello.txt file")));
        assert.deepEqual(listTree(join(store.root, "ingest")), []);
        store.close();
      });
    }
  }
});

describe("loadArchive manifests", () => {
  test("keeps the original manifest of OCI and Docker ≥25 archives, byte for byte", async () => {
    for (const shape of ["oci", "docker25"] as const) {
      const store = freshStore();
      const image = await sampleImage("zstd");
      const file = archivePath("orig.tar");
      await writeArchive(file, [{ image, repoTags: ["a:1"] }], { shape });
      await loadArchive({ store, file });
      const record = store.getImage(image.id);
      assert.ok(record);
      assert.deepEqual(store.readBlob(record.digest), ociManifest(image));
      assert.equal(record.manifestMediaType, MediaType.ociManifest);
      store.close();
    }
  });

  test("synthesises a Docker schema2 manifest over the blobs as found for older archives", async () => {
    const store = freshStore();
    const image = await sampleImage("gzip");
    const file = archivePath("legacy.tar");
    await writeArchive(file, [{ image, repoTags: ["a:1"] }], { shape: "docker-legacy" });
    await loadArchive({ store, file });
    const record = store.getImage(image.id);
    assert.ok(record);
    assert.equal(record.manifestMediaType, MediaType.dockerManifest);
    const manifest = JSON.parse(store.readBlob(record.digest).toString());
    assert.equal(manifest.config.digest, image.configDigest);
    assert.deepEqual(
      manifest.layers.map((l: { digest: string; size: number; mediaType: string }) => [
        l.digest,
        l.size,
        l.mediaType,
      ]),
      image.layers.map((l) => [l.digest, l.blob.length, MediaType.dockerLayerGzip]),
    );
    store.close();
  });
});

describe("loadArchive reuses stored layers", () => {
  test("a second load reads no stored layer and accepts an archive without base-layer files", async () => {
    const store = freshStore();
    const image = await sampleImage("none");
    const first = archivePath("first.tar");
    await writeArchive(first, [{ image, repoTags: ["a:1"] }], { shape: "docker-legacy" });
    await loadArchive({ store, file: first });

    // Same base layer, new top layer; the archive lacks the base layer's file altogether.
    const top = await buildLayer([{ name: "new.txt", body: "new\n" }]);
    const base = image.layers[0];
    assert.ok(base);
    const child = buildImage({ layers: [base, top] });
    const second = archivePath("second.tar");
    const baseDigest = digestHex(base.digest);
    await writeArchive(second, [{ image: child, repoTags: ["b:1"] }], {
      shape: "oci",
      mutate: (members) => members.filter((m) => !m.name.endsWith(baseDigest)),
    });
    const events: LoadProgress[] = [];
    const result = await loadArchive({ store, file: second, onProgress: (p) => events.push(p) });
    assert.equal(result.images[0]?.id, child.id);
    assert.deepEqual(
      events.map((e) => [e.layer, e.status]),
      [
        [base.diffId, "exists"],
        [top.diffId, "unpacking"],
        [top.diffId, "done"],
      ],
    );
    store.close();
  });

  test("loading the same archive twice keeps one image and moves no name", async () => {
    const store = freshStore();
    const image = await sampleImage("gzip");
    const file = archivePath("twice.tar");
    await writeArchive(file, [{ image, repoTags: ["a:1"] }], {
      shape: "skopeo",
      compression: "gzip",
    });
    await loadArchive({ store, file });
    const before = listTree(store.root).filter((l) => !l.startsWith("metadata.db"));
    await loadArchive({ store, file });
    const afterLoad = listTree(store.root).filter((l) => !l.startsWith("metadata.db"));
    assert.deepEqual(afterLoad, before);
    assert.equal(store.listImages().length, 1);
    store.close();
  });
});

describe("loadArchive checks times and honours cancellation", () => {
  test("accepts a created time after 2038 and refuses one that is not RFC 3339", async () => {
    const store = freshStore();
    const layer = await buildLayer([{ name: "f", body: "f" }]);
    const late = buildImage({ layers: [layer], created: "2100-01-01T00:00:00Z" });
    const file = archivePath("late.tar");
    await writeArchive(file, [{ image: late, repoTags: ["late:1"] }], { shape: "oci" });
    assert.equal((await loadArchive({ store, file })).images[0]?.id, late.id);

    const bad = buildImage({ layers: [layer], created: "yesterday" });
    const badFile = archivePath("bad-time.tar");
    await writeArchive(badFile, [{ image: bad, repoTags: ["bad:1"] }], { shape: "docker-legacy" });
    await assert.rejects(
      loadArchive({ store, file: badFile }),
      /has an invalid created time "yesterday"/,
    );
    store.close();
  });

  test("a cancelled load stops with Unavailable and stores nothing", async () => {
    const store = freshStore();
    const image = await sampleImage("gzip", "cancel");
    for (const compression of ["none", "gzip"] as const) {
      const file = archivePath("cancel.tar");
      await writeArchive(file, [{ image, repoTags: ["c:1"] }], { shape: "docker25", compression });
      const controller = new AbortController();
      controller.abort();
      await assert.rejects(loadArchive({ store, file, signal: controller.signal }), {
        kind: "Unavailable",
      });
      assert.deepEqual(store.listImages(), []);
      assert.deepEqual(store.listLayers(), []);
      assert.deepEqual(listTree(join(store.root, "ingest")), []);
    }
    store.close();
  });
});
