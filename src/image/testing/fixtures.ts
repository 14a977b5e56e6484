import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach } from "node:test";
import { chainId, type Digest, digestHex, sha256Digest } from "../../digest/digest.ts";
import { ImageStore } from "../image-store.ts";
import type { ImageRecord, LayerRecord, Lease, NewLayer } from "../types.ts";

/**
 * Fabricated layers and images for store tests. A "layer" here is a small blob whose bytes
 * stand in for an uncompressed tar (so digest = diffID) and a directory with one file; the real
 * extractor lives in `src/layer/` and is not needed to exercise the store.
 */
export interface FakeLayer {
  record: Omit<LayerRecord, "created">;
  blob: Buffer;
  content: string;
}

export interface FakeImage {
  id: string;
  config: Buffer;
  manifest: Buffer;
  layers: FakeLayer[];
}

/** A chain of layers, one per content string; equal prefixes give equal (shared) layers. */
export function fakeChain(contents: string[]): FakeLayer[] {
  const out: FakeLayer[] = [];
  let parent: Digest | undefined;
  for (const content of contents) {
    const blob = Buffer.from(`fake layer tar: ${content}\n`);
    const diffId = sha256Digest(blob);
    const id = chainId(parent, diffId);
    const record: Omit<LayerRecord, "created"> = {
      id: digestHex(id),
      diffId,
      digest: diffId,
      size: blob.length,
      mediaType: "application/vnd.oci.image.layer.v1.tar",
      diffSize: blob.length,
      whiteoutFormat: "aufs",
    };
    if (parent) record.parent = digestHex(parent);
    out.push({ record, blob, content });
    parent = id;
  }
  return out;
}

/** An image over `layers`; `seed` makes configs (and so IDs) differ. */
export function fakeImage(
  layers: FakeLayer[],
  opts: { seed?: string; created?: string; labels?: Record<string, string> } = {},
): FakeImage {
  const config = Buffer.from(
    JSON.stringify({
      created: opts.created ?? "2024-05-06T07:08:09.123456789Z",
      architecture: "amd64",
      os: "linux",
      config: { Labels: opts.labels ?? { seed: opts.seed ?? "" } },
      rootfs: { type: "layers", diff_ids: layers.map((l) => l.record.diffId) },
    }),
  );
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      config: {
        mediaType: "application/vnd.oci.image.config.v1+json",
        digest: sha256Digest(config),
        size: config.length,
      },
      layers: layers.map((l) => ({
        mediaType: l.record.mediaType,
        digest: l.record.digest,
        size: l.record.size,
      })),
    }),
  );
  return { id: digestHex(sha256Digest(config)), config, manifest, layers };
}

/** Holds the layers already stored and writes temp files for the others, as a load would. */
export function stageLayers(lease: Lease, layers: FakeLayer[]): NewLayer[] {
  let stillStored = true;
  return layers.map(({ record, blob, content }) => {
    if (stillStored && lease.hold(record.id)) return { record };
    stillStored = false;
    const tempDir = lease.tempPath(`layer-${record.id.slice(0, 12)}`);
    const tempBlob = lease.tempPath(`blob-${record.id.slice(0, 12)}`);
    mkdirSync(join(tempDir, "etc"), { recursive: true });
    writeFileSync(join(tempDir, "etc", "content"), content);
    writeFileSync(tempBlob, blob);
    return { record, tempDir, tempBlob };
  });
}

/** Stages and commits an image in one go, as a load would; returns the stored record. */
export function commitFake(store: ImageStore, image: FakeImage, names: string[] = []): ImageRecord {
  const lease = store.lease();
  return store.commitImage({
    lease,
    layers: stageLayers(lease, image.layers),
    config: image.config,
    manifest: image.manifest,
    manifestMediaType: "application/vnd.oci.image.manifest.v1+json",
    names,
  });
}

/** A fresh graph directory; `cleanup` removes it. */
export function tempGraph(): { graph: string; cleanup: () => void } {
  const graph = mkdtempSync(join(tmpdir(), "isulad-ts-store-"));
  return { graph, cleanup: () => rmSync(graph, { recursive: true, force: true }) };
}

/**
 * Gives each test of the calling `describe` a fresh store in a temp graph, handed to `set`
 * before the test; closes and removes it after. `reopen()` closes the store and opens it again,
 * as the next process would (and hands the new one to `set`).
 */
export function useTempStore(set: (store: ImageStore, graph: string) => void): {
  reopen(): void;
} {
  let graph = "";
  let cleanup = () => {};
  let store: ImageStore | undefined;
  const open = () => {
    store = ImageStore.open({ graph });
    set(store, graph);
  };
  beforeEach(() => {
    ({ graph, cleanup } = tempGraph());
    open();
  });
  afterEach(() => {
    store?.close();
    store = undefined;
    cleanup();
  });
  return {
    reopen() {
      store?.close();
      open();
    },
  };
}
