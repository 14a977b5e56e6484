import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { imageError } from "../errors.ts";
import { parseFilters } from "./images-command.ts";
import { FakeService, runHandler } from "./testing/fake-service.ts";

before(() => {
  process.env.TZ = "UTC";
});

describe("parseFilters", () => {
  it("splits at the first '=', trims and lowercases the key, keeps every value", () => {
    assert.deepEqual(parseFilters([" Reference =busy*", "reference=a=b", "dangling=true"]), {
      reference: ["busy*", "a=b"],
      dangling: ["true"],
    });
  });
  it("names the filter that has no '='", () => {
    assert.equal(
      parseFilters(["dangling"]),
      "Bad format of filter 'dangling', (expected name=value)",
    );
  });
});

describe("isula images", () => {
  it("prints the table on stdout and passes filters to the service", async () => {
    const svc = new FakeService();
    svc.images = [
      {
        id: `e4db68de4ff2${"0".repeat(52)}`,
        repoTags: ["busybox:latest"],
        repoDigests: [],
        created: "2019-06-15T08:19:54Z",
        size: 1372806,
      },
    ];
    const r = await runHandler("images", ["-f", "reference=busy*", "-f", "Label=x"], svc);
    assert.equal(r.code, 0);
    assert.equal(r.stderr, "");
    assert.match(r.stdout, /^REPOSITORY {21}TAG/);
    assert.match(
      r.stdout,
      /\nbusybox {24}latest {5}e4db68de4ff2 {9}2019-06-15 08:19:54 {2}1\.309MB {4}\n$/,
    );
    assert.deepEqual(svc.calls, [
      { method: "list", args: [{ filters: { reference: ["busy*"], label: ["x"] } }] },
    ]);
  });

  it("prints short IDs with -q", async () => {
    const svc = new FakeService();
    svc.images = [
      { id: "ab".repeat(32), repoTags: ["a:1", "a:2"], repoDigests: [], created: "", size: 1 },
    ];
    const r = await runHandler("images", ["-q"], svc);
    assert.equal(r.stdout, "abababababab\nabababababab\n");
  });

  it("refuses a bad filter before asking the service", async () => {
    const svc = new FakeService();
    const r = await runHandler("images", ["-f", "dangling"], svc);
    assert.deepEqual(r, {
      code: 1,
      stdout: "",
      stderr: "Bad format of filter 'dangling', (expected name=value)\n",
    });
    assert.equal(svc.calls.length, 0);
  });

  it("prints a service error with the daemon prefix and exits 1", async () => {
    const svc = new FakeService();
    svc.failWith.set("list", imageError("InvalidArgument", "Invalid filter 'colour'"));
    const r = await runHandler("images", ["-f", "colour=red"], svc);
    assert.deepEqual(r, {
      code: 1,
      stdout: "",
      stderr: "Error response from daemon: Invalid filter 'colour'\n",
    });
  });
});
