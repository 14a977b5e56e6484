import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { makeImageDir, writeManifest } from "../embedded/testing/fixtures.ts";
import { ImageStore } from "../image/image-store.ts";
import { commitFake, fakeChain, fakeImage } from "../image/testing/fixtures.ts";
import { LocalImageService } from "./local-service.ts";

describe("LocalImageService with embedded images", () => {
  let root: string;
  let service: LocalImageService;
  let dir: string;
  let embeddedId: string;
  let ociId: string;

  before(async () => {
    root = mkdtempSync(join(tmpdir(), "svc-embedded-"));
    mkdirSync(join(root, "graph"));
    const store = ImageStore.open({ graph: join(root, "graph") });
    // The OCI image is newer (2024) than the embedded one (2018).
    ociId = commitFake(store, fakeImage(fakeChain(["a"]), { labels: { team: "x" } }), [
      "busybox:latest",
    ]).id;
    service = new LocalImageService(store);
    const made = makeImageDir(root);
    dir = made.dir;
    const res = await service.load({ file: writeManifest(dir, made.doc), type: "embedded" });
    embeddedId = res.images[0]?.id as string;
    assert.deepEqual(res.images[0]?.names, ["test:v1"]);
  });

  after(async () => {
    await service.close();
    rmSync(root, { recursive: true, force: true });
  });

  const names = async (filters: Record<string, string[]> = {}) =>
    (await service.list({ filters })).flatMap((s) => s.repoTags).sort();

  it("lists embedded images with the others, typed embedded", async () => {
    const all = await service.list({ filters: {} });
    const embedded = all.find((s) => s.type === "embedded");
    assert.deepEqual(embedded?.repoTags, ["test:v1"]);
    assert.equal(embedded?.id, embeddedId);
    assert.equal(embedded?.created, "2018-03-01T15:55:44.322987811Z");
    assert.deepEqual(await names(), ["busybox:latest", "test:v1"]);
  });

  it("applies filters to embedded images too", async () => {
    assert.deepEqual(await names({ reference: ["test*"] }), ["test:v1"]);
    assert.deepEqual(await names({ reference: ["test"] }), ["test:v1"]);
    assert.deepEqual(await names({ dangling: ["false"] }), ["busybox:latest", "test:v1"]);
    assert.deepEqual(await names({ dangling: ["true"] }), []);
    assert.deepEqual(await names({ label: ["team"] }), ["busybox:latest"]);
    assert.deepEqual(await names({ before: ["busybox:latest"] }), ["test:v1"]);
    assert.deepEqual(await names({ since: ["test:v1"] }), ["busybox:latest"]);
    assert.deepEqual(await names({ before: [embeddedId.slice(0, 12)] }), []);
  });

  it("inspects an embedded image as its manifest document", async () => {
    const doc = (await service.inspect("test:v1")) as Record<string, unknown>;
    assert.equal(doc.created, "2018-03-01T15:55:44.322987811Z");
    assert.equal(doc.imageName, "test:v1");
    assert.ok(Array.isArray(doc.layers));
  });

  it("resolves OCI images first, embedded ones by name or ID", async () => {
    const oci = (await service.inspect(ociId.slice(0, 12))) as { image: { id: string } };
    assert.equal(oci.image.id, ociId);
    const byId = (await service.inspect(embeddedId)) as Record<string, unknown>;
    assert.equal(byId.imageName, "test:v1");
    await assert.rejects(service.inspect("test:v2"), /No such image:test:v2/);
  });

  it("refuses to tag or save an embedded image, and to tag onto its name", async () => {
    await assert.rejects(
      service.tag("test:v1", "x:1"),
      /embedded image "test:v1" cannot be tagged/,
    );
    await assert.rejects(
      service.save({ names: ["test:v1"], output: join(root, "o.tar") }),
      /cannot be saved/,
    );
    await assert.rejects(service.tag("busybox:latest", "test:v1"), /held by an embedded image/);
  });

  it("removes an embedded image by name and leaves its files", async () => {
    assert.deepEqual(await service.remove({ name: "test:v1", force: false }), {
      action: "deleted",
      id: embeddedId,
    });
    assert.ok(existsSync(join(dir, "app.img")));
    assert.ok(existsSync(join(dir, "test.manifest")));
    assert.deepEqual(await names(), ["busybox:latest"]);
    await assert.rejects(
      service.remove({ name: "test:v1", force: false }),
      /No such image:test:v1/,
    );
  });
});
