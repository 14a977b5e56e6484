import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { applyLayer } from "./apply-layer.ts";
import { describeTree } from "./testing/describe-tree.ts";
import { imageErrorLike, sandbox } from "./testing/sandbox.ts";
import { buildTar, type TarSpec } from "./testing/tar-builder.ts";
import type { LayerSource } from "./types.ts";

// Bodies larger than a read chunk: byte-exact, and a disk that fills up while one is written.

const sha = (b: Uint8Array) => `sha256:${createHash("sha256").update(b).digest("hex")}`;
const fileSource = (path: string): LayerSource => ({ kind: "file", path });

describe("applyLayer with large bodies", () => {
  it("writes large bodies byte-exact across read chunks, with owners, modes and times like GNU tar", async (t) => {
    // Bodies larger than the 1 MiB read chunks, one replaced by a later entry, one hardlinked,
    // a setuid one, a small file between them.
    const box = sandbox(t);
    const random = (n: number, seed: number) => {
      const b = Buffer.alloc(n);
      let x = seed;
      for (let i = 0; i < n; i++) {
        x = (x * 1103515245 + 12345) >>> 0;
        b[i] = x >>> 24;
      }
      return b;
    };
    const spec: TarSpec[] = [
      { name: "big/a", body: random(3 << 20, 1), mode: 0o640, mtime: 1_600_000_000 },
      { name: "big/link", type: "link", linkname: "big/a" },
      { name: "small", body: "s", mode: 0o600, mtime: 1_600_000_001 },
      { name: "big/b", body: random((1 << 20) + 12_345, 2), mode: 0o4755, mtime: 1_600_000_002 },
      { name: "big/c", body: random(200_000, 3), mtime: 1_600_000_003 },
      { name: "big/c", body: random(300_000, 4), mtime: 1_600_000_004 },
      { name: "big/", type: "dir", mode: 0o750, mtime: 1_500_000_000 },
    ];
    const tar = buildTar(spec);
    const path = box.file("big.tar", tar);
    const r = await applyLayer({
      source: fileSource(path),
      target: box.target,
      whiteoutFormat: "aufs",
    });
    assert.equal(r.diffId, sha(tar));
    assert.deepEqual(readFileSync(join(box.target, "big/a")), random(3 << 20, 1));
    assert.deepEqual(readFileSync(join(box.target, "big/link")), random(3 << 20, 1));
    assert.deepEqual(readFileSync(join(box.target, "big/b")), random((1 << 20) + 12_345, 2));
    assert.deepEqual(readFileSync(join(box.target, "big/c")), random(300_000, 4));

    const gnu = join(box.dir, "gnu");
    mkdirSync(gnu);
    const x = spawnSync("tar", ["-x", "-p", "-C", gnu, "-f", path]);
    assert.equal(x.status, 0, String(x.stderr));
    assert.deepEqual(describeTree(box.target), describeTree(gnu));
  });
  it("a disk that fills up while a large body is written fails the layer and leaves nothing", async (t) => {
    const dir = mkdtempSync(join(tmpdir(), "apply-full-"));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const mounted = spawnSync("mount", ["-t", "tmpfs", "-o", "size=2m", "tmpfs", dir]);
    if (mounted.status !== 0) return t.skip("needs root and permission to mount a tmpfs");
    try {
      const box = sandbox(t);
      const path = box.file("big.tar", buildTar([{ name: "big", body: Buffer.alloc(6 << 20, 7) }]));
      const target = join(dir, "layer");
      await assert.rejects(
        applyLayer({ source: fileSource(path), target, whiteoutFormat: "aufs" }),
        imageErrorLike("ResourceExhausted", /^writing "big": /),
      );
      assert.equal(existsSync(target), false);
    } finally {
      spawnSync("umount", [dir]);
    }
  });
});
