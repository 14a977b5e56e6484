import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { buildTar, gzipTar, type TarSpec } from "../layer/testing/tar-builder.ts";
import { layerContentProblem } from "./layer-content-check.ts";

const root = mkdtempSync(join(tmpdir(), "layer-content-"));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

/** A blob of `entries` (gzip'd when asked) and a diff folder holding `files`. */
function layer(entries: TarSpec[], files: Record<string, string>, gzip = false) {
  const dir = join(root, String(n++));
  const diff = join(dir, "diff");
  mkdirSync(diff, { recursive: true });
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(diff, path, ".."), { recursive: true });
    writeFileSync(join(diff, path), text);
  }
  const tar = buildTar(entries);
  const blob = join(dir, "blob");
  writeFileSync(blob, gzip ? gzipTar(tar) : tar);
  return { blob, diff };
}

const big = "x".repeat(300_000); // more than one read chunk

describe("layerContentProblem", () => {
  it("passes a layer whose files match its blob, plain or gzip", async () => {
    const entries: TarSpec[] = [
      { name: "etc/", type: "dir" },
      { name: "etc/a", body: "alpha\n" },
      { name: "big", body: big },
      { name: "empty", body: "" },
    ];
    const files = { "etc/a": "alpha\n", big, empty: "" };
    for (const gzip of [false, true]) {
      const l = layer(entries, files, gzip);
      assert.equal(await layerContentProblem(l.blob, l.diff), undefined);
    }
  });

  it("finds a changed byte, a changed size and a missing file", async () => {
    const entries: TarSpec[] = [{ name: "big", body: big }];
    const changed = layer(entries, { big: `${big.slice(0, 299_999)}y` });
    // The last byte differs: reported with the offset of the chunk that holds it.
    assert.match(
      (await layerContentProblem(changed.blob, changed.diff)) ?? "",
      /^file "big" differs from the layer near byte [1-9]\d*$/,
    );
    const shorter = layer(entries, { big: big.slice(1) });
    assert.equal(
      await layerContentProblem(shorter.blob, shorter.diff),
      'file "big" has 299999 bytes, not 300000',
    );
    const missing = layer(entries, {});
    assert.equal(await layerContentProblem(missing.blob, missing.diff), 'file "big" is missing');
  });

  it("does not follow a symlink where a file should be", async () => {
    const l = layer([{ name: "a", body: "alpha\n" }], { target: "alpha\n" });
    symlinkSync("target", join(l.diff, "a"));
    assert.match((await layerContentProblem(l.blob, l.diff)) ?? "", /^file "a" cannot be read/);
  });

  it("counts the last entry of a path, and skips whiteouts and links", async () => {
    const entries: TarSpec[] = [
      { name: "a", body: "first\n" },
      { name: "a", body: "second\n" },
      { name: ".wh.gone", body: "" },
      { name: "b", type: "link", linkname: "a" },
      { name: "c", type: "symlink", linkname: "a" },
    ];
    const l = layer(entries, { a: "second\n" });
    assert.equal(await layerContentProblem(l.blob, l.diff), undefined);
  });

  it("reports a blob that is not a tar", async () => {
    const l = layer([], {});
    writeFileSync(l.blob, Buffer.from([0x1f, 0x8b, 1, 2, 3]));
    assert.match((await layerContentProblem(l.blob, l.diff)) ?? "", /^reading the layer blob: /);
  });
});
