import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { FakeService, runHandler } from "./testing/fake-service.ts";

describe("registry commands (not implemented yet)", () => {
  for (const command of ["pull", "login", "logout"]) {
    it(`${command} checks its argument count first`, async () => {
      const r = await runHandler(command, [], new FakeService());
      assert.deepEqual(r, { code: 1, stdout: "", stderr: `${command} requires 1 argument.\n` });
    });

    it(`${command} says plainly that it is not implemented and exits 1`, async () => {
      const svc = new FakeService();
      const r = await runHandler(command, ["registry.example.com"], svc);
      assert.equal(r.code, 1);
      assert.equal(r.stdout, "");
      assert.match(r.stderr, /is not implemented yet in isulad-ts \(issue #3\)\n$/);
      assert.equal(svc.calls.length, 0);
    });
  }
});
