import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { bufferOutput } from "./output.ts";
import { runCli } from "./run.ts";
import { FakeService } from "./testing/fake-service.ts";

async function cli(argv: string[]) {
  const io = bufferOutput();
  const svc = new FakeService();
  const code = await runCli(argv, { io, env: {}, cwd: "/", openService: async () => svc });
  return { code, stdout: io.stdout, stderr: io.stderr, svc };
}

describe("isula image", () => {
  it("is listed in the command list with history and import", async () => {
    const r = await cli(["--help"]);
    for (const name of ["history", "image", "import"]) {
      assert.match(r.stdout, new RegExp(`\\n\\t${name} *\\t`), name);
    }
  });

  it("runs prune, Docker's aliases and the flat image commands", async () => {
    const prune = await cli(["image", "prune", "-af"]);
    assert.equal(prune.code, 0);
    assert.deepEqual(prune.svc.calls, [{ method: "prune", args: [{ all: true }] }]);

    const ls = await cli(["image", "ls", "-q"]);
    assert.equal(ls.code, 0);
    assert.deepEqual(
      ls.svc.calls.map((c) => c.method),
      ["list"],
    );

    const rm = await cli(["image", "rm", "x"]);
    assert.deepEqual(
      rm.svc.calls.map((c) => c.method),
      ["remove"],
    );

    const history = await cli(["image", "history", "x"]);
    assert.deepEqual(
      history.svc.calls.map((c) => c.method),
      ["history"],
    );
  });

  it("lists its sub-commands for no sub-command, --help and `isula --help image`", async () => {
    for (const argv of [["image"], ["image", "--help"], ["--help", "image"]]) {
      const r = await cli(argv);
      assert.equal(r.code, 0);
      assert.match(r.stdout, /^USAGE:\n\tisula image <command>/);
      assert.match(r.stdout, /\n\tprune +\tRemove unused images\n/);
      assert.match(r.stdout, /\n\tls +\tList images\n/);
    }
  });

  it("refuses an unknown sub-command (125) and `prune` outside the group", async () => {
    const r = await cli(["image", "frobnicate"]);
    assert.equal(r.code, 125);
    assert.equal(
      r.stderr,
      'isula image: command "frobnicate" not found\nrun `isula image --help` for a list of sub-commands\n',
    );
    assert.equal((await cli(["prune"])).code, 125);
  });
});
