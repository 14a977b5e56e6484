import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { FakeService, runHandler } from "./testing/fake-service.ts";

function service(): FakeService {
  const svc = new FakeService();
  svc.docs.set("a", { image: { id: "aaa", repo_tags: ["a:latest"], size: 1 } });
  svc.docs.set("b", { image: { id: "bbb", repo_tags: [], size: 2 } });
  return svc;
}

describe("isula inspect", () => {
  it("requires a name (usage exit 125)", async () => {
    const r = await runHandler("inspect", [], service());
    assert.deepEqual(r, {
      code: 125,
      stdout: "",
      stderr: `"inspect" requires a minimum of 1 argument.\n`,
    });
  });

  it("refuses 1000 names or more (usage exit 125)", async () => {
    const r = await runHandler(
      "inspect",
      Array.from({ length: 1000 }, () => "a"),
      service(),
    );
    assert.deepEqual(r, { code: 125, stdout: "", stderr: "You specify too many arguments.\n" });
  });

  it("pretty-prints every document in one list without -f", async () => {
    const r = await runHandler("inspect", ["a", "b"], service());
    assert.equal(r.code, 0);
    assert.equal(r.stderr, "");
    assert.match(r.stdout, /^\[\n {4}\{\n {8}"image": \{\n {12}"id": "aaa",/);
    assert.match(r.stdout, /\n {4}\},\n {4}\{\n/);
    assert.match(r.stdout, /\n\]\n$/);
  });

  it("renders the template once per document with -f", async () => {
    const r = await runHandler("inspect", ["-f", "{{json .image.id}}", "a", "b"], service());
    assert.deepEqual(r, { code: 0, stdout: '"aaa"\n"bbb"\n', stderr: "" });
  });

  it("accepts -t and ignores it for images", async () => {
    const r = await runHandler("inspect", ["-t", "5", "-f", "{{.image.id}}", "a"], service());
    assert.deepEqual(r, { code: 0, stdout: "aaa\n", stderr: "" });
  });

  it("stops at the first missing name and prints nothing for earlier ones", async () => {
    const svc = service();
    const r = await runHandler("inspect", ["a", "ghost", "b"], svc);
    assert.deepEqual(r, {
      code: 1,
      stdout: "",
      stderr:
        "Error response from daemon: No such image:ghost\nInspect error: No such object:ghost\n",
    });
    assert.deepEqual(
      svc.calls.map((c) => c.args[0]),
      ["a", "ghost"],
    );
  });

  it("prints a template execution error verbatim, then the no-such-object line", async () => {
    const r = await runHandler("inspect", ["-f", "{{.nosuch.id}}", "a"], service());
    assert.equal(r.code, 1);
    assert.equal(r.stdout, "");
    assert.equal(
      r.stderr,
      'Executing "" at <.nosuch.id>: map has no entry for key "nosuch"\nInspect error: No such object:a\n',
    );
  });

  it("prints a template syntax error verbatim before asking the service", async () => {
    const svc = service();
    const r = await runHandler("inspect", ["-f", "{{.image.id", "a"], svc);
    assert.deepEqual(r, {
      code: 1,
      stdout: "",
      stderr: 'Unexpected "{" or "}" in operand, should be "{{ ... }}".\n',
    });
    assert.equal(svc.calls.length, 0);
  });

  it("prints a header row and aligned columns for a table format", async () => {
    const r = await runHandler(
      "inspect",
      ["-f", 'table {{.image.id}}\\t{{join .image.repo_tags ","}}\\t{{.image.size}}', "a", "b"],
      service(),
    );
    assert.deepEqual(r, {
      code: 0,
      stdout: "ID        REPO TAGS   SIZE\naaa       a:latest    1\nbbb                   2\n",
      stderr: "",
    });
  });

  it("refuses `table` with no columns as a usage error", async () => {
    const r = await runHandler("inspect", ["-f", "table", "a"], service());
    assert.deepEqual(r, {
      code: 125,
      stdout: "",
      stderr: "Inspect format parameter invalid: table\n",
    });
  });

  it("treats an empty format as a usage error", async () => {
    const r = await runHandler("inspect", ["-f", "", "a"], service());
    assert.deepEqual(r, { code: 125, stdout: "", stderr: "Inspect format parameter invalid: \n" });
  });
});
