import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, renameSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { makeImageDir, writeManifest } from "../embedded/testing/fixtures.ts";
import { ImageStore } from "../image/image-store.ts";
import { fakeChain } from "../image/testing/fixtures.ts";
import type { LayerRecord } from "../image/types.ts";
import type { ImageConfig } from "../oci/types.ts";
import { imageHistory } from "./image-history.ts";
import { LocalImageService } from "./local-service.ts";

const ID = "a".repeat(64);

function layers(sizes: number[]): LayerRecord[] {
  return fakeChain(sizes.map(String)).map((l, i) => ({
    ...l.record,
    diffSize: sizes[i] as number,
    created: "2024-01-01T00:00:00Z",
  }));
}

function config(history: ImageConfig["history"], created = "2024-05-06T07:08:09Z"): ImageConfig {
  return { created, rootfs: { type: "layers", diff_ids: [] }, ...(history ? { history } : {}) };
}

describe("imageHistory", () => {
  it("gives non-empty entries the layer sizes in order and empty ones 0, newest first", () => {
    const items = imageHistory(
      ID,
      config([
        { created: "2024-01-01T00:00:00Z", created_by: "ADD rootfs /" },
        { created: "2024-01-02T00:00:00Z", created_by: "ENV A=1", empty_layer: true },
        { created: "2024-01-03T00:00:00Z", created_by: "RUN make", comment: "built" },
      ]),
      layers([1000, 250]),
    );
    assert.deepEqual(items, [
      {
        id: ID,
        created: "2024-01-03T00:00:00Z",
        createdBy: "RUN make",
        size: 250,
        comment: "built",
        emptyLayer: false,
      },
      {
        created: "2024-01-02T00:00:00Z",
        createdBy: "ENV A=1",
        size: 0,
        comment: "",
        emptyLayer: true,
      },
      {
        created: "2024-01-01T00:00:00Z",
        createdBy: "ADD rootfs /",
        size: 1000,
        comment: "",
        emptyLayer: false,
      },
    ]);
  });

  it("makes one item per layer, with the image's created time, when the config has no history", () => {
    const items = imageHistory(ID, config(undefined), layers([5, 7]));
    assert.deepEqual(
      items.map((i) => [i.id, i.created, i.createdBy, i.size]),
      [
        [ID, "2024-05-06T07:08:09Z", "", 7],
        [undefined, "2024-05-06T07:08:09Z", "", 5],
      ],
    );
  });

  it("counts 0 for entries beyond the stored layers and ignores malformed fields", () => {
    const history = [
      { created_by: "one" },
      { created_by: 5 as unknown as string, created: null as unknown as string },
    ];
    const items = imageHistory(ID, config(history), layers([9]));
    assert.deepEqual(
      items.map((i) => [i.createdBy, i.created, i.size]),
      [
        ["", "", 0],
        ["one", "", 9],
      ],
    );
  });

  it("returns nothing for an image with neither history nor layers", () => {
    assert.deepEqual(imageHistory(ID, config(undefined), []), []);
  });
});

describe("history of an embedded image", () => {
  let root: string;
  let service: LocalImageService;
  let dir: string;
  let id: string;

  before(async () => {
    root = mkdtempSync(join(tmpdir(), "history-embedded-"));
    mkdirSync(join(root, "graph"));
    service = new LocalImageService(ImageStore.open({ graph: join(root, "graph") }));
    const made = makeImageDir(root);
    dir = made.dir;
    const res = await service.load({ file: writeManifest(dir, made.doc), type: "embedded" });
    id = res.images[0]?.id as string;
  });

  after(async () => {
    await service.close();
    rmSync(root, { recursive: true, force: true });
  });

  it("lists the manifest's layers newest first, squashfs file sizes, directories 0", async () => {
    const created = "2018-03-01T15:55:44.322987811Z";
    const row = (createdBy: string, size: number) => ({
      created,
      createdBy,
      size,
      comment: "",
      emptyLayer: false,
    });
    const items = await service.history("test:v1");
    assert.deepEqual(items, [
      { id, ...row("conf:/etc/app", 0) },
      row("platform.img:/usr/platform", statSync(join(dir, "platform.img")).size),
      row("app.img:/home/home", statSync(join(dir, "app.img")).size),
      row("/:/", 0),
    ]);
    assert.ok((items[2]?.size ?? 0) > 0, "a squashfs file has a size");
    const listed = (await service.list({ filters: {} })).find((s) => s.id === id);
    const total = items.reduce((sum, item) => sum + item.size, 0);
    assert.equal(total, listed?.size, "the rows add up to the image's size");
    assert.deepEqual(await service.history(id.slice(0, 12)), items, "found by ID prefix too");
  });

  it("a squashfs file gone since the load counts the manifest's declared size", async () => {
    const other = mkdtempSync(join(tmpdir(), "history-embedded-gone-"));
    try {
      const made = makeImageDir(other, "gone:v1");
      const layers = made.doc.layers as Record<string, unknown>[];
      (layers[2] as Record<string, unknown>).size = 4242;
      const file = writeManifest(made.dir, made.doc);
      await service.load({ file, type: "embedded" });
      renameSync(join(made.dir, "platform.img"), join(made.dir, "moved.img"));
      const items = await service.history("gone:v1");
      assert.deepEqual(
        items.map((i) => [i.createdBy, i.size]),
        [
          ["conf:/etc/app", 0],
          ["platform.img:/usr/platform", 4242],
          ["app.img:/home/home", statSync(join(made.dir, "app.img")).size],
          ["/:/", 0],
        ],
      );
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });
});
