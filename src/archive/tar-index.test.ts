import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { open } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { IndexedView } from "./archive-view.ts";
import { cleanMemberName } from "./member-path.ts";
import { indexTarFile } from "./tar-index.ts";

const root = mkdtempSync(join(tmpdir(), "tar-index-test-"));
after(() => rmSync(root, { recursive: true, force: true }));

const longDir = `${"d".repeat(120)}/${"e".repeat(90)}`;

/** A tree with a long path, a relative symlink to a file and a hardlink, packed by GNU tar. */
let made = 0;
function gnuTar(format: "gnu" | "posix" | "ustar"): string {
  const src = join(root, `src-${format}-${made++}`);
  mkdirSync(join(src, longDir), { recursive: true });
  writeFileSync(join(src, longDir, "config.json"), '{"ok":true}');
  mkdirSync(join(src, "layer-a"));
  writeFileSync(join(src, "layer-a", "layer.tar"), "A".repeat(1000));
  mkdirSync(join(src, "layer-b"));
  symlinkSync("../layer-a/layer.tar", join(src, "layer-b", "layer.tar"));
  const file = join(root, `${format}-${made}.tar`);
  const args = ["-C", src, `--format=${format}`, "-cf", file, "layer-a", "layer-b"];
  if (format !== "ustar") args.push(longDir.split("/")[0] as string);
  execFileSync("tar", args);
  return file;
}

async function indexOf(file: string) {
  const fh = await open(file, "r");
  try {
    const { size } = await fh.stat();
    return { fh, index: await indexTarFile(fh, size) };
  } catch (err) {
    await fh.close();
    throw err;
  }
}

describe("indexTarFile", () => {
  for (const format of ["gnu", "posix"] as const) {
    test(`reads ${format} long names and follows a relative symlink`, async () => {
      const { fh, index } = await indexOf(gnuTar(format));
      try {
        const view = new IndexedView(fh, index);
        assert.equal(String(await view.read(`${longDir}/config.json`)), '{"ok":true}');
        assert.equal(view.resolve("layer-b/layer.tar"), "layer-a/layer.tar");
        assert.equal(index.members.get("layer-b/layer.tar")?.kind, "symlink");
        assert.equal((await view.read("./layer-b/layer.tar")).length, 1000);
        assert.equal(index.ended, true);
      } finally {
        await fh.close();
      }
    });
  }

  test("an archive without end-of-archive blocks is read, and marked as not ended", async () => {
    const full = readFileSync(gnuTar("ustar"));
    const file = join(root, "no-end.tar");
    // Drop the zero blocks at the end (the last body is not all zeros, so it stays whole).
    let end = full.length;
    while (end > 0 && full.subarray(end - 512, end).every((b) => b === 0)) end -= 512;
    writeFileSync(file, full.subarray(0, end));
    const { fh, index } = await indexOf(file);
    await fh.close();
    assert.equal(index.ended, false);
    assert.ok(index.members.has("layer-a/layer.tar"));
  });

  test("refuses a body running past the end of the file, and a file that is no tar", async () => {
    const full = readFileSync(gnuTar("ustar"));
    const cut = join(root, "cut.tar");
    writeFileSync(cut, full.subarray(0, 512 * 4 + 100));
    await assert.rejects(indexOf(cut), {
      kind: "InvalidArgument",
      message: "archive is truncated",
    });
    const junk = join(root, "junk");
    writeFileSync(junk, Buffer.alloc(2048, 0x41));
    await assert.rejects(indexOf(junk), { message: "the file is not a tar archive" });
  });
});

describe("cleanMemberName", () => {
  const table: [string, string][] = [
    ["./manifest.json", "manifest.json"],
    ["/blobs/sha256/ab", "blobs/sha256/ab"],
    ["a//b/../c/", "a/c"],
  ];
  for (const [input, output] of table) {
    test(`cleanMemberName maps "${input}" to "${output}"`, () => {
      assert.equal(cleanMemberName(input), output);
    });
  }
  test("cleanMemberName refuses a path that leaves the archive", () => {
    assert.throws(() => cleanMemberName("a/../../etc/passwd"), /points outside the archive/);
  });
});
