import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { FakeService, runHandler } from "./testing/fake-service.ts";

describe("isula rmi", () => {
  it("requires at least one name", async () => {
    const r = await runHandler("rmi", [], new FakeService());
    assert.deepEqual(r, { code: 1, stdout: "", stderr: `"rmi" requires at least 1 image names\n` });
  });

  it("refuses 1000 names or more", async () => {
    const svc = new FakeService();
    const r = await runHandler(
      "rmi",
      Array.from({ length: 1000 }, (_, i) => `n${i}`),
      svc,
    );
    assert.deepEqual(r, {
      code: 1,
      stdout: "",
      stderr: "You specify too many images to remove.\n",
    });
    assert.equal(svc.calls.length, 0);
  });

  it("removes in order, reports each, carries on after failures and exits 1", async () => {
    const svc = new FakeService();
    svc.missing.add("ghost");
    const r = await runHandler("rmi", ["-f", "a", "none", "ghost", "none:latest", "b"], svc);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, 'Image "a" removed\nImage "b" removed\n');
    assert.equal(
      r.stderr,
      "Can not remove image 'none', image name 'none' or 'none:latest' is reserved\n" +
        "Error response from daemon: No such image:ghost\n" +
        "Can not remove image 'none:latest', image name 'none' or 'none:latest' is reserved\n",
    );
    assert.deepEqual(
      svc.calls.map((c) => c.args[0]),
      [
        { name: "a", force: true },
        { name: "ghost", force: true },
        { name: "b", force: true },
      ],
    );
  });

  it("exits 0 when every removal succeeds", async () => {
    const r = await runHandler("rmi", ["a"], new FakeService());
    assert.deepEqual(r, { code: 0, stdout: 'Image "a" removed\n', stderr: "" });
  });
});
