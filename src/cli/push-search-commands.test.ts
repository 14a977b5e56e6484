import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { imageError } from "../errors.ts";
import { FakeService, FakeTerminal, runHandler } from "./testing/fake-service.ts";

describe("isula push", () => {
  it("prints the repository, one line per settled layer and the digest line on stdout", async () => {
    const svc = new FakeService();
    svc.pushProgress = [
      { id: "aaaaaaaaaaaa", current: 0, total: 10, status: "pushing" },
      { id: "aaaaaaaaaaaa", current: 10, total: 10, status: "pushed" },
      { id: "bbbbbbbbbbbb", current: 5, total: 5, status: "exists" },
      { id: "cccccccccccc", current: 7, total: 7, status: "mounted", from: "team/base" },
      { id: "aaaaaaaaaaaa", current: 10, total: 10, status: "pushed" },
    ];
    const r = await runHandler("push", ["reg:5000/a/b:2"], svc, "/", new FakeTerminal());
    assert.deepEqual(r, {
      code: 0,
      stdout:
        "The push refers to repository [reg:5000/a/b]\n" +
        "aaaaaaaaaaaa: Pushed\n" +
        "bbbbbbbbbbbb: Layer already exists\n" +
        "cccccccccccc: Mounted from team/base\n" +
        `2: digest: sha256:${"d".repeat(64)} size: 528\n`,
      stderr: "",
    });
    assert.equal((svc.calls[0]?.args[0] as { name?: string } | undefined)?.name, "reg:5000/a/b:2");
  });

  it("names Docker Hub repositories in full", async () => {
    const r = await runHandler("push", ["busybox"], new FakeService(), "/", new FakeTerminal());
    assert.match(r.stdout, /^The push refers to repository \[docker\.io\/library\/busybox\]\n/);
  });

  it("checks its argument before calling the service", async () => {
    const svc = new FakeService();
    const none = await runHandler("push", [], svc, "/", new FakeTerminal());
    assert.deepEqual(none, { code: 1, stdout: "", stderr: "push requires 1 argument.\n" });
    const bad = await runHandler("push", ["UPPER/case"], svc, "/", new FakeTerminal());
    assert.deepEqual(bad, { code: 1, stdout: "", stderr: "Invalid image name: UPPER/case\n" });
    assert.equal(svc.calls.length, 0);
  });

  it("prints a failure bare on stderr and exits 1", async () => {
    const svc = new FakeService();
    svc.failWith.set(
      "push",
      imageError("NotFound", "An image does not exist locally with the tag: a:1"),
    );
    const r = await runHandler("push", ["a:1"], svc, "/", new FakeTerminal());
    assert.equal(r.code, 1);
    assert.equal(r.stderr, "An image does not exist locally with the tag: a:1\n");
  });
});

describe("isula search", () => {
  const results = [
    {
      name: "x/long",
      description: "line one\nline two, which makes this description longer than 45",
      starCount: 3,
      isOfficial: false,
      isAutomated: true,
    },
  ];

  it("sends term, limit (default 25) and filters by key", async () => {
    const svc = new FakeService();
    const r = await runHandler("search", ["-f", "stars=2", "-f", "IS-OFFICIAL=true", "t"], svc);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(svc.calls[0]?.args[0], {
      term: "t",
      limit: 25,
      filters: { stars: ["2"], "is-official": ["true"] },
    });
    assert.match(r.stdout, /^NAME +DESCRIPTION +STARS +OFFICIAL +AUTOMATED\n$/);
  });

  it("cuts descriptions at 45 characters on one line unless --no-trunc", async () => {
    const svc = new FakeService();
    svc.searchResults = results;
    const fmt = ["--format", "{{.Description}}|{{.IsOfficial}}|{{.IsAutomated}}|{{.StarCount}}"];
    const cut = await runHandler("search", [...fmt, "t"], svc);
    assert.equal(cut.stdout, "line one line two, which makes this descri...||[OK]|3\n");
    const full = await runHandler("search", ["--no-trunc", ...fmt, "t"], svc);
    assert.equal(
      full.stdout,
      "line one line two, which makes this description longer than 45||[OK]|3\n",
    );
  });

  it("rejects bad arguments without calling the service", async () => {
    const svc = new FakeService();
    const cases: [string[], string][] = [
      [[], `"search" requires exactly 1 argument.\n`],
      [["a", "b"], `"search" requires exactly 1 argument.\n`],
      [["-f", "stars", "t"], "Bad format of filter 'stars', expected name=value\n"],
    ];
    for (const [argv, stderr] of cases) {
      const r = await runHandler("search", argv, svc);
      assert.deepEqual(r, { code: 1, stdout: "", stderr }, argv.join(" "));
    }
    assert.equal(svc.calls.length, 0);
  });
});
