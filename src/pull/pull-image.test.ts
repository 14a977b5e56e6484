import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { ociManifest } from "../../test/helpers/archive-writer.ts";
import { type BuiltImage, buildLayer, sampleImage } from "../../test/helpers/image-builder.ts";
import { snapshotStore } from "../../test/helpers/store-snapshot.ts";
import { sha256Digest } from "../digest/digest.ts";
import { ImageStore } from "../image/image-store.ts";
import { tempGraph } from "../image/testing/fixtures.ts";
import type { Descriptor } from "../oci/types.ts";
import type { ResolvedImage } from "../registry/types.ts";
import { fetchesInFlight } from "./layer-fetches.ts";
import { pullImage } from "./pull-image.ts";
import type { PullProgress, PullSource } from "./types.ts";

/** A registry in memory: one image, blobs served in small chunks, fetches counted. */
class FakeSource implements PullSource {
  fetches = new Map<string, number>();
  /** Digest → bytes served instead of the real blob. */
  corrupt = new Map<string, Buffer>();
  /** Resolves when a fetch may finish (to hold fetches open). */
  gate: Promise<void> = Promise.resolve();

  constructor(readonly image: BuiltImage) {}

  async resolveImage(): Promise<ResolvedImage> {
    const manifest = ociManifest(this.image);
    const doc = JSON.parse(manifest.toString());
    return {
      host: "fake.example.com",
      repository: "team/app",
      manifestDigest: sha256Digest(manifest),
      manifestMediaType: doc.mediaType,
      manifest,
      config: this.image.config,
      layers: doc.layers as Descriptor[],
    };
  }

  async *fetchBlob(
    _image: ResolvedImage,
    blob: Descriptor,
    opts?: { signal?: AbortSignal; onBytes?: (n: number) => void },
  ): AsyncIterable<Uint8Array> {
    this.fetches.set(blob.digest, (this.fetches.get(blob.digest) ?? 0) + 1);
    const layer = this.image.layers.find((l) => l.digest === blob.digest);
    const bytes = this.corrupt.get(blob.digest) ?? layer?.blob ?? Buffer.alloc(0);
    let sent = 0;
    for (let off = 0; off < bytes.length; off += 100) {
      const chunk = bytes.subarray(off, off + 100);
      sent += chunk.length;
      opts?.onBytes?.(sent);
      yield chunk;
    }
    await this.gate;
    opts?.signal?.throwIfAborted();
  }
}

function open() {
  const { graph, cleanup } = tempGraph();
  return { store: ImageStore.open({ graph }), cleanup };
}

const base = {
  reference: "fake.example.com/team/app:1",
  storedName: "fake.example.com/team/app:1",
};

