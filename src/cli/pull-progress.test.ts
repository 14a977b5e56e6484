import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { formatProgressSize, ProgressView, progressLine } from "./pull-progress.ts";

describe("formatProgressSize", () => {
  const table: [number, string][] = [
    [0, "0B"],
    [1024, "1024B"],
    [1025, "1.00KB"],
    [1536, "1.50KB"],
    [1024 * 1024, "1024.00KB"],
    [5 * 1024 * 1024 + 1, "5.00MB"],
    [3 * 1024 ** 3 + 1, "3.00GB"],
  ];
  for (const [n, want] of table) {
    it(`formats ${n} as ${want}`, () => assert.equal(formatProgressSize(n), want));
  }
});

describe("progressLine", () => {
  it("draws a 50-character bar from 110 columns", () => {
    const line = progressLine(
      { id: "abcdefabcdef", current: 1024 * 1024 * 2, total: 1024 * 1024 * 4 },
      110,
    );
    assert.equal(line, `abcdefabcdef: [${"=".repeat(24)}>${" ".repeat(25)}] 2.00MB/4.00MB`);
  });

  it("draws an empty and a full bar", () => {
    assert.equal(
      progressLine({ id: "x", current: 0, total: 10 }, 200),
      `x: [${" ".repeat(50)}] 0B/10B`,
    );
    assert.equal(
      progressLine({ id: "x", current: 10, total: 10 }, 200),
      `x: [${"=".repeat(50)}] 10B/10B`,
    );
  });

  it("has no bar below 110 columns", () => {
    assert.equal(
      progressLine({ id: "abcdefabcdef", current: 5, total: 10 }, 109),
      "abcdefabcdef:  5B/10B",
    );
  });
});

describe("ProgressView", () => {
  it("redraws in place: cursor up over the lines drawn, clear, every line again", () => {
    const out: string[] = [];
    const view = new ProgressView({ write: (t) => out.push(t), columns: () => 80, intervalMs: 0 });
    view.update({ id: "aaaaaaaaaaaa", current: 1, total: 4, status: "downloading" });
    view.update({ id: "bbbbbbbbbbbb", current: 2, total: 4, status: "downloading" });
    view.update({ id: "aaaaaaaaaaaa", current: 4, total: 4, status: "done" });
    view.finish();
    assert.equal(out[0], "aaaaaaaaaaaa:  1B/4B\n");
    assert.equal(out[1], "\x1b[1A\x1b[Jaaaaaaaaaaaa:  1B/4B\nbbbbbbbbbbbb:  2B/4B\n");
    assert.equal(out[2], "\x1b[2A\x1b[Jaaaaaaaaaaaa:  4B/4B\nbbbbbbbbbbbb:  2B/4B\n");
    assert.equal(out.length, 4);
  });

  it("throttles redraws and draws the final state on finish", async () => {
    const out: string[] = [];
    const view = new ProgressView({
      write: (t) => out.push(t),
      columns: () => 80,
      intervalMs: 1000,
    });
    for (let i = 1; i <= 50; i++)
      view.update({ id: "a", current: i, total: 50, status: "downloading" });
    assert.equal(out.length, 1);
    view.finish();
    assert.equal(out.length, 2);
    assert.match(out[1] as string, /a: {2}50B\/50B\n$/);
  });

  it("draws nothing when there was no event", () => {
    const out: string[] = [];
    new ProgressView({ write: (t) => out.push(t), columns: () => 80 }).finish();
    assert.deepEqual(out, []);
  });
});
