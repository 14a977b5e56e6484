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

describe("isula images --format", () => {
  const svc = () => {
    const s = new FakeService();
    s.images = [
      {
        id: `e4db68de4ff2${"0".repeat(52)}`,
        repoTags: ["busybox:latest"],
        repoDigests: [`busybox@sha256:${"d".repeat(64)}`],
        created: "2019-06-15T08:19:54Z",
        size: 1372806,
      },
    ];
    return s;
  };

  it("prints each row through the template, with Docker's `\\t` escape", async () => {
    const r = await runHandler(
      "images",
      ["--format", "{{.Repository}}\\t{{.Tag}} {{.Digest}}"],
      svc(),
    );
    assert.deepEqual(r, {
      code: 0,
      stdout: `busybox\tlatest sha256:${"d".repeat(64)}\n`,
      stderr: "",
    });
  });

  it("prints Docker's header and aligned columns with a table format", async () => {
    const r = await runHandler(
      "images",
      ["--format", "table {{.Repository}}\t{{.ID}}\t{{.CreatedAt}}"],
      svc(),
    );
    assert.deepEqual(r, {
      code: 0,
      stdout:
        "REPOSITORY   IMAGE ID       CREATED AT\n" +
        "busybox      e4db68de4ff2   2019-06-15 08:19:54 +0000 UTC\n",
      stderr: "",
    });
  });

  it("lets -q win over --format", async () => {
    const r = await runHandler("images", ["-q", "--format", "{{.Tag}}"], svc());
    assert.deepEqual(r, { code: 0, stdout: "e4db68de4ff2\n", stderr: "" });
  });

  it("prints a template error verbatim and exits 1 without listing", async () => {
    const s = svc();
    const r = await runHandler("images", ["--format", "{{.Colour"], s);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, /^Unexpected "\{" or "\}" in operand/);
    assert.equal(s.calls.length, 0);
    const missing = await runHandler("images", ["--format", "{{.Colour}}"], svc());
    assert.deepEqual(missing, {
      code: 1,
      stdout: "",
      stderr: 'Executing "" at <.Colour>: map has no entry for key "Colour"\n',
    });
  });
});
