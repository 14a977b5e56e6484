import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import type { ImageSummary } from "../service/types.ts";
import { imageRows, renderImagesTable, renderQuietIds, splitRowName } from "./images-table.ts";

const ID_A = `e4db68de4ff2${"a".repeat(52)}`;
const ID_B = `0123456789ab${"b".repeat(52)}`;

function image(fields: Partial<ImageSummary>): ImageSummary {
  return { id: ID_A, repoTags: [], repoDigests: [], created: "", size: 0, ...fields };
}

before(() => {
  process.env.TZ = "UTC";
});

describe("renderImagesTable", () => {
  it("prints only the header, padded, with a trailing space, when there are no images", () => {
    assert.equal(
      renderImagesTable([]),
      `${"REPOSITORY".padEnd(30)} ${"TAG".padEnd(10)} ${"IMAGE ID".padEnd(20)} ${"CREATED".padEnd(20)} ${"SIZE".padEnd(10)} \n`,
    );
  });

  it("prints iSulad's example row exactly", () => {
    const rows = imageRows([
      image({ repoTags: ["busybox:latest"], created: "2019-06-15T08:19:54.1Z", size: 1372806 }),
    ]);
    const lines = renderImagesTable(rows).split("\n");
    assert.equal(
      lines[0],
      "REPOSITORY                     TAG        IMAGE ID             CREATED              SIZE       ",
    );
    assert.equal(
      lines[1],
      "busybox                        latest     e4db68de4ff2         2019-06-15 08:19:54  1.309MB    ",
    );
    assert.equal(lines[2], "");
    assert.equal(lines.length, 3);
  });

  it("grows REPOSITORY and TAG to the longest value, for every line", () => {
    const repo = `registry.example.com:5000/${"x".repeat(40)}`;
    const tag = "a-very-long-tag-name";
    const text = renderImagesTable(imageRows([image({ repoTags: [`${repo}:${tag}`, "b:1"] })]));
    const lines = text.split("\n").filter(Boolean);
    for (const line of lines) {
      assert.equal(line.length, repo.length + 1 + tag.length + 1 + 21 + 21 + 11, line);
    }
    assert.ok(lines[2]?.startsWith(`${"b".padEnd(repo.length)} ${"1".padEnd(tag.length)} `));
  });

  it("shows '-' for an unparsable ID or time", () => {
    const text = renderImagesTable(
      imageRows([image({ id: "zzz", repoTags: ["a:1"], created: "x" })]),
    );
    assert.match(text.split("\n")[1] ?? "", /^a {30}1 {10}- {20}- {20}0B {9}$/);
  });
});

describe("imageRows", () => {
  it("makes one row per tag, a digest's repository for an untagged image, else no name", () => {
    const rows = imageRows([
      image({ repoTags: ["a:1", "b:2"] }),
      image({ repoDigests: ["hub.oepkgs.net/library/busybox@sha256:778b"] }),
      image({}),
    ]);
    assert.deepEqual(
      rows.map((r) => splitRowName(r.name)),
      [
        ["a", "1"],
        ["b", "2"],
        ["hub.oepkgs.net/library/busybox", "<none>"],
        ["<none>", "<none>"],
      ],
    );
  });

  it("sorts newest first, breaking ties by nanoseconds; images without a time go last", () => {
    const rows = imageRows([
      image({ repoTags: ["none:t"] }),
      image({ repoTags: ["old:1"], created: "2019-01-01T00:00:00.000000001Z" }),
      image({ repoTags: ["new:1"], created: "2019-01-01T00:00:00.000000002Z" }),
      image({ repoTags: ["newest:1"], created: "2050-01-01T00:00:00Z" }),
      image({ repoTags: ["zone:1"], created: "2019-01-01T08:00:00.5+08:00" }),
    ]);
    assert.deepEqual(
      rows.map((r) => r.name),
      ["newest:1", "zone:1", "new:1", "old:1", "none:t"],
    );
  });

  it("keeps a registry port out of the TAG column", () => {
    assert.deepEqual(splitRowName("localhost:5000/app"), ["localhost:5000/app", "<none>"]);
    assert.deepEqual(splitRowName("localhost:5000/app:v1"), ["localhost:5000/app", "v1"]);
  });
});

describe("renderQuietIds", () => {
  it("prints the short ID of every row, repeated per tag, padded to 12", () => {
    const rows = imageRows([
      image({ id: ID_B, repoTags: ["a:1", "a:2"] }),
      image({ id: "bad", repoTags: ["c:1"] }),
    ]);
    assert.equal(renderQuietIds(rows), "0123456789ab\n0123456789ab\n<none>      \n");
  });
});
