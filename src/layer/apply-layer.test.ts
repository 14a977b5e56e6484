import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { describe, it } from "node:test";
import { getAttributeSync } from "@napi-rs/xattr";
import type { Digest } from "../digest/digest.ts";
import { applyLayer } from "./apply-layer.ts";
import { describeTree } from "./testing/describe-tree.ts";
import { imageErrorLike, sandbox } from "./testing/sandbox.ts";
import { buildTar, gzipTar, type TarSpec, zstdTar } from "./testing/tar-builder.ts";
import type { LayerSource } from "./types.ts";

const root = process.geteuid?.() === 0;
const sha = (b: Uint8Array): Digest => `sha256:${createHash("sha256").update(b).digest("hex")}`;
const fileSource = (path: string): LayerSource => ({ kind: "file", path });

async function* chunks(data: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
}

/** Entries of most kinds with metadata worth checking (no whiteouts, no devices). */
const sample: TarSpec[] = [
  { name: "etc/", type: "dir", mode: 0o755, mtime: 1_500_000_000 },
  { name: "etc/conf", body: "k=v\n", mode: 0o640, uid: 1000, gid: 1001, mtime: 1_600_000_000 },
  { name: "bin/su", body: "\x7fELF", mode: 0o4755, mtime: 1_600_000_001 },
  { name: "bin/wall", body: "w", mode: 0o2755, uid: 0, gid: 5 },
  { name: "tmp/", type: "dir", mode: 0o1777, mtime: 1_400_000_000 },
  { name: "ro/", type: "dir", mode: 0o555, mtime: 1_400_000_001 },
  { name: "ro/file", body: "r", mode: 0o444 },
  { name: "lib/abs", type: "symlink", linkname: "/usr/lib/missing", mtime: 1_300_000_000 },
  { name: "lib/rel", type: "symlink", linkname: "../etc/conf" },
  { name: "lib/hard", type: "link", linkname: "etc/conf" },
  { name: "run/fifo", type: "fifo", mode: 0o600 },
  { name: `deep/${"n".repeat(120)}/${"m".repeat(120)}`, body: "pax long name" },
  { name: `gnu/${"g".repeat(150)}`, body: "gnu long name", longNames: "gnu" },
  { name: "/abs/name", body: "absolute names land below the root" },
  { name: "empty", body: "" },
];

