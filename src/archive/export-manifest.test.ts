import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { ociManifest, writeArchive } from "../../test/helpers/archive-writer.ts";
import { type BuiltImage, buildImage, buildLayer } from "../../test/helpers/image-builder.ts";
import { checkStoreInvariants } from "../../test/helpers/store-invariants.ts";
import { sha256Digest } from "../digest/digest.ts";
import { ImageStore } from "../image/image-store.ts";
import { tempGraph } from "../image/testing/fixtures.ts";
import type { Descriptor } from "../oci/types.ts";
import { pullImage } from "../pull/pull-image.ts";
import type { PullSource } from "../pull/types.ts";
import type { ResolvedImage } from "../registry/types.ts";
import { exportManifest } from "./export-manifest.ts";
import { loadArchive } from "./load-archive.ts";
import { saveArchive } from "./save-archive.ts";

/** A registry in memory serving one image. */
function sourceOf(image: BuiltImage): PullSource & { fetched: string[] } {
  const manifest = ociManifest(image);
  const doc = JSON.parse(manifest.toString());
  const fetched: string[] = [];
  return {
    fetched,
    async resolveImage(): Promise<ResolvedImage> {
      return {
        host: "reg.example.com",
        repository: "team/app",
        manifestDigest: sha256Digest(manifest),
        manifestMediaType: doc.mediaType,
        manifest,
        config: image.config,
        layers: doc.layers as Descriptor[],
      };
    },
    async *fetchBlob(_image: ResolvedImage, blob: Descriptor) {
      fetched.push(blob.digest);
      const layer = image.layers.find((l) => l.digest === blob.digest);
      if (layer) yield layer.blob;
    },
  };
}

const cleanups: (() => void)[] = [];
after(() => {
  for (const c of cleanups) c();
});

function openStore(): { store: ImageStore; graph: string } {
  const { graph, cleanup } = tempGraph();
  const store = ImageStore.open({ graph });
  cleanups.push(() => {
    store.close();
    cleanup();
  });
  return { store, graph };
}

describe("exportManifest", () => {
  const base = [
    { name: "etc/", type: "dir" as const },
    { name: "etc/os-release", body: "ID=base\n" },
  ];

  it("a pull that reuses a layer loaded with other compression still saves, and round-trips the image", async () => {
    // The base layer is first loaded as a plain tar (a docker-archive), then pulled gzip'd
    // as the bottom of another image: the pull reuses the stored layer, whose blob differs
    // from the one the registry's manifest names.
    const plainBase = await buildLayer(base, "none");
    const gzipBase = await buildLayer(base, "gzip");
    assert.equal(plainBase.diffId, gzipBase.diffId);
    const top = await buildLayer([{ name: "app", body: "app\n" }], "gzip");
    const loaded = buildImage({ layers: [plainBase] });
    const pulled = buildImage({ layers: [gzipBase, top], cmd: ["/app"] });

    const { store, graph } = openStore();
    const work = mkdtempSync(join(tmpdir(), "export-manifest-"));
    cleanups.push(() => rmSync(work, { recursive: true, force: true }));
    const archive = join(work, "base.tar");
    await writeArchive(archive, [{ image: loaded, repoTags: ["base:1"] }], { shape: "docker25" });
    await loadArchive({ store, file: archive });
    const source = sourceOf(pulled);
    await pullImage({
      store,
      source,
      reference: "reg.example.com/team/app:1",
      storedName: "reg.example.com/team/app:1",
      maxConcurrentDownloads: 2,
    });
    assert.deepEqual(source.fetched, [top.digest], "the stored base layer was fetched again");
    assert.deepEqual(await checkStoreInvariants(graph), []);

    const record = store.listImages().find((i) => i.id === pulled.id);
    assert.ok(record);
    const layers = store.imageLayers(record);
    const exported = exportManifest(store, record, layers);
    const doc = JSON.parse(exported.bytes.toString("utf8"));
    assert.deepEqual(
      doc.layers.map((l: Descriptor) => l.digest),
      [plainBase.digest, top.digest],
    );
    assert.equal(doc.config.digest, `sha256:${pulled.id}`);

    const saved = join(work, "saved.tar");
    await saveArchive({
      store,
      images: [{ record, names: ["reg.example.com/team/app:1"] }],
      output: saved,
    });
    const fresh = openStore();
    await loadArchive({ store: fresh.store, file: saved });
    assert.deepEqual(
      fresh.store.listImages().map((i) => i.id),
      [pulled.id],
    );
    assert.deepEqual(await checkStoreInvariants(fresh.graph), []);
  });

  it("gives the stored manifest byte for byte when it names the stored blobs", async () => {
    const image = buildImage({ layers: [await buildLayer(base, "gzip")] });
    const { store } = openStore();
    await pullImage({
      store,
      source: sourceOf(image),
      reference: "reg.example.com/team/app:2",
      storedName: "reg.example.com/team/app:2",
      maxConcurrentDownloads: 2,
    });
    const record = store.listImages()[0];
    assert.ok(record);
    const exported = exportManifest(store, record, store.imageLayers(record));
    assert.deepEqual(exported.bytes, ociManifest(image));
    assert.equal(exported.mediaType, record.manifestMediaType);
  });
});
