import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { findImageCommand } from "./commands.ts";
import { bufferOutput } from "./output.ts";
import { parseArgs } from "./parser.ts";
import { renderPruneReport } from "./prune-command.ts";
import { FakeService, FakeTerminal } from "./testing/fake-service.ts";

async function prune(argv: string[], svc: FakeService, terminal: FakeTerminal) {
  const spec = findImageCommand("prune");
  assert.ok(spec);
  const io = bufferOutput();
  const ctx = { service: svc, io, cwd: "/", debug: false, terminal };
  const code = await (await spec.handler())(parseArgs(spec.options, argv), ctx);
  return { code, stdout: io.stdout, stderr: io.stderr };
}

const REPORT = {
  items: [{ untagged: "app:1" }, { deleted: "a".repeat(64) }, { deleted: "b".repeat(64) }],
  reclaimed: 1_844_674,
};

describe("isula image prune", () => {
  it("prunes without asking with -f and prints Docker's report", async () => {
    const svc = new FakeService();
    svc.pruneResult = REPORT;
    const r = await prune(["-a", "-f"], svc, new FakeTerminal());
    assert.deepEqual(r, {
      code: 0,
      stdout: `Deleted Images:\nuntagged: app:1\ndeleted: sha256:${"a".repeat(64)}\ndeleted: sha256:${"b".repeat(64)}\n\nTotal reclaimed space: 1.845MB\n`,
      stderr: "",
    });
    assert.deepEqual(svc.calls, [{ method: "prune", args: [{ all: true }] }]);
  });

  it("refuses without -f when stdin is not a terminal, and touches nothing", async () => {
    const svc = new FakeService();
    const r = await prune([], svc, new FakeTerminal({ stdinIsTTY: false }));
    assert.deepEqual(r, {
      code: 1,
      stdout: "",
      stderr: "image prune needs confirmation: use -f to prune without a terminal\n",
    });
    assert.equal(svc.calls.length, 0);
  });

  it("asks on a terminal and goes on only on y", async () => {
    const yes = new FakeService();
    const asked = await prune([], yes, new FakeTerminal({ stdinIsTTY: true, lines: ["y"] }));
    assert.equal(asked.code, 0);
    assert.equal(
      asked.stdout,
      "WARNING! This will remove all dangling images.\nAre you sure you want to continue? [y/N] Total reclaimed space: 0B\n",
    );
    assert.equal(yes.calls.length, 1);

    const no = new FakeService();
    const r = await prune(["-a"], no, new FakeTerminal({ stdinIsTTY: true, lines: [""] }));
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^WARNING! This will remove all images without at least one container/);
    assert.equal(no.calls.length, 0);
  });

  it("takes no arguments", async () => {
    const r = await prune(["-f", "x"], new FakeService(), new FakeTerminal());
    assert.deepEqual(r, { code: 1, stdout: "", stderr: `"image prune" accepts no arguments.\n` });
  });
});

describe("renderPruneReport", () => {
  it("prints only the total when nothing went", () => {
    assert.equal(renderPruneReport({ items: [], reclaimed: 0 }), "Total reclaimed space: 0B\n");
  });
});
