import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { ociManifest } from "../../test/helpers/archive-writer.ts";
import {
  type BuiltImage,
  buildImage,
  buildLayer,
  sampleImage,
} from "../../test/helpers/image-builder.ts";
import { snapshotStore } from "../../test/helpers/store-snapshot.ts";
import { sha256Digest } from "../digest/digest.ts";
import { ImageError } from "../errors.ts";
import { ImageStore } from "../image/image-store.ts";
import { tempGraph } from "../image/testing/fixtures.ts";
import type { Descriptor } from "../oci/types.ts";
import type { ResolvedImage } from "../registry/types.ts";
import { formatBytes, layerSpaceNeeded, reserveDiskSpace, UNPACK_MARGIN } from "./disk-space.ts";
import { fetchesInFlight } from "./layer-fetches.ts";
import { pullImage } from "./pull-image.ts";
import type { PullSource } from "./types.ts";

/** One image in memory; `stall` makes every blob send half its bytes and then wait for abort. */
function sourceOf(image: BuiltImage, stall = false): PullSource & { fetched: number } {
  const manifest = ociManifest(image);
  const source = {
    fetched: 0,
    async resolveImage(): Promise<ResolvedImage> {
      return {
        host: "fake.example.com",
        repository: "team/app",
        manifestDigest: sha256Digest(manifest),
        manifestMediaType: JSON.parse(manifest.toString()).mediaType,
        manifest,
        config: image.config,
        layers: JSON.parse(manifest.toString()).layers as Descriptor[],
      };
    },
    async *fetchBlob(
      _i: ResolvedImage,
      blob: Descriptor,
      opts?: { signal?: AbortSignal },
    ): AsyncGenerator<Uint8Array> {
      source.fetched++;
      const bytes = image.layers.find((l) => l.digest === blob.digest)?.blob ?? Buffer.alloc(0);
      if (!stall) {
        yield bytes;
        return;
      }
      yield bytes.subarray(0, bytes.length >> 1);
      await new Promise((_r, reject) => {
        const signal = opts?.signal;
        signal?.addEventListener("abort", () => reject(signal.reason), { once: true });
      });
    },
  };
  return source;
}

async function withStore(fn: (store: ImageStore) => Promise<void>): Promise<void> {
  const { graph, cleanup } = tempGraph();
  const store = ImageStore.open({ graph });
  try {
    await fn(store);
  } finally {
    store.close();
    cleanup();
  }
}

const base = {
  reference: "fake.example.com/team/app:1",
  storedName: "fake.example.com/team/app:1",
  maxConcurrentDownloads: 2,
  whiteoutFormat: "aufs" as const,
};

