import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { ImageStore } from "../image/image-store.ts";
import { loadEmbeddedImage } from "./load-embedded.ts";
import { makeImageDir, makeSquashfs, squashfsLayer, writeManifest } from "./testing/fixtures.ts";

/**
 * Attaches `file` to a free loop device; undefined (with the reason) where that is impossible:
 * not root, no `losetup`, no loop devices (containers often have none).
 */
function attachLoop(file: string): { device?: string; reason?: string } {
  if (process.getuid?.() !== 0) return { reason: "not running as root" };
  try {
    const out = execFileSync("losetup", ["-f", "--show", "--read-only", file], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    });
    return { device: out.trim() };
  } catch (err) {
    return { reason: `losetup failed: ${String((err as Error).message).split("\n")[0]}` };
  }
}

describe("an embedded image whose layer 0 is a squashfs block device", () => {
  let root: string;
  let store: ImageStore;
  let device: string | undefined;
  let skip: string | false = false;

  before(() => {
    root = mkdtempSync(join(tmpdir(), "embedded-blk-"));
    mkdirSync(join(root, "graph"));
    store = ImageStore.open({ graph: join(root, "graph") });
    const rootfs = makeSquashfs(root, "busybox.img", { "bin/sh": "#!fake\n" });
    const attached = attachLoop(rootfs);
    device = attached.device;
    if (device === undefined) {
      skip = `cannot make a loop device (${attached.reason}); block-device layer 0 not tested`;
      console.log(`# SKIP: ${skip}`);
    }
  });

  after(() => {
    if (device !== undefined) execFileSync("losetup", ["-d", device]);
    store.close();
    rmSync(root, { recursive: true, force: true });
  });

  it("loads, with the device as mount string", async (t) => {
    if (skip) return t.skip(skip);
    const { dir, doc } = makeImageDir(root);
    const layers = doc.layers as Record<string, unknown>[];
    layers[0] = squashfsLayer(device as string, "");
    const { row } = await loadEmbeddedImage({ store, file: writeManifest(dir, doc) });
    assert.equal(row.mountString, device);
    assert.equal(row.name, "test:v1");
  });
});
