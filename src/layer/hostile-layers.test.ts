import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { gzipSync } from "node:zlib";
import { applyLayer } from "./apply-layer.ts";
import { imageErrorLike, sandbox } from "./testing/sandbox.ts";
import { buildTar, gzipTar, header, pad, type TarSpec, zstdTar } from "./testing/tar-builder.ts";

/** `outside` is a directory beside the layer directory that no entry may touch. */
type Hostile = [what: string, tar: (outside: string) => Buffer, pattern: RegExp, kind?: string];

const tar = (entries: TarSpec[]) => buildTar(entries);

const cases: Hostile[] = [
  [
    "a ../ name",
    () => tar([{ name: "../escape", body: "x" }]),
    /"..\/escape" escapes the layer root/,
  ],
  ["a ../ in the middle", () => tar([{ name: "a/../../escape" }]), /escapes the layer root/],
  [
    "a file written through a symlink to outside",
    (outside) =>
      tar([{ name: "link", type: "symlink", linkname: outside }, { name: "link/pwned" }]),
    /"link\/pwned" is below the symlink "link"/,
  ],
  [
    "a file written through a relative symlink",
    () => tar([{ name: "up", type: "symlink", linkname: ".." }, { name: "up/pwned" }]),
    /is below the symlink "up"/,
  ],
  [
    "a directory made through a symlink",
    (outside) =>
      tar([
        { name: "l", type: "symlink", linkname: outside },
        { name: "l/d/", type: "dir" },
      ]),
    /below the symlink "l"/,
  ],
  [
    "a symlink loop used as a parent",
    () =>
      tar([
        { name: "a", type: "symlink", linkname: "b" },
        { name: "b", type: "symlink", linkname: "a" },
        { name: "a/x" },
      ]),
    /below the symlink "a"/,
  ],
  [
    "a hardlink to a file outside",
    (outside) =>
      tar([{ name: "h", type: "link", linkname: `../${outside.split("/").pop()}/secret` }]),
    /escapes the layer root/,
  ],
  [
    "a hardlink to an absolute path not in the layer",
    () => tar([{ name: "h", type: "link", linkname: "/etc/passwd" }]),
    /points to "etc\/passwd", not in this layer/,
  ],
  [
    "a hardlink through a symlink",
    (outside) =>
      tar([
        { name: "l", type: "symlink", linkname: outside },
        { name: "h", type: "link", linkname: "l/secret" },
      ]),
    /not in this layer/,
  ],
  [
    "a hardlink to a directory",
    () =>
      tar([
        { name: "d/", type: "dir" },
        { name: "h", type: "link", linkname: "d" },
      ]),
    /a directory/,
  ],
  [
    "an entry below a regular file",
    () => tar([{ name: "f", body: "x" }, { name: "f/x" }]),
    /below the non-directory "f"/,
  ],
  [
    "a file replacing the root",
    () => tar([{ name: "./", body: "x" }]),
    /would replace the layer root/,
  ],
  [
    "a 64 KiB GNU long name",
    () => tar([{ name: "n".repeat(65536), longNames: "gnu" }]),
    /too long/,
  ],
  ["a 64 KiB PAX path", () => tar([{ name: "n/".repeat(32768) }]), /too long/],
  ["a 300-byte component", () => tar([{ name: "c".repeat(300) }]), /component too long/],
  ["a NUL in a PAX path", () => tar([{ name: "x", pax: { path: "a\u0000b" } }]), /NUL/],
  [
    "an empty symlink target",
    () => tar([{ name: "s", type: "symlink", linkname: "" }]),
    /empty target/,
  ],
  [
    "a negative size",
    () => Buffer.concat([header({ name: "a", typeflag: "0", size: -1 })]),
    /negative/,
  ],
  [
    "a huge size with no body",
    () =>
      Buffer.concat([header({ name: "a", typeflag: "0", size: 2n ** 40n }), Buffer.alloc(4096)]),
    /truncated/,
  ],
  [
    "a PAX record lying about its length",
    () => {
      const body = Buffer.from("30 path=short\n");
      return Buffer.concat([
        header({ name: "p", typeflag: "x", size: body.length }),
        ...pad(body),
        tar([{ name: "a" }]),
      ]);
    },
    /invalid PAX record/,
  ],
  [
    "a truncated body",
    () => tar([{ name: "a", body: "x".repeat(5000) }]).subarray(0, 2048),
    /truncated/,
  ],
  [
    "corrupt gzip",
    () => Buffer.concat([gzipTar(tar([{ name: "a" }])).subarray(0, 20), Buffer.alloc(64, 7)]),
    /decompressing gzip/,
  ],
  [
    "truncated gzip",
    () => gzipTar(tar([{ name: "a", body: "y".repeat(9000) }])).subarray(0, 40),
    /decompressing gzip|truncated/,
  ],
  [
    "truncated zstd",
    () => zstdTar(tar([{ name: "a", body: "z".repeat(9000) }])).subarray(0, 30),
    /decompressing zstd|truncated/,
  ],
  [
    "a GNU sparse entry",
    () => tar([{ name: "s", typeflag: "S" }]),
    /unsupported type/,
    "NotImplemented",
  ],
];

