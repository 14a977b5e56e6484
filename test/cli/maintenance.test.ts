// `isula history`, `isula import`, `isula image prune`, and `--format` tables end to end through
// `./bin/isula` (issue #7), in direct mode; test/cli-daemon re-runs it through a daemon.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { humanSize } from "../../src/cli/docker-units.ts";
import { makeImageDir, writeManifest } from "../../src/embedded/testing/fixtures.ts";
import { buildTar } from "../../src/layer/testing/tar-builder.ts";
import {
  assertBuilt,
  ensureDaemon,
  isula,
  makeSandbox,
  ROOT,
  type TestArchive,
  writeDockerArchive,
} from "./harness.ts";

const ROOTFS = buildTar([
  { name: "etc/", type: "dir" },
  { name: "etc/os-release", body: "ID=imported\n" },
  { name: "bin/sh", body: "#!/bin/true\n".repeat(500) },
]);
const DIFF_ID = `sha256:${createHash("sha256").update(ROOTFS).digest("hex")}`;

describe("history, import, prune and --format end to end", () => {
  const box = makeSandbox();
  const work = join(box.dir, "work");
  let app: TestArchive;

  before(async () => {
    assertBuilt();
    app = await writeDockerArchive(join(work, "app.tar"), { repoTags: ["test/app:1"] });
    writeFileSync(join(work, "rootfs.tar"), ROOTFS);
    const xz = spawnSync("xz", ["-c"], { input: ROOTFS });
    writeFileSync(join(work, "rootfs.tar.xz"), xz.stdout);
    writeFileSync(join(work, "evil.tar"), buildTar([{ name: "../../x", body: "x" }]));
    assert.equal(isula(box, ["load", "-i", "app.tar"]).code, 0);
  });

  it("shows a loaded image's history newest first with its layer sizes", () => {
    const r = isula(box, ["history", "test/app:1"]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.split("\n");
    assert.match(lines[0] ?? "", /^IMAGE {10}CREATED {7}CREATED BY {3}SIZE {6}COMMENT$/);
    assert.match(
      lines[1] ?? "",
      new RegExp(
        `^${app.id.slice(0, 12)} {3}\\d+ years ago {3}layer two {4}\\d+(\\.\\d+)?kB {3,}$`,
      ),
    );
    assert.match(lines[2] ?? "", /^<missing> {6}\d+ years ago {3}layer one {4}\d+(\.\d+)?kB {3,}$/);
    assert.equal(lines.length, 4);
    assert.deepEqual(
      isula(box, ["history", "-q", "--no-trunc", "test/app:1"]).stdout,
      `sha256:${app.id}\n<missing>\n`,
    );
  });

  it("lists an embedded image's layers from its manifest, newest first", () => {
    const made = makeImageDir(join(work, "embedded"), "emb:v1");
    const manifest = writeManifest(made.dir, made.doc);
    const load = isula(box, ["load", "-i", manifest, "--type", "embedded"]);
    assert.equal(load.code, 0, load.stderr);
    const id = createHash("sha256").update(readFileSync(manifest)).digest("hex");
    const size = (file: string) => humanSize(statSync(join(made.dir, file)).size, 3);

    const q = isula(box, ["history", "-q", "--no-trunc", "emb:v1"]);
    assert.equal(q.stdout, `sha256:${id}\n<missing>\n<missing>\n<missing>\n`, q.stderr);
    const f = isula(box, [
      "history",
      "--format",
      "{{.CreatedBy}}|{{.Size}}|{{.Comment}}",
      "emb:v1",
    ]);
    assert.equal(f.code, 0, f.stderr);
    assert.equal(
      f.stdout,
      "conf:/etc/app|0B|\n" +
        `platform.img:/usr/platform|${size("platform.img")}|\n` +
        `app.img:/home/home|${size("app.img")}|\n` +
        "/:/|0B|\n",
    );
    const table = isula(box, ["history", "emb:v1"]).stdout.split("\n");
    assert.match(
      table[1] ?? "",
      new RegExp(`^${id.slice(0, 12)} {3}\\d+ years ago {3}conf:/etc/app `),
    );
    assert.equal(table.length, 6, "a header, four layers and the final newline");
    assert.equal(isula(box, ["rmi", "emb:v1"]).code, 0, "prune below expects no image left");
  });

  it("says which image is missing for history", () => {
    assert.deepEqual(isula(box, ["history", "ghost"]), {
      code: 1,
      stdout: "",
      stderr: "Error response from daemon: No such image:ghost\n",
    });
  });

  it("imports a plain and an xz rootfs tarball, and one from stdin", () => {
    const plain = isula(box, ["import", "rootfs.tar", "imported:plain"]);
    assert.equal(plain.code, 0, plain.stderr);
    assert.match(plain.stdout, /^sha256:[0-9a-f]{64}\n$/);
    const xz = isula(box, ["image", "import", "rootfs.tar.xz", "imported:xz"]);
    assert.equal(xz.code, 0, xz.stderr);

    ensureDaemon(box);
    const piped = spawnSync(join(ROOT, "bin", "isula"), ["import", "-", "imported:stdin"], {
      cwd: work,
      env: box.env,
      input: ROOTFS,
      encoding: "utf8",
    });
    assert.equal(piped.status, 0, piped.stderr);
    const id = piped.stdout.trim().slice("sha256:".length);

    const diffIds = isula(box, [
      "inspect",
      "-f",
      "{{json .image.Spec.rootfs.diff_ids}}",
      "imported:stdin",
    ]);
    assert.equal(diffIds.stdout, `[\n    "${DIFF_ID}"\n]\n`);
    const history = isula(box, [
      "history",
      "--format",
      "{{.ID}}|{{.CreatedBy}}|{{.Comment}}",
      "imported:stdin",
    ]);
    assert.equal(history.stdout, `${id.slice(0, 12)}||Imported from -\n`);
  });

  it("refuses a hostile tarball and a missing file, and stores nothing", () => {
    const before = isula(box, ["images", "-q"]).stdout;
    const evil = isula(box, ["import", "evil.tar", "evil:1"]);
    assert.equal(evil.code, 1);
    assert.equal(
      evil.stderr,
      'Error response from daemon: importing rootfs tarball: entry "../../x" escapes the layer root\n' +
        'Import tarball "evil.tar" to "evil:1" failed\n',
    );
    assert.deepEqual(isula(box, ["import", "nope.tar", "x:1"]), {
      code: 1,
      stdout: "",
      stderr: `File ${work}/nope.tar is not exist\n`,
    });
    assert.equal(isula(box, ["images", "-q"]).stdout, before);
  });

  it("prints images through a table format with Docker's headers", () => {
    const r = isula(box, [
      "images",
      "-f",
      "reference=test/*",
      "--format",
      "table {{.Repository}}\\t{{.Tag}}\\t{{.ID}}\\t{{.CreatedAt}}",
    ]);
    assert.deepEqual(r, {
      code: 0,
      stdout:
        "REPOSITORY   TAG       IMAGE ID       CREATED AT\n" +
        `test/app     1         ${app.id.slice(0, 12)}   2020-01-02 03:04:05 +0000 UTC\n`,
      stderr: "",
    });
    const inspect = isula(box, [
      "inspect",
      "-f",
      "table {{.image.id}}\\t{{.image.size}}",
      "test/app:1",
    ]);
    assert.match(inspect.stdout, new RegExp(`^ID {65}SIZE\n${app.id}   \\d+\n$`));
  });

  it("refuses to prune without -f when nobody can answer, then prunes dangling and all", () => {
    assert.deepEqual(isula(box, ["image", "prune"]), {
      code: 1,
      stdout: "",
      stderr: "image prune needs confirmation: use -f to prune without a terminal\n",
    });
    // A dangling image: take the only name off the plain import.
    const plainId = isula(box, ["images", "-q", "-f", "reference=imported:plain"]).stdout.trim();
    assert.equal(isula(box, ["tag", "imported:plain", "moved:1"]).code, 0);
    assert.equal(isula(box, ["rmi", "imported:plain"]).code, 0);
    assert.equal(isula(box, ["rmi", "moved:1"]).code, 0);
    const stillThere = isula(box, ["images", "-q", "-f", "dangling=true"]).stdout;
    assert.equal(stillThere, "");
    assert.match(plainId, /^[0-9a-f]{12}$/);

    const dangling = isula(box, ["import", "rootfs.tar", "temp:1"]);
    const danglingId = dangling.stdout.trim().slice(7);
    assert.equal(isula(box, ["tag", "imported:xz", "temp:1"]).code, 0);
    const r = isula(box, ["image", "prune", "-f"]);
    assert.deepEqual(r, {
      code: 0,
      stdout: `Deleted Images:\ndeleted: sha256:${danglingId}\n\nTotal reclaimed space: 0B\n`,
      stderr: "",
    });

    const all = isula(box, ["image", "prune", "--all", "--force"]);
    assert.equal(all.code, 0, all.stderr);
    assert.match(
      all.stdout,
      /^Deleted Images:\n((untagged: \S+\n)*deleted: sha256:[0-9a-f]{64}\n)+\nTotal reclaimed space: \d+(\.\d+)?kB\n$/,
    );
    assert.equal(isula(box, ["image", "ls", "-q"]).stdout, "");
  });
});
