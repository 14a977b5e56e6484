import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { ociManifest } from "../../test/helpers/archive-writer.ts";
import { type BuiltImage, buildImage, buildLayer } from "../../test/helpers/image-builder.ts";
import { sha256Digest } from "../digest/digest.ts";
import { ImageStore } from "../image/image-store.ts";
import { tempGraph } from "../image/testing/fixtures.ts";
import { verifyStore } from "../image/verify-store.ts";
import type { Descriptor } from "../oci/types.ts";
import type { ResolvedImage } from "../registry/types.ts";
import { pullImage } from "./pull-image.ts";
import type { PullSource } from "./types.ts";

/** Serves one image; counts blob fetches into `counts`; holds each body until `gate` opens. */
class OneImageSource implements PullSource {
  constructor(
    readonly image: BuiltImage,
    readonly counts: Map<string, number>,
    readonly gate: Promise<void>,
    readonly corrupt?: string,
  ) {}

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

  async *fetchBlob(_image: ResolvedImage, blob: Descriptor): AsyncIterable<Uint8Array> {
    this.counts.set(blob.digest, (this.counts.get(blob.digest) ?? 0) + 1);
    await this.gate;
    const layer = this.image.layers.find((l) => l.digest === blob.digest);
    yield blob.digest === this.corrupt ? Buffer.from("not the blob") : (layer?.blob as Buffer);
  }
}

/** Two images whose second layer is one blob on two different parents (two chain IDs). */
async function twoImages(): Promise<{ x: BuiltImage; y: BuiltImage; shared: string }> {
  const a = await buildLayer([{ name: "a.txt", body: "a\n" }], "gzip");
  const b = await buildLayer([{ name: "b.txt", body: "b\n" }], "gzip");
  const s = await buildLayer(
    [{ name: "shared/data.bin", body: "shared bytes\n".repeat(500) }],
    "gzip",
  );
  return {
    x: buildImage({ layers: [a, s] }),
    y: buildImage({ layers: [b, s] }),
    shared: s.digest,
  };
}

function pull(store: ImageStore, source: PullSource, name: string) {
  return pullImage({
    store,
    source,
    reference: name,
    storedName: name,
    maxConcurrentDownloads: 5,
    whiteoutFormat: "aufs",
  });
}

describe("blob claims between pulls", () => {
  it("a blob two different layers share is downloaded once, then unpacked from the copy", async () => {
    const { graph, cleanup } = tempGraph();
    const store = ImageStore.open({ graph });
    try {
      const { x, y, shared } = await twoImages();
      const counts = new Map<string, number>();
      let open!: () => void;
      const gate = new Promise<void>((r) => {
        open = r;
      });
      const px = pull(store, new OneImageSource(x, counts, gate), "fake.example.com/x:1");
      const py = pull(store, new OneImageSource(y, counts, gate), "fake.example.com/y:1");
      setTimeout(open, 100);
      await Promise.all([px, py]);
      assert.equal(counts.get(shared), 1);
      assert.equal(store.listImages().length, 2);
      assert.deepEqual(await verifyStore(store), []);
      assert.deepEqual(readdirSync(join(store.root, "ingest")), []);
    } finally {
      store.close();
      cleanup();
    }
  });

  it("when the holder's download fails, the waiting pull downloads the blob itself", async () => {
    const { graph, cleanup } = tempGraph();
    const store = ImageStore.open({ graph });
    try {
      const { x, y, shared } = await twoImages();
      const counts = new Map<string, number>();
      let open!: () => void;
      const gate = new Promise<void>((r) => {
        open = r;
      });
      const bad = new OneImageSource(x, counts, gate, shared);
      const px = pull(store, bad, "fake.example.com/x:1");
      // y starts once x holds the claim on the shared blob (its fetch has begun).
      while (!counts.has(shared)) await new Promise((r) => setTimeout(r, 5));
      const good = new OneImageSource(y, counts, Promise.resolve());
      const py = pull(store, good, "fake.example.com/y:1");
      setTimeout(open, 100);
      await assert.rejects(px, /fetching layer sha256:/);
      await py;
      assert.equal(counts.get(shared), 2);
      assert.deepEqual(
        store.listImages().map((i) => i.id),
        [y.id],
      );
      assert.deepEqual(await verifyStore(store), []);
      assert.deepEqual(readdirSync(join(store.root, "ingest")), []);
    } finally {
      store.close();
      cleanup();
    }
  });
});
