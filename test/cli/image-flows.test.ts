// The image commands end to end through `./bin/isula` in direct mode, on a store placed in a
// temp dir by daemon.json: load, images, inspect, tag, rmi, save. The archives are built here
// with tar-stream, digests computed by the test. Needs `npm run build` first.
import assert from "node:assert/strict";
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import {
  assertBuilt,
  isula,
  makeSandbox,
  type TestArchive,
  writeDockerArchive,
} from "./harness.ts";

const HEADER =
  "REPOSITORY                     TAG        IMAGE ID             CREATED              SIZE       \n";

describe("image commands end to end", () => {
  const box = makeSandbox();
  const work = join(box.dir, "work");
  let app: TestArchive;
  let other: TestArchive;

  before(async () => {
    assertBuilt();
    app = await writeDockerArchive(join(work, "app.tar"), { repoTags: ["test/app:1"] });
    other = await writeDockerArchive(join(work, "other.tar"), {
      repoTags: ["docker.io/library/other:latest"],
      seed: "two",
      created: "2021-05-06T07:08:09Z",
    });
  });

  it("lists nothing but the header on an empty store", () => {
    assert.deepEqual(isula(box, ["images"]), { code: 0, stdout: HEADER, stderr: "" });
  });

  it("loads an archive given by a relative path and names the absolute path", () => {
    const r = isula(box, ["load", "-i", "app.tar"]);
    assert.deepEqual(r, {
      code: 0,
      stdout: `Load image from "${work}/app.tar" success\n`,
      stderr: "",
    });
  });

  it("lists the loaded image with its short ID and local creation time", () => {
    const r = isula(box, ["images"]);
    assert.equal(r.code, 0);
    const lines = r.stdout.split("\n");
    assert.equal(`${lines[0]}\n`, HEADER);
    const short = app.id.slice(0, 12);
    assert.match(
      lines[1] ?? "",
      new RegExp(`^test/app {23}1 {10}${short} {9}2020-01-02 03:04:05  [0-9.]+KB +$`),
    );
    assert.equal(lines.length, 3);
  });

  it("prints short IDs with -q", () => {
    assert.deepEqual(isula(box, ["images", "-q"]), {
      code: 0,
      stdout: `${app.id.slice(0, 12)}\n`,
      stderr: "",
    });
  });

  it("loads under --tag and normalises docker.io/library names", () => {
    assert.equal(isula(box, ["load", "-i", other.file, "--tag", "renamed:5"]).code, 0);
    const r = isula(box, ["images"]);
    const names = r.stdout
      .split("\n")
      .slice(1, -1)
      .map((l) => l.split(/ +/).slice(0, 2).join(":"));
    assert.deepEqual(names, ["renamed:5", "test/app:1"]); // newest first
  });

  it("filters with -f reference=", () => {
    const r = isula(box, ["images", "-q", "-f", "reference=test/*"]);
    assert.deepEqual(r, { code: 0, stdout: `${app.id.slice(0, 12)}\n`, stderr: "" });
  });

  it("inspects with a template, once per name", () => {
    const r = isula(box, ["inspect", "-f", "{{json .image.id}}", "test/app:1", "renamed:5"]);
    assert.deepEqual(r, { code: 0, stdout: `"${app.id}"\n"${other.id}"\n`, stderr: "" });
  });

  it("inspects without a template as iSulad's pretty-printed list", () => {
    const r = isula(box, ["inspect", "test/app:1"]);
    assert.equal(r.code, 0);
    assert.match(
      r.stdout,
      new RegExp(`^\\[\\n {4}\\{\\n {8}"image": \\{\\n {12}"id": "${app.id}",\\n`),
    );
    assert.match(r.stdout, /\n {4}\}\n\]\n$/);
  });

  it("stops inspect at the first unknown name and prints nothing on stdout", () => {
    const r = isula(box, ["inspect", "test/app:1", "ghost"]);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, "");
    assert.match(
      r.stderr,
      /^Error response from daemon: .+\nInspect error: No such object:ghost\n$/,
    );
  });

  it("tags silently, and the new name lists with the same ID", () => {
    assert.deepEqual(isula(box, ["tag", "test/app:1", "mine/app:2"]), {
      code: 0,
      stdout: "",
      stderr: "",
    });
    const r = isula(box, ["images", "-f", "reference=mine/*"]);
    assert.match(r.stdout, new RegExp(`\\nmine/app {23}2 {10}${app.id.slice(0, 12)} `));
  });

  it("reports a failed tag with iSulad's second line", () => {
    const r = isula(box, ["tag", "ghost", "x:1"]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^Error response from daemon: .+\nTag image "ghost" to "x:1" failed\n$/);
  });

  it("removes names one by one, carrying on after a failure", () => {
    const r = isula(box, ["rmi", "mine/app:2", "ghost", "renamed:5"]);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, 'Image "mine/app:2" removed\nImage "renamed:5" removed\n');
    assert.match(r.stderr, /^Error response from daemon: .+\n$/);
  });

  it("saves to an archive that loads back to the same image", () => {
    const r = isula(box, ["save", "-o", "saved.tar", "test/app:1"]);
    assert.deepEqual(r, { code: 0, stdout: "", stderr: "" });
    const saved = join(work, "saved.tar");
    assert.ok(existsSync(saved) && statSync(saved).size > 0);

    assert.equal(isula(box, ["rmi", "test/app:1"]).code, 0);
    assert.deepEqual(isula(box, ["images", "-q"]), { code: 0, stdout: "", stderr: "" });
    assert.equal(isula(box, ["load", "-i", saved]).code, 0);
    assert.deepEqual(isula(box, ["images", "-q"]).stdout, `${app.id.slice(0, 12)}\n`);
  });

  it("reports a broken archive as a daemon error", () => {
    const r = isula(box, ["load", "-i", join(work, "..", "daemon.json")]);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, /^Error response from daemon: .+\n$/);
  });
});
