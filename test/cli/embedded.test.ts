// Embedded images end to end through `./bin/isula` in direct mode (issue #5, user guide
// "Embedded Image Management"): load with --type/-t embedded, reload, images beside a docker
// image, inspect -f, rmi leaving the layer files, conflicts. Needs `npm run build` first.
import assert from "node:assert/strict";
import { cpSync, existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { makeImageDir, writeManifest } from "../../src/embedded/testing/fixtures.ts";
import { assertBuilt, isula, makeSandbox, writeDockerArchive } from "./harness.ts";

describe("embedded images end to end", () => {
  const box = makeSandbox();
  const work = join(box.dir, "work");
  let dir: string;
  let manifest: string;
  let id: string;

  before(async () => {
    assertBuilt();
    const made = makeImageDir(work);
    dir = made.dir;
    manifest = writeManifest(dir, made.doc);
    await writeDockerArchive(join(work, "busybox.tar"), { repoTags: ["busybox:latest"] });
  });

  it("loads a manifest with --type embedded, relative path shown absolute", () => {
    const r = isula(box, ["load", "-i", "img/test.manifest", "--type", "embedded"]);
    assert.deepEqual(r, {
      code: 0,
      stdout: `Load image from "${work}/img/test.manifest" success\n`,
      stderr: "",
    });
  });

  it("loads the same manifest again with -t embedded as a no-op", () => {
    const r = isula(box, ["load", "-i", manifest, "-t", "embedded"]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `Load image from "${manifest}" success\n`);
  });

  it("lists the embedded image beside a docker image", () => {
    assert.equal(isula(box, ["load", "-i", "busybox.tar"]).code, 0);
    const r = isula(box, ["images"]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.split("\n");
    const size = statSync(join(dir, "app.img")).size + statSync(join(dir, "platform.img")).size;
    assert.match(lines[0] as string, /^REPOSITORY +TAG +IMAGE ID +CREATED +SIZE +$/);
    // Newest first: the docker image (2020) above the embedded one (2018).
    assert.match(lines[1] as string, /^busybox +latest /);
    const row = lines[2] as string;
    assert.match(row, /^test +v1 +[0-9a-f]{12} +2018-03-01 15:55:44 +\S+ +$/);
    id = row.split(/ +/)[2] as string;
    assert.ok(row.includes(`${(size / 1024).toFixed(3)}KB`), row);

    const filtered = isula(box, ["images", "-f", "reference=test*"]);
    assert.match(filtered.stdout, /\ntest +v1 /);
    assert.doesNotMatch(filtered.stdout, /busybox/);
  });

  it("inspects the manifest: -f '{{json .created}}' prints its created time", () => {
    const r = isula(box, ["inspect", "-f", "{{json .created}}", "test:v1"]);
    assert.deepEqual(r, { code: 0, stdout: '"2018-03-01T15:55:44.322987811Z"\n', stderr: "" });
    const full = isula(box, ["inspect", "test:v1"]);
    assert.equal(full.code, 0);
    assert.match(full.stdout, /"imageName": "test:v1"/);
    const missing = isula(box, ["inspect", "-f", "{{json .abc}}", "test:v1"]);
    assert.equal(missing.code, 1);
  });

  it("refuses the same name from a copied folder", () => {
    cpSync(dir, join(work, "img2"), { recursive: true });
    const r = isula(box, ["load", "-i", "img2/test.manifest", "-t", "embedded"]);
    assert.deepEqual(r, {
      code: 1,
      stdout: "",
      stderr: "Error response from daemon: Image name is conflicted in the database\n",
    });
  });

  it("refuses a docker image taking the embedded image's name", () => {
    const r = isula(box, ["tag", "busybox:latest", "test:v1"]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /image name "test:v1" is held by an embedded image/);
  });

  it("prints iSulad's message for a broken manifest", () => {
    const r = isula(box, ["load", "-i", "/dev/zero", "-t", "embedded"]);
    assert.deepEqual(r, {
      code: 1,
      stdout: "",
      stderr: "Error response from daemon: Invalid manifest: manifest is not a regular file\n",
    });
  });

  it("removes it with rmi; the manifest and layer files stay", () => {
    const r = isula(box, ["rmi", "test:v1"]);
    assert.deepEqual(r, { code: 0, stdout: 'Image "test:v1" removed\n', stderr: "" });
    for (const f of ["test.manifest", "test.sgn", "app.img", "platform.img", "conf"]) {
      assert.ok(existsSync(join(dir, f)), f);
    }
    assert.doesNotMatch(isula(box, ["images"]).stdout, /test +v1/);
    assert.doesNotMatch(isula(box, ["images", "-q"]).stdout, new RegExp(id));
    const again = isula(box, ["rmi", "test:v1"]);
    assert.equal(again.stderr, "Error response from daemon: No such image:test:v1\n");
  });

  it("refuses an embedded image whose name a docker image holds", () => {
    const made = makeImageDir(join(work, "bb"), "busybox:latest");
    const file = writeManifest(made.dir, made.doc);
    const r = isula(box, ["load", "-i", file, "-t", "embedded"]);
    assert.equal(r.code, 1);
    assert.equal(
      r.stderr,
      'Error response from daemon: Image name is conflicted in the database: "busybox:latest" is the name of a docker image\n',
    );
  });
});