describe("applyLayer refuses hostile layers", () => {
  for (const [what, make, pattern, kind] of cases) {
    it(`refuses ${what}, writes nothing outside and removes the target`, async (t) => {
      const box = sandbox(t);
      const outside = join(box.dir, "outside");
      mkdirSync(outside);
      writeFileSync(join(outside, "secret"), "untouched");
      const source = box.file("layer.tar", make(outside));
      const blobPath = join(box.dir, "blob");
      const before = box.list();
      await assert.rejects(
        applyLayer({
          source: { kind: "file", path: source },
          target: box.target,
          whiteoutFormat: "overlay",
          blobPath,
        }),
        imageErrorLike(kind ?? "InvalidArgument", pattern),
      );
      assert.equal(existsSync(box.target), false);
      assert.equal(existsSync(blobPath), false);
      assert.deepEqual(box.list(), before);
      assert.equal(readFileSync(join(outside, "secret"), "utf8"), "untouched");
    });
  }

  it("accepts padding after the end of the archive, up to 8 MiB", async (t) => {
    const box = sandbox(t);
    const body = Buffer.concat([tar([{ name: "a", body: "x" }]), Buffer.alloc(4 << 20)]);
    const layer = box.file("padded.tar.gz", gzipSync(body, { level: 9 }));
    const r = await applyLayer({
      source: { kind: "file", path: layer },
      target: box.target,
      whiteoutFormat: "aufs",
    });
    assert.equal(r.diffSize, body.length);
  });

  it("refuses a gzip bomb of zeros after the end, with bounded memory", async (t) => {
    const box = sandbox(t);
    // 64 MiB of zero blocks after the end marker compress to about 64 KiB (ratio 1000:1).
    const body = Buffer.concat([tar([{ name: "a", body: "x" }]), Buffer.alloc(64 << 20)]);
    const bomb = box.file("bomb.tar.gz", gzipSync(body, { level: 9 }));
    const rss = process.memoryUsage().rss;
    const started = Date.now();
    await assert.rejects(
      applyLayer({
        source: { kind: "file", path: bomb },
        target: box.target,
        whiteoutFormat: "aufs",
      }),
      imageErrorLike("InvalidArgument", /more than 8388608 bytes after its end/),
    );
    assert.equal(existsSync(box.target), false);
    assert.ok(process.memoryUsage().rss - rss < 128 << 20, "memory grew by more than 128 MiB");
    assert.ok(Date.now() - started < 20_000, "the bomb was inflated to the end");
  });
});

/**
 * Where a tar stream may stop (issue #6). GNU tar 1.34 decides each of these the same way
 * (`tar -tf`: "Unexpected EOF in archive" for the refused ones), checked below as well, but
 * two: it refuses a last body with no padding at all, which umoci 0.4 writes (nothing is lost,
 * so we accept it), and it silently drops a cut header, which loses a member (we refuse it).
 * One member of 1200 bytes: header 0-512, body 512-1712, padding 1712-2048, end blocks 2048-3072.
 */
const whole = buildTar([{ name: "f", body: "x".repeat(1200) }]);
const cut = (end: number) => () => whole.subarray(0, end);
const truncations: Array<[what: string, make: () => Buffer, accepted: boolean]> = [
  ["data cut mid-member", cut(1100), false],
  ["the member's padding cut", cut(1800), false],
  // umoci 0.4 writes layers so (GNU tar refuses them, though nothing is lost).
  ["the last member's padding missing entirely", cut(1712), true],
  [
    "a second member's header cut",
    () => Buffer.concat([whole.subarray(0, 2048), whole.subarray(0, 300)]),
    false,
  ],
  ["no end-of-archive blocks after a complete member", cut(2048), true],
  ["only one of the two zero blocks", cut(2560), true],
  ["the first zero block cut mid-block", cut(2048 + 300), true],
  ["the second zero block cut mid-block", cut(2560 + 300), true],
  ["both zero blocks", cut(3072), true],
];

describe("applyLayer stops where GNU tar does", () => {
  for (const [what, make, accepted] of truncations) {
    for (const compression of ["none", "gzip"] as const) {
      it(`${accepted ? "accepts" : "refuses"} ${what} (${compression})`, async (t) => {
        const box = sandbox(t);
        const bytes = make();
        const blob = compression === "gzip" ? gzipSync(bytes) : bytes;
        const source = box.file(`cut.tar${compression === "gzip" ? ".gz" : ""}`, blob);
        const applying = applyLayer({
          source: { kind: "file", path: source },
          target: box.target,
          whiteoutFormat: "aufs",
        });
        if (!accepted) {
          await assert.rejects(applying, imageErrorLike("InvalidArgument", /truncated/));
          assert.equal(existsSync(box.target), false);
          return;
        }
        const r = await applying;
        assert.equal(r.diffSize, bytes.length);
        assert.equal(readFileSync(join(box.target, "f"), "utf8"), "x".repeat(1200));
      });
    }
  }

  it("agrees with GNU tar on each of them", (t) => {
    const box = sandbox(t);
    for (const [what, make, accepted] of truncations) {
      if (what.includes("header cut") || what.includes("padding missing")) continue;
      const file = box.file("cut.tar", make());
      const r = spawnSync("tar", ["-tf", file], { encoding: "utf8" });
      assert.equal(r.status === 0, accepted, `${what}: GNU tar said ${r.status}: ${r.stderr}`);
    }
  });
});
