import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { lazyService } from "./lazy-service.ts";
import { ConnectError } from "./output.ts";
import { FakeService } from "./testing/fake-service.ts";

describe("lazyService", () => {
  it("opens nothing until a method is called, and closes nothing it did not open", async () => {
    let opens = 0;
    const svc = lazyService(async () => {
      opens++;
      return new FakeService();
    });
    assert.equal(svc.opened, false);
    await svc.close();
    assert.equal(opens, 0);
  });

  it("opens once for concurrent first calls and closes what it opened", async () => {
    let opens = 0;
    const fake = new FakeService();
    const svc = lazyService(async () => {
      opens++;
      return fake;
    });
    await Promise.all([svc.list({ filters: {} }), svc.save({ names: ["a"], output: "/x" })]);
    await svc.close();
    assert.equal(opens, 1);
    assert.deepEqual(
      fake.calls.map((c) => c.method),
      ["list", "save"],
    );
    assert.equal(fake.closed, true);
  });

  it("turns a failure to open into a ConnectError keeping the message and cause", async () => {
    const cause = new Error("database is locked");
    const svc = lazyService(async () => Promise.reject(cause));
    await assert.rejects(svc.inspect("a"), (err: unknown) => {
      assert.ok(err instanceof ConnectError);
      assert.equal(err.message, "database is locked");
      assert.equal(err.cause, cause);
      return true;
    });
    await svc.close();
  });
});
