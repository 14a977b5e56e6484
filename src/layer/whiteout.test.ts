import assert from "node:assert/strict";
import { existsSync, lstatSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { getAttributeSync } from "@napi-rs/xattr";
import { applyLayer } from "./apply-layer.ts";
import { sandbox } from "./testing/sandbox.ts";
import { buildTar, type TarSpec } from "./testing/tar-builder.ts";
import { detectWhiteoutFormat, OPAQUE_XATTR } from "./whiteout.ts";

const root = process.geteuid?.() === 0;
const overlaySkip = !root && "overlay whiteouts need root (mknod of a 0/0 device, trusted.* xattr)";

const layer: TarSpec[] = [
  { name: "etc/", type: "dir" },
  { name: "etc/.wh.passwd", uid: 5, gid: 6 },
  { name: "var/cache/.wh..wh..opq" },
  { name: "var/cache/new", body: "n" },
  { name: ".wh.top" },
  { name: "lib/.wh..wh.plnk" },
  { name: "usr/keep", body: "k" },
  { name: "usr/.wh.keep" },
];

describe("whiteouts", () => {
  it("become 0/0 character devices and opaque xattrs in overlay format", {
    skip: overlaySkip,
  }, async (t) => {
    const box = sandbox(t);
    const path = box.file("l.tar", buildTar(layer));
    await applyLayer({
      source: { kind: "file", path },
      target: box.target,
      whiteoutFormat: "overlay",
    });
    for (const rel of ["etc/passwd", "top", "usr/keep"]) {
      const st = lstatSync(join(box.target, rel));
      assert.ok(st.isCharacterDevice(), `${rel} is a character device`);
      assert.equal(st.rdev, 0);
    }
    assert.deepEqual(
      [
        lstatSync(join(box.target, "etc/passwd")).uid,
        lstatSync(join(box.target, "etc/passwd")).gid,
      ],
      [5, 6],
    );
    assert.deepEqual(
      getAttributeSync(join(box.target, "var/cache"), OPAQUE_XATTR),
      Buffer.from("y"),
    );
    assert.equal(readFileSync(join(box.target, "var/cache/new"), "utf8"), "n");
    // No marker file survives, and AUFS bookkeeping names are dropped.
    const all = readdirSync(box.target, { recursive: true }) as string[];
    assert.deepEqual(
      all.filter((p) => p.includes(".wh.")),
      [],
    );
    assert.equal(existsSync(join(box.target, "lib")), false);
  });

  it("stay as .wh. marker files in aufs format", async (t) => {
    const box = sandbox(t);
    const path = box.file("l.tar", buildTar(layer));
    await applyLayer({
      source: { kind: "file", path },
      target: box.target,
      whiteoutFormat: "aufs",
    });
    for (const rel of [
      "etc/.wh.passwd",
      "var/cache/.wh..wh..opq",
      ".wh.top",
      "lib/.wh..wh.plnk",
      "usr/.wh.keep",
    ]) {
      assert.ok(lstatSync(join(box.target, rel)).isFile(), rel);
    }
    assert.equal(readFileSync(join(box.target, "usr/keep"), "utf8"), "k");
    assert.equal(existsSync(join(box.target, "etc/passwd")), false);
  });

  it("refuses a marker that names nothing", { skip: overlaySkip }, async (t) => {
    const box = sandbox(t);
    const path = box.file("l.tar", buildTar([{ name: "a/.wh." }]));
    await assert.rejects(
      applyLayer({ source: { kind: "file", path }, target: box.target, whiteoutFormat: "overlay" }),
      /whiteout "a\/.wh." names nothing/,
    );
    assert.equal(existsSync(box.target), false);
  });

  it("detectWhiteoutFormat probes once and leaves nothing behind", async (t) => {
    const box = sandbox(t);
    const first = detectWhiteoutFormat(box.dir);
    assert.equal(detectWhiteoutFormat(box.dir), first);
    assert.equal(await first, root ? "overlay" : "aufs");
    assert.deepEqual(readdirSync(box.dir), []);
  });
});
