import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { imageError } from "../errors.ts";
import { FakeService, runHandler } from "./testing/fake-service.ts";

const dir = mkdtempSync(join(tmpdir(), "isula-save-"));

describe("isula save", () => {
  const failures: [string[], string][] = [
    [["-o", "out.tar"], `"save" requires at least 1 argument.`],
    [["app:1"], "missing output file, use -o,--output option"],
    [["-o", "", "app:1"], "missing output file, use -o,--output option"],
    [["-o", ".", "app:1"], `Save file is a directory: ${dir}`],
  ];
  for (const [argv, message] of failures) {
    it(`fails ${JSON.stringify(argv)} with "${message}"`, async () => {
      const svc = new FakeService();
      const r = await runHandler("save", argv, svc, dir);
      assert.deepEqual(r, { code: 1, stdout: "", stderr: `${message}\n` });
      assert.equal(svc.calls.length, 0);
    });
  }

  it("saves every name to the absolute output path and prints nothing", async () => {
    const svc = new FakeService();
    const r = await runHandler("save", ["--output=sub/../out.tar", "a:1", "b"], svc, dir);
    assert.deepEqual(r, { code: 0, stdout: "", stderr: "" });
    assert.deepEqual(svc.calls[0]?.args, [{ names: ["a:1", "b"], output: join(dir, "out.tar") }]);
  });

  it("prints a service error with the daemon prefix and exits 1", async () => {
    const svc = new FakeService();
    svc.failWith.set("save", imageError("NotFound", "No such image:ghost"));
    const r = await runHandler("save", ["-o", "x.tar", "ghost"], svc, dir);
    assert.deepEqual(r, {
      code: 1,
      stdout: "",
      stderr: "Error response from daemon: No such image:ghost\n",
    });
  });
});