describe("pullImage", () => {
  it("stores the image with the ID of its config, its manifest and its name", async () => {
    const { store, cleanup } = open();
    try {
      const image = await sampleImage("gzip");
      const source = new FakeSource(image);
      const events: PullProgress[] = [];
      const r = await pullImage({
        ...base,
        store,
        source,
        maxConcurrentDownloads: 5,
        whiteoutFormat: "aufs",
        onProgress: (p) => events.push(p),
      });
      assert.equal(r.id, image.id);
      const record = store.getImage(image.id);
      assert.deepEqual(record?.names, [base.storedName]);
      assert.equal(record?.digest, sha256Digest(ociManifest(image)));
      assert.equal(store.imageLayers(record as never).length, 2);
      const ids = new Set(events.map((e) => e.id));
      assert.deepEqual(ids, new Set(image.layers.map((l) => l.digest.slice(-12))));
      assert.ok(events.some((e) => e.status === "done" && e.current === e.total));
      assert.deepEqual(readdirSync(join(store.root, "ingest")), []);
      store.close();
    } finally {
      cleanup();
    }
  });

  it("does not fetch layers already stored", async () => {
    const { store, cleanup } = open();
    try {
      const image = await sampleImage("gzip", "x");
      const first = new FakeSource(image);
      await pullImage({
        ...base,
        store,
        source: first,
        maxConcurrentDownloads: 2,
        whiteoutFormat: "aufs",
      });
      const top = await buildLayer([{ name: "extra.txt", body: "more\n" }], "gzip");
      const { buildImage } = await import("../../test/helpers/image-builder.ts");
      const bigger = buildImage({ layers: [...image.layers, top] });
      const second = new FakeSource(bigger);
      const events: PullProgress[] = [];
      await pullImage({
        ...base,
        storedName: "fake.example.com/team/app:2",
        store,
        source: second,
        maxConcurrentDownloads: 2,
        whiteoutFormat: "aufs",
        onProgress: (p) => events.push(p),
      });
      assert.deepEqual([...second.fetches.keys()], [top.digest]);
      assert.equal(events.filter((e) => e.status === "exists").length, 2);
      store.close();
    } finally {
      cleanup();
    }
  });

  it("leaves the store unchanged when a layer does not match its digest", async () => {
    const { store, cleanup } = open();
    try {
      const image = await sampleImage("gzip", "bad");
      const source = new FakeSource(image);
      source.corrupt.set(image.layers[1]?.digest as string, Buffer.from("garbage bytes"));
      const before = snapshotStore(store);
      await assert.rejects(
        pullImage({ ...base, store, source, maxConcurrentDownloads: 5, whiteoutFormat: "aufs" }),
        (err: Error) => err.name === "ImageError" && /fetching layer sha256:/.test(err.message),
      );
      assert.deepEqual(snapshotStore(store), before);
      assert.equal(fetchesInFlight(), 0);
      store.close();
    } finally {
      cleanup();
    }
  });

  it("two concurrent pulls of the same image fetch each blob once", async () => {
    const { store, cleanup } = open();
    try {
      const image = await sampleImage("gzip", "shared");
      const source = new FakeSource(image);
      let open!: () => void;
      source.gate = new Promise((r) => {
        open = r;
      });
      const opts = {
        ...base,
        store,
        source,
        maxConcurrentDownloads: 5,
        whiteoutFormat: "aufs" as const,
      };
      const a = pullImage(opts);
      const b = pullImage({ ...opts, storedName: "fake.example.com/team/app:other" });
      setTimeout(() => open(), 50);
      const [ra, rb] = await Promise.all([a, b]);
      assert.equal(ra.id, rb.id);
      for (const l of image.layers) assert.equal(source.fetches.get(l.digest), 1);
      assert.deepEqual(store.getImage(image.id)?.names.sort(), [
        "fake.example.com/team/app:1",
        "fake.example.com/team/app:other",
      ]);
      assert.deepEqual(readdirSync(join(store.root, "ingest")), []);
      store.close();
    } finally {
      cleanup();
    }
  });

  it("a cancelled pull leaves nothing and says it was cancelled", async () => {
    const { store, cleanup } = open();
    try {
      const image = await sampleImage("gzip", "cancel");
      const source = new FakeSource(image);
      source.gate = new Promise(() => undefined);
      const before = snapshotStore(store);
      const ac = new AbortController();
      const p = pullImage({
        ...base,
        store,
        source,
        maxConcurrentDownloads: 5,
        whiteoutFormat: "aufs",
        signal: ac.signal,
      });
      setTimeout(() => ac.abort(), 50);
      await assert.rejects(p, /the pull was cancelled/);
      assert.deepEqual(snapshotStore(store), before);
      store.close();
    } finally {
      cleanup();
    }
  });

  it("refuses a config whose diff_ids do not match the manifest's layers", async () => {
    const { store, cleanup } = open();
    try {
      const image = await sampleImage("gzip", "count");
      const source = new FakeSource({ ...image, layers: image.layers.slice(0, 1) });
      await assert.rejects(
        pullImage({ ...base, store, source, maxConcurrentDownloads: 5, whiteoutFormat: "aufs" }),
        /lists 2 diff_ids but the manifest has 1 layers/,
      );
      store.close();
    } finally {
      cleanup();
    }
  });
});
