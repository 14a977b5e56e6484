import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { ImageError } from "../errors.ts";
import { type TarEntry, TarReader } from "./tar-reader.ts";
import { buildTar, header, pad, paxBody } from "./testing/tar-builder.ts";

interface Read {
  entry: TarEntry;
  body: string;
}

/** Reads a whole tar, fed in chunks of `step` bytes. */
function readTar(tar: Uint8Array, step = tar.length): Read[] {
  const out: Read[] = [];
  let body: Buffer[] = [];
  const reader = new TarReader({
    entry: (entry) => {
      out.push({ entry, body: "" });
      body = [];
    },
    data: (chunk) => body.push(Buffer.from(chunk)),
    entryEnd: () => {
      (out.at(-1) as Read).body = Buffer.concat(body).toString("latin1");
    },
  });
  const buf = Buffer.from(tar);
  for (let i = 0; i < buf.length; i += step) reader.push(buf.subarray(i, i + step));
  reader.end();
  return out;
}

function invalid(pattern: RegExp, kind = "InvalidArgument") {
  return (err: unknown) =>
    err instanceof ImageError && err.kind === kind && pattern.test(err.message);
}

describe("TarReader", () => {
  const long = `${"d".repeat(120)}/${"f".repeat(120)}`;

  it("reads every entry type with its metadata", () => {
    const tar = buildTar([
      { name: "dir/", type: "dir", mode: 0o1777, mtime: 1234 },
      { name: "dir/f", body: "hello", mode: 0o4755, uid: 7, gid: 8 },
      { name: "dir/s", type: "symlink", linkname: "../x" },
      { name: "dir/h", type: "link", linkname: "dir/f" },
      { name: "dev/c", type: "char", devmajor: 1, devminor: 3 },
      { name: "dev/b", type: "block", devmajor: 8, devminor: 1 },
      { name: "p", type: "fifo" },
    ]);
    const got = readTar(tar).map((r) => [r.entry.type, r.entry.name, r.body]);
    assert.deepEqual(got, [
      ["dir", "dir/", ""],
      ["file", "dir/f", "hello"],
      ["symlink", "dir/s", ""],
      ["link", "dir/h", ""],
      ["char", "dev/c", ""],
      ["block", "dev/b", ""],
      ["fifo", "p", ""],
    ]);
    const [dir, file, , , c] = readTar(tar).map((r) => r.entry);
    assert.equal(dir?.mode, 0o1777);
    assert.equal(dir?.mtime, 1234);
    assert.deepEqual([file?.mode, file?.uid, file?.gid], [0o4755, 7, 8]);
    assert.deepEqual([c?.devmajor, c?.devminor], [1, 3]);
  });

  it("gives the same entries whatever the chunk boundaries", () => {
    const tar = buildTar([
      { name: long, body: "x".repeat(1000), xattrs: { "user.a": "b" } },
      { name: "g", body: "y", longNames: "gnu" },
      { name: `${long}2`, type: "symlink", linkname: long, longNames: "gnu" },
    ]);
    const whole = readTar(tar);
    for (const step of [1, 7, 511, 513, 4096]) assert.deepEqual(readTar(tar, step), whole);
    assert.equal(whole[0]?.entry.name, long);
    assert.equal(whole[2]?.entry.linkname, long);
  });

  it("applies PAX path, linkpath, size, ids and fractional times", () => {
    const records = paxBody([
      ["path", "pax/name"],
      ["linkpath", "pax/target"],
      ["uid", "3000000"],
      ["gid", "4000000"],
      ["mtime", "1700000000.25"],
    ]);
    const tar = Buffer.concat([
      header({ name: "PaxHeader", typeflag: "x", size: records.length }),
      ...pad(records),
      header({ name: "short", typeflag: "2", linkname: "t" }),
      Buffer.alloc(1024),
    ]);
    const [r] = readTar(tar);
    assert.deepEqual(
      [r?.entry.name, r?.entry.linkname, r?.entry.uid, r?.entry.gid, r?.entry.mtime],
      ["pax/name", "pax/target", 3000000, 4000000, 1700000000.25],
    );
  });

  it("keeps binary SCHILY and LIBARCHIVE xattr values byte-exact", () => {
    const value = Buffer.from([0x01, 0x00, 0x00, 0x02, 0xff, 0x80, 0x0a, 0x3d]);
    const tar = buildTar([
      {
        name: "f",
        xattrs: { "security.capability": value },
        pax: { "LIBARCHIVE.xattr.user.b%3Dc": value.toString("base64") },
      },
    ]);
    const xattrs = readTar(tar)[0]?.entry.xattrs;
    assert.deepEqual(xattrs?.get("security.capability"), value);
    assert.deepEqual(xattrs?.get("user.b=c"), value);
  });

  it("applies a global PAX header to every later entry", () => {
    const records = paxBody([["mtime", "42"]]);
    const tar = Buffer.concat([
      header({ name: "pax_global_header", typeflag: "g", size: records.length }),
      ...pad(records),
      buildTar([{ name: "a" }, { name: "b" }]),
    ]);
    assert.deepEqual(
      readTar(tar).map((r) => r.entry.mtime),
      [42, 42],
    );
  });

  it("ignores names and sizes in a global PAX header", () => {
    const records = paxBody([
      ["path", "everything"],
      ["size", "99"],
      ["uid", "77"],
    ]);
    const tar = Buffer.concat([
      header({ name: "pax_global_header", typeflag: "g", size: records.length }),
      ...pad(records),
      buildTar([{ name: "a", body: "1" }]),
    ]);
    const [r] = readTar(tar);
    assert.deepEqual([r?.entry.name, r?.entry.size, r?.entry.uid, r?.body], ["a", 1, 77, "1"]);
  });

  it("ignores the link name field of entries that are not links", () => {
    const tar = buildTar([{ name: "f", body: "x" }]);
    tar.write("\xff\xfe", 157, "latin1");
    tar.fill(0x20, 148, 156);
    let sum = 0;
    for (const b of tar.subarray(0, 512)) sum += b;
    tar.write(`${sum.toString(8).padStart(6, "0")}\u0000 `, 148, "latin1");
    assert.equal(readTar(tar)[0]?.entry.linkname, "");
  });

  it("joins the ustar prefix and reads base-256 numbers", () => {
    const h = header({ name: "name", typeflag: "0", uid: 2 ** 40, size: 3 });
    h.write("pre/fix", 345, "latin1");
    h.fill(0x20, 148, 156);
    let sum = 0;
    for (const b of h) sum += b;
    h.write(`${sum.toString(8).padStart(6, "0")}\u0000 `, 148, "latin1");
    const [r] = readTar(Buffer.concat([h, ...pad(Buffer.from("abc")), Buffer.alloc(1024)]));
    assert.equal(r?.entry.name, "pre/fix/name");
    assert.equal(r?.entry.uid, 2 ** 40);
    assert.equal(r?.body, "abc");
  });

  it("accepts an archive without its end-of-archive blocks", () => {
    const tar = buildTar([{ name: "a", body: "1" }], { endMarker: false });
    assert.equal(readTar(tar).length, 1);
  });

  it("ignores bytes after the end-of-archive blocks", () => {
    const tar = Buffer.concat([buildTar([{ name: "a" }]), Buffer.from("trailing garbage")]);
    assert.equal(readTar(tar).length, 1);
  });

  const hostile: Array<[string, () => Buffer, RegExp, string?]> = [
    [
      "a truncated body",
      () => buildTar([{ name: "a", body: "x".repeat(600) }]).subarray(0, 900),
      /truncated/,
    ],
    ["a truncated header", () => buildTar([{ name: "a" }]).subarray(0, 300), /truncated/],
    [
      "a bad checksum",
      () => Buffer.concat([header({ name: "a", typeflag: "0", badChecksum: true })]),
      /checksum/,
    ],
    ["a negative size", () => header({ name: "a", typeflag: "0", size: -5 }), /size is negative/],
    [
      "a size beyond 2^53",
      () => header({ name: "a", typeflag: "0", size: 2n ** 80n }),
      /too large/,
    ],
    [
      "a non-octal number",
      () => patched(header({ name: "a", typeflag: "0" }), 108, "9x"),
      /not an octal/,
    ],
    [
      "a lone zero block",
      () => Buffer.concat([Buffer.alloc(512), buildTar([{ name: "a" }])]),
      /lone zero block/,
    ],
    ["a PAX record lying about its length", () => paxTar("99 path=a\n"), /invalid PAX record/],
    ["a PAX record without '='", () => paxTar("9 pathxa\n"), /invalid PAX record/],
    ["a PAX header with no entry after it", () => paxTar("10 path=a\n", false), /truncated/],
    [
      "a huge extended header",
      () => header({ name: "x", typeflag: "x", size: 1 << 30 }),
      /too large/,
    ],
    [
      "a GNU sparse file",
      () => buildTar([{ name: "s", typeflag: "S" }]),
      /unsupported type "S"/,
      "NotImplemented",
    ],
    ["PAX sparse records", () => paxTar("22 GNU.sparse.major=1\n"), /sparse/, "NotImplemented"],
    [
      "a name that is not UTF-8",
      () => patched(header({ name: "caf", typeflag: "0" }), 3, "\xe9"),
      /not UTF-8/,
      "NotImplemented",
    ],
  ];
  for (const [what, tar, pattern, kind] of hostile) {
    it(`refuses ${what}`, () => {
      assert.throws(() => readTar(tar()), invalid(pattern, kind));
    });
  }

  it("reads what GNU tar writes in posix and gnu formats", (t) => {
    const dir = mkdtempSync(join(tmpdir(), "tar-reader-"));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, "f".repeat(150)), "content");
    symlinkSync("/abs/target", join(dir, "link"));
    for (const format of ["posix", "gnu"]) {
      const r = spawnSync("tar", [`--format=${format}`, "-C", dir, "-cf", "-", "."], {
        maxBuffer: 1 << 24,
      });
      assert.equal(r.status, 0, String(r.stderr));
      const got = readTar(r.stdout).map((e) => `${e.entry.type} ${e.entry.name} ${e.body}`);
      assert.deepEqual(got.sort(), [
        "dir ./ ",
        `file ./${"f".repeat(150)} content`,
        "symlink ./link ",
      ]);
    }
  });
});

function patched(block: Buffer, off: number, text: string): Buffer {
  block.write(text, off, "latin1");
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of block) sum += b;
  block.write(`${sum.toString(8).padStart(6, "0")}\u0000 `, 148, "latin1");
  return block;
}

function paxTar(records: string, withEntry = true): Buffer {
  const body = Buffer.from(records, "latin1");
  const parts = [header({ name: "PaxHeader", typeflag: "x", size: body.length }), ...pad(body)];
  if (withEntry) parts.push(buildTar([{ name: "a" }]));
  return Buffer.concat(parts);
}