describe("disk-space check", () => {
  it("layerSpaceNeeded counts the blob plus the unpacked files, estimated when compressed", () => {
    const gz = "application/vnd.oci.image.layer.v1.tar+gzip";
    assert.equal(layerSpaceNeeded(gz, 1000), 1000 * (1 + UNPACK_MARGIN));
    assert.equal(layerSpaceNeeded("application/vnd.docker.image.rootfs.diff.tar.gzip", 10), 40);
    assert.equal(layerSpaceNeeded("application/vnd.oci.image.layer.v1.tar", 1000), 2000);
  });

  it("reserveDiskSpace counts what other writes of this process have reserved", async () => {
    const free = async () => 10_000;
    const one = await reserveDiskSpace("/fake/dir", 6000, free);
    await assert.rejects(
      reserveDiskSpace("/fake/dir", 6000, free),
      (err: unknown) =>
        err instanceof ImageError &&
        err.kind === "ResourceExhausted" &&
        err.message === `not enough disk space in "/fake/dir": need 6.0 KB, 4.0 KB free`,
    );
    one();
    one(); // a second release changes nothing
    const two = await reserveDiskSpace("/fake/dir", 6000, free);
    two();
    assert.equal(formatBytes(999), "999 B");
    assert.equal(formatBytes(1_500_000), "1.5 MB");
  });

  it("a pull whose layer cannot fit fails before writing it, store unchanged", async () => {
    await withStore(async (store) => {
      const image = await sampleImage("gzip", "disk");
      const source = sourceOf(image);
      const before = snapshotStore(store);
      const asked: string[] = [];
      await assert.rejects(
        pullImage({
          ...base,
          store,
          source,
          readFreeSpace: async (dir) => {
            asked.push(dir);
            return 100;
          },
        }),
        (err: unknown) =>
          err instanceof ImageError &&
          err.kind === "ResourceExhausted" &&
          /^fetching layer sha256:[0-9a-f]{64}: not enough disk space in ".+": need \d+ B, 100 B free$/.test(
            err.message,
          ),
      );
      assert.equal(source.fetched, 0, "no blob was requested");
      assert.ok(asked.length > 0 && asked.every((d) => d === store.root), "statfs of the store");
      assert.deepEqual(snapshotStore(store), before);
      assert.equal(fetchesInFlight(), 0);
    });
  });

  it("with room for it the same pull succeeds (the real statfs too)", async () => {
    await withStore(async (store) => {
      const image = await sampleImage("gzip", "room");
      const sizes = image.layers.map((l) => layerSpaceNeeded("+gzip", l.blob.length));
      const r = await pullImage({
        ...base,
        store,
        source: sourceOf(image),
        readFreeSpace: async () => sizes.reduce((a, b) => a + b),
      });
      assert.equal(r.id, image.id);
      const again = await sampleImage("gzip", "statfs");
      assert.equal((await pullImage({ ...base, store, source: sourceOf(again) })).id, again.id);
    });
  });
});

describe("disk-space check on a real small filesystem", () => {
  it("a 4 MB tmpfs refuses a 1.5 MB incompressible layer by its real statfs", async (t) => {
    const dir = mkdtempSync(join(tmpdir(), "pull-tmpfs-"));
    const mounted = spawnSync("mount", ["-t", "tmpfs", "-o", "size=4m", "tmpfs", dir]);
    if (mounted.status !== 0) {
      rmSync(dir, { recursive: true, force: true });
      return t.skip("needs root and permission to mount a tmpfs");
    }
    try {
      const store = ImageStore.open({ graph: join(dir, "graph") });
      try {
        const layer = await buildLayer(
          [{ name: "noise.bin", body: randomBytes(1_500_000) }],
          "gzip",
        );
        const image = buildImage({ layers: [layer] });
        const before = snapshotStore(store);
        await assert.rejects(
          pullImage({ ...base, store, source: sourceOf(image) }),
          (err: unknown) =>
            err instanceof ImageError &&
            err.kind === "ResourceExhausted" &&
            err.message.includes(`not enough disk space in "${store.root}": need 6.0 MB, `),
        );
        assert.deepEqual(snapshotStore(store), before);
      } finally {
        store.close();
      }
    } finally {
      spawnSync("umount", [dir]);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("pull timeout", () => {
  it("a stalled pull fails after timeoutMs with a clear error, store unchanged", async () => {
    await withStore(async (store) => {
      const image = await sampleImage("gzip", "slow");
      const before = snapshotStore(store);
      const started = Date.now();
      await assert.rejects(
        pullImage({ ...base, store, source: sourceOf(image, true), timeoutMs: 300 }),
        (err: unknown) =>
          err instanceof ImageError &&
          err.kind === "Unavailable" &&
          err.message === "timed out after 300ms (pull-timeout)",
      );
      assert.ok(Date.now() - started < 5000);
      assert.deepEqual(snapshotStore(store), before);
      assert.equal(fetchesInFlight(), 0);
    });
  });

  it("a pull cancelled by its caller before the timeout says cancelled, not timed out", async () => {
    await withStore(async (store) => {
      const image = await sampleImage("gzip", "cancel");
      const abort = new AbortController();
      setTimeout(() => abort.abort(), 100);
      await assert.rejects(
        pullImage({
          ...base,
          store,
          source: sourceOf(image, true),
          timeoutMs: 60_000,
          signal: abort.signal,
        }),
        /the pull was cancelled/,
      );
    });
  });
});
