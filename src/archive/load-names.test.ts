import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { type ArchiveShape, ociManifest, writeArchive } from "../../test/helpers/archive-writer.ts";
import {
  type BuiltImage,
  buildImage,
  buildLayer,
  sampleImage,
} from "../../test/helpers/image-builder.ts";
import { ImageStore } from "../image/image-store.ts";
import { MediaType } from "../oci/media-types.ts";
import { loadArchive } from "./load-archive.ts";

const root = mkdtempSync(join(tmpdir(), "load-names-test-"));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshStore = () => ImageStore.open({ graph: join(root, `graph-${n++}`) });
const archivePath = () => join(root, `archive-${n++}.tar`);

/** Two images sharing their base layer. */
async function siblings(): Promise<[BuiltImage, BuiltImage]> {
  const base = await buildLayer([{ name: "etc/shared", body: "base\n" }], "gzip");
  const a = await buildLayer([{ name: "a", body: "a\n" }], "gzip");
  const b = await buildLayer([{ name: "b", body: "b\n" }], "zstd");
  return [buildImage({ layers: [base, a] }), buildImage({ layers: [base, b] })];
}

describe("loadArchive with several images", () => {
  for (const shape of ["docker25", "docker-legacy", "skopeo", "oci"] as ArchiveShape[]) {
    for (const compression of ["none", "zstd"] as const) {
      test(`loads every image of a ${shape} archive (${compression}), base layer stored once`, async () => {
        const store = freshStore();
        const [one, two] = await siblings();
        const file = archivePath();
        const images = [
          { image: one, repoTags: ["one:1", "one:latest"] },
          { image: two, repoTags: ["quay.io/x/two:2"] },
        ];
        await writeArchive(file, images, { shape, compression });
        const result = await loadArchive({ store, file });
        assert.deepEqual(result.images, [
          { id: one.id, names: ["one:1", "one:latest"] },
          { id: two.id, names: ["quay.io/x/two:2"] },
        ]);
        assert.equal(store.listLayers().length, 3);
        assert.deepEqual(store.getImage(two.id)?.names, ["quay.io/x/two:2"]);
        store.close();
      });
    }
  }

  test("a layer used twice in one image (other chain position) is unpacked for both", async () => {
    for (const compression of ["none", "gzip"] as const) {
      const store = freshStore();
      const empty = await buildLayer(Buffer.alloc(1024));
      const middle = await buildLayer([{ name: "m", body: "m" }]);
      const image = buildImage({ layers: [empty, middle, empty] });
      const file = archivePath();
      await writeArchive(file, [{ image, repoTags: ["dup:1"] }], {
        shape: "docker-legacy",
        compression,
      });
      await loadArchive({ store, file });
      const record = store.getImage(image.id);
      assert.ok(record);
      assert.equal(store.imageLayers(record).length, 3);
      store.close();
    }
  });
});

describe("loadArchive --tag", () => {
  test("names the single image instead of its RepoTag", async () => {
    const store = freshStore();
    const image = await sampleImage();
    const file = archivePath();
    await writeArchive(file, [{ image, repoTags: ["old:1"] }], { shape: "skopeo" });
    const result = await loadArchive({ store, file, tag: "docker.io/library/new:2" });
    assert.deepEqual(result.images, [{ id: image.id, names: ["new:2"] }]);
    assert.equal(store.findByName("old:1"), undefined);
    store.close();
  });

  test("is refused for several images, or one image with several names", async () => {
    const [one, two] = await siblings();
    const cases = [
      [
        { image: one, repoTags: ["a:1"] },
        { image: two, repoTags: [] },
      ],
      [{ image: one, repoTags: ["a:1", "a:2"] }],
    ];
    for (const images of cases) {
      const store = freshStore();
      const file = archivePath();
      await writeArchive(file, images, { shape: "docker25" });
      await assert.rejects(loadArchive({ store, file, tag: "x:1" }), {
        kind: "InvalidArgument",
        message: "Can not use --tag option because more than one image found in tar archive",
      });
      assert.equal(store.listImages().length, 0);
      store.close();
    }
  });

  test("an invalid tag is refused", async () => {
    const store = freshStore();
    const file = archivePath();
    await writeArchive(file, [{ image: await sampleImage() }], { shape: "oci" });
    await assert.rejects(loadArchive({ store, file, tag: "Bad:Name" }), /invalid tag "Bad:Name"/);
    store.close();
  });
});

describe("loadArchive names from OCI index annotations", () => {
  test("a bare-tag ref.name loads dangling; --tag names it; full names are normalised", async () => {
    const store = freshStore();
    const [one, two] = await siblings();
    const file = archivePath();
    await writeArchive(
      file,
      [
        { image: one, repoTags: ["1.0"] },
        { image: two, repoTags: ["docker.io/library/two:3", "localhost:5000/two:3"] },
      ],
      { shape: "oci" },
    );
    const result = await loadArchive({ store, file });
    assert.deepEqual(result.images, [
      { id: one.id, names: [] },
      { id: two.id, names: ["two:3", "localhost:5000/two:3"] },
    ]);
    const single = archivePath();
    await writeArchive(single, [{ image: one, repoTags: ["1.0"] }], { shape: "oci" });
    assert.deepEqual(
      (await loadArchive({ store, file: single, tag: "one:1.0" })).images[0]?.names,
      ["one:1.0"],
    );
    store.close();
  });

  test("follows a nested index to this host's platform manifest", async () => {
    const store = freshStore();
    const image = await sampleImage("gzip");
    const file = archivePath();
    const manifest = ociManifest(image);
    const { sha256Digest } = await import("../digest/digest.ts");
    const md = sha256Digest(manifest);
    const arch = process.arch === "arm64" ? "arm64" : "amd64";
    const nested = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaType.ociIndex,
        manifests: [
          {
            mediaType: MediaType.ociManifest,
            digest: md,
            size: manifest.length,
            platform: { os: "linux", architecture: arch },
          },
          {
            mediaType: MediaType.ociManifest,
            digest: md,
            size: manifest.length,
            platform: { os: "linux", architecture: "s390x" },
          },
        ],
      }),
    );
    const nd = sha256Digest(nested);
    await writeArchive(file, [{ image, repoTags: ["ignored:1"] }], {
      shape: "oci",
      mutate: (members) => [
        ...members.filter((m) => m.name !== "index.json"),
        { name: `blobs/sha256/${nd.slice(7)}`, body: nested },
        {
          name: "index.json",
          body: Buffer.from(
            JSON.stringify({
              schemaVersion: 2,
              manifests: [
                {
                  mediaType: MediaType.ociIndex,
                  digest: nd,
                  size: nested.length,
                  annotations: { "org.opencontainers.image.ref.name": "example.com/multi:1" },
                },
              ],
            }),
          ),
        },
      ],
    });
    const result = await loadArchive({ store, file });
    assert.deepEqual(result.images, [{ id: image.id, names: ["example.com/multi:1"] }]);
    store.close();
  });
});
