import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { PushProgress } from "../push/types.ts";
import { ProgressView } from "./pull-progress.ts";
import { pushLine, settledLine } from "./push-progress.ts";
import { FakeService, FakeTerminal, runHandler } from "./testing/fake-service.ts";

const A = "aaaaaaaaaaaa";
const B = "bbbbbbbbbbbb";
const C = "cccccccccccc";
const MB = 1024 * 1024;

describe("pushLine", () => {
  it("speaks Docker's push words for every state", () => {
    const at = (status: PushProgress["status"], extra: Partial<PushProgress> = {}) =>
      pushLine({ id: A, current: 0, total: 4 * MB, status, ...extra }, 80);
    assert.equal(at("preparing"), `${A}: Preparing`);
    assert.equal(at("waiting"), `${A}: Waiting`);
    assert.equal(at("pushing", { current: MB + 1 }), `${A}: Pushing  1.00MB/4.00MB`);
    assert.equal(at("pushed", { current: 4 * MB }), `${A}: Pushed`);
    assert.equal(at("exists"), `${A}: Layer already exists`);
    assert.equal(at("mounted", { from: "team/base" }), `${A}: Mounted from team/base`);
    assert.equal(at("skipped"), `${A}: Skipped foreign layer`);
  });

  it("draws pull's bar on a wide terminal", () => {
    const line = pushLine({ id: A, current: 2 * MB, total: 4 * MB, status: "pushing" }, 120);
    assert.equal(line, `${A}: Pushing [${"=".repeat(24)}>${" ".repeat(25)}] 2.00MB/4.00MB`);
  });

  it("settledLine is undefined while a layer still moves", () => {
    for (const status of ["preparing", "waiting", "pushing"] as const)
      assert.equal(settledLine({ id: A, current: 0, total: 1, status }), undefined);
  });
});

describe("push progress drawn in place", () => {
  it("redraws every layer's line over the last frame as events arrive", () => {
    const frames: string[] = [];
    const view = new ProgressView<PushProgress>({
      write: (t) => frames.push(t),
      columns: () => 80,
      intervalMs: 0,
      line: pushLine,
    });
    const events: PushProgress[] = [
      { id: A, current: 0, total: 10, status: "preparing" },
      { id: B, current: 0, total: 20, status: "preparing" },
      { id: B, current: 0, total: 20, status: "waiting" },
      { id: A, current: 5, total: 10, status: "pushing" },
      { id: A, current: 10, total: 10, status: "pushed" },
      { id: B, current: 20, total: 20, status: "exists" },
    ];
    for (const e of events) view.update(e);
    view.finish();
    assert.deepEqual(frames, [
      `${A}: Preparing\n`,
      `\x1b[1A\x1b[J${A}: Preparing\n${B}: Preparing\n`,
      `\x1b[2A\x1b[J${A}: Preparing\n${B}: Waiting\n`,
      `\x1b[2A\x1b[J${A}: Pushing  5B/10B\n${B}: Waiting\n`,
      `\x1b[2A\x1b[J${A}: Pushed\n${B}: Waiting\n`,
      `\x1b[2A\x1b[J${A}: Pushed\n${B}: Layer already exists\n`,
      `\x1b[2A\x1b[J${A}: Pushed\n${B}: Layer already exists\n`,
    ]);
  });

  it("isula push on a terminal draws frames, then the digest line below the last one", async () => {
    const svc = new FakeService();
    svc.pushProgress = [
      { id: A, current: 0, total: 10, status: "preparing" },
      { id: B, current: 0, total: 5, status: "preparing" },
      { id: C, current: 0, total: 7, status: "preparing" },
      { id: A, current: 4, total: 10, status: "pushing" },
      { id: A, current: 10, total: 10, status: "pushed" },
      { id: B, current: 5, total: 5, status: "exists" },
      { id: C, current: 7, total: 7, status: "mounted", from: "team/base" },
    ];
    const terminal = new FakeTerminal({ stdoutIsTTY: true, width: 80 });
    const r = await runHandler("push", ["reg:5000/a/b:2"], svc, "/", terminal);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, "");
    const header = "The push refers to repository [reg:5000/a/b]\n";
    const digest = `2: digest: sha256:${"d".repeat(64)} size: 528\n`;
    assert.ok(r.stdout.startsWith(`${header}${A}: Preparing\n`), r.stdout);
    // How many lines the last frame climbs over depends on how many the throttled view drew.
    const last =
      `${A}: Pushed\n${B}: Layer already exists\n` + `${C}: Mounted from team/base\n${digest}`;
    const frames = r.stdout.split("\x1b[");
    assert.match(frames.at(-2) ?? "", /^[1-3]A$/, "the last frame climbs over the one before");
    assert.equal(`\x1b[${frames.at(-1)}`, `\x1b[J${last}`);
  });

  it("isula push off a terminal prints settled lines only, no escape codes", async () => {
    const svc = new FakeService();
    svc.pushProgress = [
      { id: A, current: 0, total: 10, status: "preparing" },
      { id: A, current: 0, total: 10, status: "waiting" },
      { id: A, current: 4, total: 10, status: "pushing" },
      { id: A, current: 10, total: 10, status: "pushed" },
    ];
    const r = await runHandler("push", ["reg:5000/a/b:2"], svc, "/", new FakeTerminal());
    assert.equal(
      r.stdout,
      "The push refers to repository [reg:5000/a/b]\n" +
        `${A}: Pushed\n2: digest: sha256:${"d".repeat(64)} size: 528\n`,
    );
  });
});
