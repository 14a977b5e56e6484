import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { imageError } from "../errors.ts";
import type { HistoryItem } from "../service/types.ts";
import { ellipsis, historyRows } from "./history-command.ts";
import { FakeService, runHandler } from "./testing/fake-service.ts";

const ID = `3e3f2a1e2c0c${"4".repeat(52)}`;
const LONG = "/bin/sh -c apk add --no-cache ca-certificates curl git openssh";

function items(): HistoryItem[] {
  return [
    {
      id: ID,
      created: "2020-01-01T00:00:00Z",
      createdBy: LONG,
      size: 5_580_000,
      comment: "",
      emptyLayer: false,
    },
    {
      created: "2019-12-31T00:00:00Z",
      createdBy: 'CMD\t["sh"]',
      size: 0,
      comment: "c",
      emptyLayer: true,
    },
  ];
}

function service(): FakeService {
  const svc = new FakeService();
  svc.historyItems = items();
  return svc;
}

describe("isula history", () => {
  it("prints Docker's table: short ID then <missing>, cut CREATED BY, decimal sizes", async () => {
    const r = await runHandler("history", ["busybox"], service());
    assert.equal(r.code, 0);
    assert.equal(r.stderr, "");
    const lines = r.stdout.split("\n");
    assert.equal(
      lines[0],
      "IMAGE          CREATED       CREATED BY                                      SIZE      COMMENT",
    );
    assert.match(
      lines[1] ?? "",
      /^3e3f2a1e2c0c {3}\d+ years ago {3}\/bin\/sh -c apk add --no-cache ca-certificate… {3}5\.58MB {4}$/,
    );
    assert.match(lines[2] ?? "", /^<missing> {6}\d+ years ago {3}CMD \["sh"\] {38}0B {8}c$/);
    assert.equal(lines.length, 4);
  });

  it("prints only IDs with -q, full ones with --no-trunc", async () => {
    assert.deepEqual(await runHandler("history", ["-q", "x"], service()), {
      code: 0,
      stdout: "3e3f2a1e2c0c\n<missing>\n",
      stderr: "",
    });
    const full = await runHandler("history", ["-q", "--no-trunc", "x"], service());
    assert.equal(full.stdout, `sha256:${ID}\n<missing>\n`);
  });

  it("keeps CREATED BY whole with --no-trunc and takes --format", async () => {
    const r = await runHandler(
      "history",
      ["--no-trunc", "--format", "{{.CreatedBy}}|{{.Size}}", "x"],
      service(),
    );
    assert.deepEqual(r, { code: 0, stdout: `${LONG}|5.58MB\nCMD ["sh"]|0B\n`, stderr: "" });
  });

  it("needs exactly one image and reports a missing one like the other commands", async () => {
    const none = await runHandler("history", [], service());
    assert.deepEqual(none, {
      code: 1,
      stdout: "",
      stderr: `"history" requires exactly 1 argument.\n`,
    });
    const svc = service();
    svc.failWith.set("history", imageError("NotFound", "No such image:ghost"));
    const r = await runHandler("history", ["ghost"], svc);
    assert.deepEqual(r, {
      code: 1,
      stdout: "",
      stderr: "Error response from daemon: No such image:ghost\n",
    });
  });
});

describe("history rows", () => {
  it("cuts at 45 characters with an ellipsis, and only when longer", () => {
    assert.equal(ellipsis("x".repeat(45), 45), "x".repeat(45));
    assert.equal(ellipsis("x".repeat(46), 45), `${"x".repeat(44)}…`);
    const [row] = historyRows(items(), { trunc: true, now: Date.parse("2020-01-04T00:00:00Z") });
    assert.equal(row?.CreatedSince, "3 days ago");
    assert.equal([...(row?.CreatedBy ?? "")].length, 45);
  });
});
