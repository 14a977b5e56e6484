import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ImageSummary } from "../service/types.ts";
import { columnTitle, compileRowFormat, headerDocument, renderRows } from "./format-option.ts";
import { compileImagesFormat, imageFieldRows, renderImagesFormat } from "./images-format.ts";

const ID1 = "1".repeat(64);
const ID2 = "2".repeat(64);
const NOW = Date.parse("2024-01-10T00:00:00Z");
const IMAGES: ImageSummary[] = [
  {
    id: ID1,
    repoTags: ["busybox:latest", "mine:1"],
    repoDigests: [`busybox@sha256:${"a".repeat(64)}`, `mine@sha256:${"a".repeat(64)}`],
    created: "2024-01-03T00:00:00Z",
    size: 1_372_160,
  },
  { id: ID2, repoTags: [], repoDigests: [], created: "", size: 10 },
];

describe("compileRowFormat", () => {
  it("reads a table prefix, Docker's escapes, and the default columns for `table` alone", () => {
    const f = compileRowFormat("table {{.A}}\\t{{.B}}", { defaultTable: "x", escapes: true });
    assert.equal(f.table, true);
    assert.equal(
      renderRows(f, [{ A: "1", B: "2" }], { A: "AA", B: "BB" }),
      "AA        BB\n1         2\n",
    );
    const d = compileRowFormat("table", { defaultTable: "{{.A}}", escapes: true });
    assert.equal(renderRows(d, [], { A: "TITLE" }), "TITLE\n");
  });

  it("renders a plain format once per row as a whole, one line each", () => {
    const f = compileRowFormat("{{.A}} {{.B}}", { defaultTable: "", escapes: true });
    assert.equal(f.table, false);
    assert.equal(
      renderRows(
        f,
        [
          { A: 1, B: 2 },
          { A: 3, B: 4 },
        ],
        {},
      ),
      "1 2\n3 4\n",
    );
  });

  it("throws the template's one-line error for a bad template or a missing field", () => {
    assert.throws(() => compileRowFormat("{{.A", { defaultTable: "", escapes: true }), {
      kind: "InvalidArgument",
    });
    const f = compileRowFormat("{{.Nope}}", { defaultTable: "", escapes: true });
    assert.throws(() => renderRows(f, [{ A: 1 }], {}), /map has no entry for key "Nope"/);
  });
});

describe("column titles", () => {
  it("splits and upper-cases field names", () => {
    assert.equal(columnTitle("repo_tags"), "REPO TAGS");
    assert.equal(columnTitle("CreatedAt"), "CREATED AT");
    assert.equal(columnTitle("id"), "ID");
  });

  it("builds a header document of the same shape", () => {
    assert.deepEqual(
      headerDocument({ image: { id: "x", repo_tags: ["a"], size: 3, Spec: { os: "l" } } }),
      {
        image: { id: "ID", repo_tags: ["REPO TAGS"], size: "SIZE", Spec: { os: "OS" } },
      },
    );
  });
});

describe("images --format", () => {
  it("gives Docker's fields for each row, newest first, one per tag", () => {
    const rows = imageFieldRows(IMAGES, NOW);
    assert.deepEqual(
      rows.map((r) => [r.ID, r.Repository, r.Tag, r.Digest, r.CreatedSince, r.Size]),
      [
        ["111111111111", "busybox", "latest", `sha256:${"a".repeat(64)}`, "7 days ago", "1.309MB"],
        ["111111111111", "mine", "1", `sha256:${"a".repeat(64)}`, "7 days ago", "1.309MB"],
        ["222222222222", "<none>", "<none>", "<none>", "N/A", "10B"],
      ],
    );
  });

  it("prints Docker's header titles and aligned columns with table", () => {
    const f = compileImagesFormat("table {{.ID}}\\t{{.Repository}}\\t{{.Tag}}\\t{{.Size}}");
    assert.equal(
      renderImagesFormat(f, IMAGES, NOW),
      [
        "IMAGE ID       REPOSITORY   TAG       SIZE",
        "111111111111   busybox      latest    1.309MB",
        "111111111111   mine         1         1.309MB",
        "222222222222   <none>       <none>    10B",
        "",
      ].join("\n"),
    );
  });

  it("keeps several actions of a plain format on one line (not iSulad's one-per-action)", () => {
    const f = compileImagesFormat("{{.ID}} {{.Tag}}");
    assert.equal(renderImagesFormat(f, IMAGES.slice(1), NOW), "222222222222 <none>\n");
  });
});
