import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { fakeChain } from "../image/testing/fixtures.ts";
import type { LayerRecord } from "../image/types.ts";
import type { ImageConfig } from "../oci/types.ts";
import { imageHistory } from "./image-history.ts";

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
