// Schema1 pulls from the real registry (skopeo converts test images to v2s1): each layer blob is
// fetched once, counted in the registry's access log, and the image is the one a full resolve
// describes.
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { startFaultProxy } from "../../test/helpers/fault-proxy.ts";
import { type BuiltImage, buildImage, buildLayer } from "../../test/helpers/image-builder.ts";
import { writeOciLayout } from "../../test/helpers/oci-layout-writer.ts";
import { type RegistryHarness, startRegistry } from "../../test/helpers/registry-harness.ts";
import { snapshotStore } from "../../test/helpers/store-snapshot.ts";
import { blobGets } from "../daemon/testing/registry-images.ts";
import { sha256Digest } from "../digest/digest.ts";
import { ImageStore } from "../image/image-store.ts";
import { tempGraph } from "../image/testing/fixtures.ts";
import { verifyStore } from "../image/verify-store.ts";
import { RegistryClient } from "../registry/registry-client.ts";
import { pullImage } from "./pull-image.ts";
import type { PullSource } from "./types.ts";

let reg: RegistryHarness;
let image: BuiltImage;

before(async () => {
  reg = await startRegistry("http");
  const base = await buildLayer([{ name: "etc/os-release", body: "ID=schema1\n" }], "gzip");
  const mid = await buildLayer([{ name: "app/run.sh", body: "#!/bin/sh\n", mode: 0o755 }], "gzip");
  // The base blob listed twice (at the bottom and on top): one download, two chain IDs.
  image = buildImage({ layers: [base, mid, base] });
  const dir = mkdtempSync(join(tmpdir(), "schema1-layout-"));
  try {
    await writeOciLayout(dir, [{ tag: "1", image }]);
    await reg.push(dir, "1", "old/app:1", { format: "v2s1" });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
after(async () => reg?.stop());

describe("pullImage of a schema1 image", () => {
  it("fetches each layer blob once and stores the image a full resolve describes", async () => {
    const { graph, cleanup } = tempGraph();
    const store = ImageStore.open({ graph });
    const client = new RegistryClient(reg.clientOptions());
    try {
      const name = `${reg.host}/old/app:1`;
      const full = await client.resolveImage(name);
      const from = (await reg.settledLog()).length;
      const r = await pullImage({
        store,
        source: client,
        reference: name,
        storedName: name,
        maxConcurrentDownloads: 3,
        whiteoutFormat: "aufs",
      });
      assert.equal(r.id, sha256Digest(full.config).slice(7));
      const gets = blobGets((await reg.settledLog()).slice(from), "old/app");
      const [base, mid] = image.layers;
      assert.deepEqual(
        [gets.get(base?.digest as never), gets.get(mid?.digest as never)],
        [1, 1],
        "one GET per distinct layer blob",
      );
      const record = store.getImage(r.id);
      assert.ok(record);
      assert.deepEqual(
        store.imageLayers(record).map((l) => l.diffId),
        image.layers.map((l) => l.diffId),
      );
      assert.deepEqual(await verifyStore(store), []);
      assert.deepEqual(readdirSync(join(store.root, "ingest")), []);

      const again = (await reg.settledLog()).length;
      await pullImage({
        store,
        source: client,
        reference: name,
        storedName: `${reg.host}/old/app:again`,
        maxConcurrentDownloads: 3,
        whiteoutFormat: "aufs",
      });
      assert.equal(
        blobGets((await reg.settledLog()).slice(again), "old/app").size,
        0,
        "stored layers not fetched",
      );
    } finally {
      await client.close();
      store.close();
      cleanup();
    }
  });

  it("a blob that does not match its digest fails the pull and leaves the store unchanged", async () => {
    const proxy = await startFaultProxy(reg.url);
    const { graph, cleanup } = tempGraph();
    const store = ImageStore.open({ graph });
    const client = new RegistryClient({ ...reg.clientOptions(), insecureRegistries: [proxy.host] });
    try {
      const mid = image.layers[1]?.digest as string;
      proxy.rule = (req) => (req.path.endsWith(mid) ? { body: Buffer.from("garbage") } : undefined);
      const before = snapshotStore(store);
      await assert.rejects(
        pullImage({
          store,
          source: client,
          reference: `${proxy.host}/old/app:1`,
          storedName: `${proxy.host}/old/app:1`,
          maxConcurrentDownloads: 3,
          whiteoutFormat: "aufs",
        }),
        { message: new RegExp(`^fetching layer ${mid}: `) },
      );
      assert.deepEqual(snapshotStore(store), before);
    } finally {
      await client.close();
      store.close();
      cleanup();
      await proxy.close();
    }
  });
  it("two stores on one graph pulling at once download each blob once (blob claims)", async () => {
    const { graph, cleanup } = tempGraph();
    // Two handles on one graph stand for two processes: a claim is an open-file-description
    // lock, so they conflict as two processes would.
    const stores = [ImageStore.open({ graph }), ImageStore.open({ graph })];
    const client = new RegistryClient(reg.clientOptions());
    // Slows every blob body so that the second pull asks while the first still downloads.
    const slow: PullSource = {
      resolveImage: (n, o) => client.resolveImage(n, o),
      async *fetchBlob(img, blob, o) {
        for await (const chunk of client.fetchBlob(img, blob, o)) {
          await new Promise((r) => setTimeout(r, 150));
          yield chunk;
        }
      },
    };
    try {
      const name = `${reg.host}/old/app:1`;
      const from = (await reg.settledLog()).length;
      const pulls = stores.map((store, i) =>
        pullImage({
          store,
          source: slow,
          reference: name,
          storedName: `${reg.host}/old/app:claim${i}`,
          maxConcurrentDownloads: 3,
          whiteoutFormat: "aufs",
        }),
      );
      const [a, b] = await Promise.all(pulls);
      assert.equal(a?.id, b?.id);
      const gets = blobGets((await reg.settledLog()).slice(from), "old/app");
      const [base, mid] = image.layers;
      assert.deepEqual(
        [gets.get(base?.digest as never), gets.get(mid?.digest as never)],
        [1, 1],
        "one GET per distinct layer blob across both pulls",
      );
      assert.deepEqual(await verifyStore(stores[0] as ImageStore), []);
      assert.deepEqual(readdirSync(join(graph, "storage", "ingest")), []);
    } finally {
      await client.close();
      for (const s of stores) s.close();
      cleanup();
    }
  });
});
