import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { FakeService, runHandler } from "./testing/fake-service.ts";

describe("isula tag", () => {
  const failures: [string[], string][] = [
    [[], `"tag" requires exactly 2 arguments.`],
    [["a"], `"tag" requires exactly 2 arguments.`],
    [["a", "b", "c"], `"tag" requires exactly 2 arguments.`],
    [["Bad", "b"], "Bad is not a valid image name"],
    [["a", "B:1"], "B:1 is not a valid tag"],
    [["a", "sha256:abc"], "sha256:abc is not a valid tag"],
    [["a", "f".repeat(64)], `${"f".repeat(64)} is not a valid tag`],
    [["a", `b@sha256:${"0".repeat(64)}`], `b@sha256:${"0".repeat(64)} is not a valid tag`],
  ];
  for (const [argv, message] of failures) {
    it(`fails ${JSON.stringify(argv)} with "${message.slice(0, 40)}"`, async () => {
      const svc = new FakeService();
      const r = await runHandler("tag", argv, svc);
      assert.deepEqual(r, { code: 1, stdout: "", stderr: `${message}\n` });
      assert.equal(svc.calls.length, 0);
    });
  }

  it("tags and prints nothing on success", async () => {
    const svc = new FakeService();
    const r = await runHandler("tag", ["busybox", "mine/box:1"], svc);
    assert.deepEqual(r, { code: 0, stdout: "", stderr: "" });
    assert.deepEqual(svc.calls, [{ method: "tag", args: ["busybox", "mine/box:1"] }]);
  });

  it("adds iSulad's second line after a service error", async () => {
    const svc = new FakeService();
    svc.missing.add("ghost");
    const r = await runHandler("tag", ["ghost", "x:1"], svc);
    assert.deepEqual(r, {
      code: 1,
      stdout: "",
      stderr:
        'Error response from daemon: No such image:ghost\nTag image "ghost" to "x:1" failed\n',
    });
  });
});
