import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { imageError } from "../errors.ts";
import { absoluteInput } from "./load-command.ts";
import { FakeService, runHandler } from "./testing/fake-service.ts";

const dir = mkdtempSync(join(tmpdir(), "isula-load-"));
writeFileSync(join(dir, "app.tar"), "not really a tar");

describe("absoluteInput", () => {
  it("joins a relative path to the directory as iSulad does, without normalising", () => {
    assert.equal(absoluteInput("./a.tar", "/home/u"), "/home/u/./a.tar");
    assert.equal(absoluteInput("/srv/a.tar", "/home/u"), "/srv/a.tar");
  });
});

describe("isula load", () => {
  const failures: [string[], string][] = [
    [["-i", "app.tar", "extra"], `isula: "load" requires 0 arguments.`],
    [[], "missing image input, use -i,--input option"],
    [["--tag", "x:1"], "missing image input, use -i,--input option"],
    [
      ["-i", "app.tar", "-t", "oci"],
      "Invalid image type: image type must be embedded or docker, got oci",
    ],
    [
      ["-i", "app.tar", "-t", "embedded", "--tag", "a:1"],
      "Option --tag can be used only when type is docker",
    ],
    [["-i", "nope.tar"], `File ${dir}/nope.tar is not exist`],
    [["-i", "."], `Load file is a directory: ${dir}/.`],
    [["-i", `${dir}/app.tar/x`], `File ${dir}/app.tar/x is not exist`],
  ];
  for (const [argv, message] of failures) {
    it(`fails "${argv.join(" ")}" with "${message}" before touching the service`, async () => {
      const svc = new FakeService();
      const r = await runHandler("load", argv, svc, dir);
      assert.deepEqual(r, { code: 1, stdout: "", stderr: `${message}\n` });
      assert.equal(svc.calls.length, 0);
    });
  }

  it("loads the absolute path and prints success on stdout", async () => {
    const svc = new FakeService();
    const r = await runHandler("load", ["-i", "app.tar", "--tag", "app:1"], svc, dir);
    assert.deepEqual(r, {
      code: 0,
      stdout: `Load image from "${dir}/app.tar" success\n`,
      stderr: "",
    });
    assert.deepEqual(svc.calls[0]?.args, [
      { file: `${dir}/app.tar`, tag: "app:1", type: undefined, signal: signalOf(svc) },
    ]);
  });

  it("passes --type through", async () => {
    const svc = new FakeService();
    await runHandler("load", ["-t", "docker", "-i", `${dir}/app.tar`], svc, "/");
    assert.deepEqual(svc.calls[0]?.args, [
      { file: `${dir}/app.tar`, tag: undefined, type: "docker", signal: signalOf(svc) },
    ]);
  });

  it("prints a service error with the daemon prefix and exits 1", async () => {
    const svc = new FakeService();
    const message = `Load image ${dir}/app.tar failed: layers length mismatch`;
    svc.failWith.set("load", imageError("InvalidArgument", message));
    const r = await runHandler("load", ["-i", "app.tar"], svc, dir);
    assert.deepEqual(r, {
      code: 1,
      stdout: "",
      stderr: `Error response from daemon: ${message}\n`,
    });
  });
});

/** The AbortSignal of the first service call: SIGINT/SIGTERM abort it (test/cli/interrupt). */
function signalOf(svc: FakeService): AbortSignal {
  const signal = (svc.calls[0]?.args[0] as { signal?: unknown } | undefined)?.signal;
  assert.ok(signal instanceof AbortSignal);
  return signal;
}
