import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { readFileSync, readlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { ImageStore } from "../image/image-store.ts";
import { useTempStore } from "../image/testing/fixtures.ts";
import { verifyStore } from "../image/verify-store.ts";
import { buildTar, gzipTar, zstdTar } from "../layer/testing/tar-builder.ts";
import { IMPORT_COMMENT, importRootfs } from "./import-rootfs.ts";

const PLATFORM = { os: "linux", architecture: "amd64" };
const CREATED = new Date("2025-02-03T04:05:06.000Z");

const ROOTFS = buildTar([
  { name: "etc/", type: "dir" },
  { name: "etc/os-release", body: "ID=test\n" },
  { name: "bin/", type: "dir" },
  { name: "bin/sh", body: randomBytes(200_000) },
  { name: "bin/ash", type: "symlink", linkname: "sh" },
]);

function xzTar(data: Buffer): Buffer {
  const r = spawnSync("xz", ["-c"], { input: data, maxBuffer: 64 << 20 });
  assert.equal(r.status, 0, String(r.stderr));
  return r.stdout;
}

const sha256 = (b: Buffer) => `sha256:${createHash("sha256").update(b).digest("hex")}`;

describe("importRootfs", () => {
  let store: ImageStore;
  let graph: string;
  useTempStore((s, g) => {
    store = s;
    graph = g;
  });

  const write = (name: string, data: Buffer) => {
    const file = join(graph, name);
    writeFileSync(file, data);
    return file;
  };
  const run = (file: string, name?: string) =>
    importRootfs({
      store,
      file,
      ...(name ? { name } : {}),
      platform: PLATFORM,
      created: CREATED,
      whiteoutFormat: "aufs",
    });

  for (const [kind, encode] of [
    ["plain", (b: Buffer) => b],
    ["gzip", gzipTar],
    ["zstd", zstdTar],
    ["xz", xzTar],
  ] as const) {
    it(`stores a one-layer image from a ${kind} tarball`, async () => {
      const blob = Buffer.from(encode(ROOTFS));
      const { id } = await run(write(`rootfs.${kind}`, blob), "imported:1");

      const image = store.getImage(id);
      assert.ok(image);
      assert.deepEqual(image.names, ["imported:1"]);
      const [layer, ...rest] = store.imageLayers(image);
      assert.ok(layer);
      assert.equal(rest.length, 0);
      assert.equal(layer.diffId, sha256(ROOTFS));
      // xz is kept decompressed (Node cannot write xz back); the others as they came.
      assert.equal(layer.digest, kind === "xz" ? sha256(ROOTFS) : sha256(blob));
      const dir = store.layerDir(layer.id);
      assert.equal(readFileSync(join(dir, "etc/os-release"), "utf8"), "ID=test\n");
      assert.equal(readlinkSync(join(dir, "bin/ash")), "sh");

      const config = JSON.parse(store.readBlob(`sha256:${id}`).toString("utf8"));
      assert.deepEqual(config, {
        architecture: "amd64",
        os: "linux",
        created: "2025-02-03T04:05:06.000Z",
        config: {},
        rootfs: { type: "layers", diff_ids: [sha256(ROOTFS)] },
        history: [{ created: "2025-02-03T04:05:06.000Z", comment: IMPORT_COMMENT }],
      });
      assert.deepEqual(await verifyStore(store), []);
    });
  }

  it("reuses a layer stored before, so the manifest names the blob the store keeps", async () => {
    const first = await run(write("rootfs.tar.gz", gzipTar(ROOTFS)), "one:1");
    const second = await importRootfs({
      store,
      file: write("rootfs.tar.xz", xzTar(ROOTFS)),
      name: "two:1",
      platform: PLATFORM,
      created: new Date("2025-03-03T00:00:00Z"),
      whiteoutFormat: "aufs",
    });
    assert.notEqual(first.id, second.id);
    for (const { id } of [first, second]) {
      const image = store.getImage(id);
      assert.ok(image);
      const manifest = JSON.parse(store.readBlob(image.digest).toString("utf8"));
      for (const l of manifest.layers) assert.ok(store.readBlob(l.digest).length > 0, l.digest);
    }
    assert.equal(store.listLayers().length, 1);
    assert.deepEqual(await verifyStore(store), []);
  });

  it("leaves an image without a name dangling", async () => {
    const { id } = await run(write("rootfs.tar", ROOTFS));
    assert.deepEqual(store.getImage(id)?.names, []);
  });

  const bad: [string, () => Buffer, RegExp][] = [
    ["an empty file", () => Buffer.alloc(0), /^the archive is empty$/],
    [
      "text that is not a tar",
      () => Buffer.from("hello, world\n".repeat(100)),
      /invalid tar header/,
    ],
    ["a tar cut inside a file", () => ROOTFS.subarray(0, 40_000), /truncated/],
    ["a gzip stream cut short", () => gzipTar(ROOTFS).subarray(0, 50_000), /gzip/],
    ["an xz stream cut short", () => xzTar(ROOTFS).subarray(0, 50_000), /^decompressing xz: /],
    [
      "a tar whose entry climbs out of the root",
      () => buildTar([{ name: "../../etc/passwd", body: "x" }]),
      /escapes the layer root/,
    ],
    [
      "a tar writing through a symlink",
      () =>
        buildTar([
          { name: "etc", type: "symlink", linkname: "/etc" },
          { name: "etc/passwd", body: "x" },
        ]),
      /symlink|not a directory/,
    ],
    ["bzip2 data", () => Buffer.from("BZh91AY&SY"), /bzip2/],
  ];
  for (const [what, data, message] of bad) {
    it(`refuses ${what} and stores nothing`, async () => {
      const file = write("bad", data());
      await assert.rejects(run(file, "bad:1"), (err: Error) => {
        assert.match(err.message, message);
        return true;
      });
      assert.deepEqual(store.listImages(), []);
      assert.deepEqual(store.listLayers(), []);
      assert.deepEqual(await verifyStore(store), []);
    });
  }

  it("says NotFound for a missing file", async () => {
    await assert.rejects(run(join(graph, "nope.tar")), { kind: "NotFound" });
  });
});