describe("applyLayer", () => {
  it("extracts like GNU tar: types, modes, setuid, owners, mtimes, links", async (t) => {
    const box = sandbox(t);
    const tar = box.file("layer.tar", buildTar(sample));
    await applyLayer({ source: fileSource(tar), target: box.target, whiteoutFormat: "aufs" });

    const gnu = join(box.dir, "gnu");
    mkdirSync(gnu);
    const r = spawnSync("tar", [
      "-x",
      "-p",
      ...(root ? ["--same-owner", "--numeric-owner"] : []),
      "-C",
      gnu,
      "-f",
      tar,
    ]);
    assert.equal(r.status, 0, String(r.stderr));
    const ours = describeTree(box.target);
    // As root both apply numeric owners; unprivileged, both keep the process's.
    assert.deepEqual(ours, describeTree(gnu));
    assert.equal(readlinkSync(join(box.target, "lib/abs")), "/usr/lib/missing");
    assert.equal(lstatSync(join(box.target, "bin/su")).mode & 0o7777, 0o4755);
    assert.equal(lstatSync(join(box.target, "tmp")).mode & 0o7777, 0o1777);
    assert.equal(
      lstatSync(join(box.target, "lib/hard")).ino,
      lstatSync(join(box.target, "etc/conf")).ino,
    );
    assert.ok(lstatSync(join(box.target, "run/fifo")).isFIFO());
    assert.equal(
      readFileSync(join(box.target, "abs/name"), "utf8"),
      "absolute names land below the root",
    );
  });

  it("sets ownership from the header when running as root", {
    skip: !root && "needs root",
  }, async (t) => {
    const box = sandbox(t);
    const tar = box.file("l.tar", buildTar(sample));
    await applyLayer({ source: fileSource(tar), target: box.target, whiteoutFormat: "aufs" });
    const st = lstatSync(join(box.target, "etc/conf"));
    assert.deepEqual([st.uid, st.gid], [1000, 1001]);
    assert.equal(lstatSync(join(box.target, "bin/wall")).mode & 0o7777, 0o2755);
  });

  it("makes device nodes as root", { skip: !root && "needs root" }, async (t) => {
    const box = sandbox(t);
    const tar = box.file(
      "l.tar",
      buildTar([
        { name: "dev/null", type: "char", devmajor: 1, devminor: 3, mode: 0o666 },
        { name: "dev/sda", type: "block", devmajor: 8, devminor: 0, mode: 0o660, gid: 6 },
      ]),
    );
    await applyLayer({ source: fileSource(tar), target: box.target, whiteoutFormat: "aufs" });
    const c = lstatSync(join(box.target, "dev/null"));
    assert.ok(c.isCharacterDevice());
    assert.equal(c.rdev, (1 << 8) | 3);
    assert.equal(c.mode & 0o7777, 0o666);
    const b = lstatSync(join(box.target, "dev/sda"));
    assert.ok(b.isBlockDevice());
    assert.equal(b.gid, 6);
  });

  it("sets binary xattrs byte-exact (security.capability, trusted.*, user.*)", async (t) => {
    const box = sandbox(t);
    // vfs_cap_data v2 for cap_net_raw+ep, as setcap writes it.
    const cap = Buffer.from("0100000200200000000000000000000000000000", "hex");
    const binary = Buffer.from([0x00, 0x01, 0xff, 0x80, 0xc3, 0x28, 0x0a]);
    const xattrs: Record<string, Uint8Array> = { "user.bin": binary };
    if (root) Object.assign(xattrs, { "security.capability": cap, "trusted.bin": binary });
    const tar = box.file(
      "l.tar",
      buildTar([
        { name: "bin/ping", body: "p", mode: 0o755, xattrs },
        { name: "dir/", type: "dir", xattrs: { "user.dir": binary } },
      ]),
    );
    await applyLayer({ source: fileSource(tar), target: box.target, whiteoutFormat: "aufs" });
    for (const [name, value] of Object.entries(xattrs)) {
      assert.deepEqual(
        getAttributeSync(join(box.target, "bin/ping"), name),
        Buffer.from(value),
        name,
      );
    }
    assert.deepEqual(getAttributeSync(join(box.target, "dir"), "user.dir"), binary);
  });

  for (const [compression, compress] of [
    ["none", (b: Buffer) => b],
    ["gzip", gzipTar],
    ["zstd", zstdTar],
  ] as const) {
    it(`returns digest, size and diffID of a ${compression} layer and stores the blob`, async (t) => {
      const box = sandbox(t);
      const tar = buildTar(sample);
      const blob = compress(tar);
      const source = box.file("blob", blob);
      const blobPath = join(box.dir, "stored");
      const r = await applyLayer({
        source: fileSource(source),
        target: box.target,
        whiteoutFormat: "aufs",
        blobPath,
        expectedDigest: sha(blob),
        expectedDiffId: sha(tar),
      });
      assert.deepEqual(r, {
        digest: sha(blob),
        size: blob.length,
        diffId: sha(tar),
        diffSize: tar.length,
        compression,
      });
      assert.deepEqual(readFileSync(blobPath), blob);
      assert.equal(readFileSync(join(box.target, "etc/conf"), "utf8"), "k=v\n");
    });
  }

  for (const which of ["digest", "diffID"] as const) {
    it(`refuses a ${which} mismatch and removes target and blob`, async (t) => {
      const box = sandbox(t);
      const blob = gzipTar(buildTar(sample));
      const wrong: Digest = `sha256:${"0".repeat(64)}`;
      const blobPath = join(box.dir, "stored");
      await assert.rejects(
        applyLayer({
          source: fileSource(box.file("blob", blob)),
          target: box.target,
          whiteoutFormat: "aufs",
          blobPath,
          ...(which === "digest" ? { expectedDigest: wrong } : { expectedDiffId: wrong }),
        }),
        imageErrorLike(
          "InvalidArgument",
          new RegExp(`layer ${which} mismatch: expected "${wrong}", got "sha256:`),
        ),
      );
      assert.equal(existsSync(box.target), false);
      assert.equal(existsSync(blobPath), false);
    });
  }

  it("reads a stream source in small chunks", async (t) => {
    const box = sandbox(t);
    const tar = buildTar(sample);
    const blob = zstdTar(tar);
    const r = await applyLayer({
      source: { kind: "stream", stream: chunks(blob, 7) },
      target: box.target,
      whiteoutFormat: "aufs",
    });
    assert.equal(r.diffId, sha(tar));
    assert.equal(r.digest, sha(blob));
  });

  it("reads a large stream source with backpressure", async (t) => {
    const box = sandbox(t);
    const big = Buffer.alloc(5 << 20, 0x61);
    const tar = buildTar([{ name: "big", body: big }]);
    const r = await applyLayer({
      source: { kind: "stream", stream: chunks(tar, 100_000) },
      target: box.target,
      whiteoutFormat: "aufs",
    });
    assert.equal(r.diffSize, tar.length);
    assert.equal(lstatSync(join(box.target, "big")).size, big.length);
  });

  it("reads a byte range of a file", async (t) => {
    const box = sandbox(t);
    const tar = buildTar(sample);
    const path = box.file(
      "archive",
      Buffer.concat([Buffer.from("prefix"), tar, Buffer.from("suffix")]),
    );
    const source: LayerSource = { kind: "file", path, start: 6, end: 6 + tar.length };
    const r = await applyLayer({ source, target: box.target, whiteoutFormat: "aufs" });
    assert.equal(r.diffId, sha(tar));
  });

  it("refuses a file range past the end of the file", async (t) => {
    const box = sandbox(t);
    const path = box.file("short", buildTar(sample));
    await assert.rejects(
      applyLayer({
        source: { kind: "file", path, end: 1 << 20 },
        target: box.target,
        whiteoutFormat: "aufs",
      }),
      imageErrorLike("InvalidArgument", /ends at \d+, before 1048576/),
    );
    assert.equal(existsSync(box.target), false);
  });

  it("rejects with the stream's error and cleans up when the source fails", async (t) => {
    const box = sandbox(t);
    async function* failing() {
      yield buildTar(sample).subarray(0, 2048);
      throw new Error("connection reset");
    }
    await assert.rejects(
      applyLayer({
        source: { kind: "stream", stream: failing() },
        target: box.target,
        whiteoutFormat: "aufs",
      }),
      imageErrorLike("Unavailable", /reading layer: connection reset/),
    );
    assert.equal(existsSync(box.target), false);
  });

  it("stops, closes the source and cleans up when aborted", async (t) => {
    const box = sandbox(t);
    const controller = new AbortController();
    // An HTTP body that sends part of a layer, then stalls.
    const body = new PassThrough();
    body.write(gzipTar(buildTar(sample)).subarray(0, 100));
    const blobPath = join(box.dir, "stored");
    const p = applyLayer({
      source: { kind: "stream", stream: body },
      target: box.target,
      whiteoutFormat: "aufs",
      blobPath,
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(), 100);
    await assert.rejects(p, imageErrorLike("Unavailable", /aborted/));
    assert.equal(existsSync(box.target), false);
    assert.equal(existsSync(blobPath), false);
    assert.equal(body.destroyed, true);
  });

  it("does nothing when the signal has already fired", async (t) => {
    const box = sandbox(t);
    const path = box.file("l.tar", buildTar(sample));
    const signal = AbortSignal.abort();
    await assert.rejects(
      applyLayer({ source: fileSource(path), target: box.target, whiteoutFormat: "aufs", signal }),
      imageErrorLike("Unavailable", /aborted/),
    );
    assert.equal(existsSync(box.target), false);
  });

  it("refuses an existing target and leaves it alone", async (t) => {
    const box = sandbox(t);
    mkdirSync(box.target);
    writeFileSync(join(box.target, "keep"), "mine");
    const path = box.file("l.tar", buildTar(sample));
    await assert.rejects(
      applyLayer({ source: fileSource(path), target: box.target, whiteoutFormat: "aufs" }),
      imageErrorLike("AlreadyExists", /creating layer directory/),
    );
    assert.equal(readFileSync(join(box.target, "keep"), "utf8"), "mine");
  });

  it("applies several layers in parallel", async (t) => {
    const box = sandbox(t);
    const layers = [0, 1, 2, 3, 4].map((i) => {
      const entries = Array.from({ length: 200 }, (_, j) => ({
        name: `l${i}/f${j}`,
        body: `${i}-${j}`,
      }));
      return box.file(`l${i}.tar.gz`, gzipTar(buildTar(entries)));
    });
    const results = await Promise.all(
      layers.map((path, i) =>
        applyLayer({
          source: fileSource(path),
          target: join(box.dir, `out${i}`),
          whiteoutFormat: "aufs",
        }),
      ),
    );
    assert.equal(new Set(results.map((r) => r.diffId)).size, 5);
    for (let i = 0; i < 5; i += 1) {
      assert.equal(readFileSync(join(box.dir, `out${i}/l${i}/f199`), "utf8"), `${i}-199`);
    }
  });

  it("lets a later entry replace an earlier one at the same path", async (t) => {
    const box = sandbox(t);
    const path = box.file(
      "l.tar",
      buildTar([
        { name: "a/", type: "dir", mode: 0o700 },
        { name: "a/old", body: "old" },
        { name: "a/", type: "dir", mode: 0o750 },
        { name: "f", body: "first" },
        { name: "f", type: "symlink", linkname: "/etc/passwd" },
        { name: "f", body: "last" },
        { name: "d/x", body: "x" },
        { name: "d", body: "a file replaces the directory" },
        { name: "s", type: "symlink", linkname: "/etc/passwd" },
        { name: "h", type: "link", linkname: "s" },
        { name: "h", body: "replaces the link, never writes through it" },
      ]),
    );
    await applyLayer({ source: fileSource(path), target: box.target, whiteoutFormat: "aufs" });
    assert.equal(readFileSync(join(box.target, "a/old"), "utf8"), "old");
    assert.equal(lstatSync(join(box.target, "a")).mode & 0o777, 0o750);
    assert.equal(readFileSync(join(box.target, "f"), "utf8"), "last");
    assert.equal(readFileSync(join(box.target, "d"), "utf8"), "a file replaces the directory");
    assert.equal(readlinkSync(join(box.target, "s")), "/etc/passwd");
    assert.ok(lstatSync(join(box.target, "h")).isFile());
  });
});
