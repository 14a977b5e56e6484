import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import {
  type BuiltImage,
  type BuiltLayer,
  buildImage,
  buildLayer,
} from "../../test/helpers/image-builder.ts";
import { type RegistryHarness, startRegistry } from "../../test/helpers/registry-harness.ts";
import { sha256Digest } from "../digest/digest.ts";
import { ImageStore } from "../image/image-store.ts";
import type { ImageRecord } from "../image/types.ts";
import { pullImage } from "../pull/pull-image.ts";
import { pushImage } from "../push/push-image.ts";
import type { PushProgress } from "../push/types.ts";
import { RegistryClient } from "./registry-client.ts";

const FOREIGN = "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip";
const MANIFEST = "application/vnd.oci.image.manifest.v1+json";

let reg: RegistryHarness;
let client: RegistryClient;
let server: Server;
let urlBase: string;
/** Paths the URL server was asked for, in order. */
const served: string[] = [];
/** What the URL server holds; anything else is a 404. */
const files = new Map<string, Buffer>();

/** Monolithic blob upload: POST for a session, then PUT the bytes with their digest. */
async function pushBlob(repo: string, bytes: Buffer): Promise<void> {
  const start = await fetch(`${reg.url}/v2/${repo}/blobs/uploads/`, { method: "POST" });
  assert.equal(start.status, 202);
  const location = new URL(start.headers.get("location") ?? "", reg.url);
  location.searchParams.set("digest", sha256Digest(bytes));
  const put = await fetch(location, {
    method: "PUT",
    headers: { "content-type": "application/octet-stream" },
    body: new Uint8Array(bytes),
  });
  assert.equal(put.status, 201, await put.text());
}

/** Pushes the config, then PUTs a manifest whose one layer is foreign, fetched from `url`. */
async function pushForeignImage(repo: string, tag: string, image: BuiltImage, url: string) {
  await pushBlob(repo, image.config);
  const layer = image.layers[0] as BuiltLayer;
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MANIFEST,
      config: {
        mediaType: "application/vnd.oci.image.config.v1+json",
        digest: image.configDigest,
        size: image.config.length,
      },
      layers: [{ mediaType: FOREIGN, digest: layer.digest, size: layer.blob.length, urls: [url] }],
    }),
  );
  const res = await fetch(`${reg.url}/v2/${repo}/manifests/${tag}`, {
    method: "PUT",
    headers: { "content-type": MANIFEST },
    body: new Uint8Array(manifest),
  });
  assert.equal(res.status, 201, await res.text());
}

async function fetchAll(name: string): Promise<{ bytes: Buffer; digest: string }> {
  const img = await client.resolveImage(name);
  assert.equal(img.layers.length, 1);
  const layer = img.layers[0];
  assert.ok(layer);
  assert.equal(layer.mediaType, FOREIGN);
  const chunks: Buffer[] = [];
  for await (const c of client.fetchBlob(img, layer)) chunks.push(Buffer.from(c));
  return { bytes: Buffer.concat(chunks), digest: layer.digest };
}

before(async () => {
  reg = await startRegistry("http");
  client = new RegistryClient(reg.clientOptions());
  server = createServer((req, res) => {
    served.push(req.url ?? "");
    const body = files.get(req.url ?? "");
    if (!body) {
      res.writeHead(404).end("not here");
      return;
    }
    res.writeHead(200, { "content-length": body.length }).end(body);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as { port: number };
  urlBase = `http://127.0.0.1:${port}`;
});

after(async () => {
  await client?.close();
  await reg?.stop();
  server?.closeAllConnections();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
});

describe("foreign (non-distributable) layers", () => {
  test("are fetched from their urls, not the registry", async () => {
    const layer = await buildLayer([{ name: "f.bin", body: randomBytes(50_000) }], "gzip");
    const image = buildImage({ layers: [layer] });
    files.set("/foreign/layer.tar.gz", layer.blob);
    served.length = 0;
    // The blob is never pushed to the registry: only the URL server has it.
    await pushForeignImage("team/foreign", "1", image, `${urlBase}/foreign/layer.tar.gz`);

    const got = await fetchAll(`${reg.host}/team/foreign:1`);
    assert.deepEqual(served, ["/foreign/layer.tar.gz"]);
    assert.equal(got.digest, layer.digest);
    assert.equal(sha256Digest(got.bytes), layer.digest);
    assert.ok(got.bytes.equals(layer.blob));
  });

  test("are not uploaded when a pulled image is pushed: the manifest keeps their urls", async () => {
    const layer = await buildLayer([{ name: "h.bin", body: randomBytes(50_000) }], "gzip");
    const image = buildImage({ layers: [layer] });
    const url = `${urlBase}/foreign/push.tar.gz`;
    files.set("/foreign/push.tar.gz", layer.blob);
    await pushForeignImage("team/foreign-src", "1", image, url);
    const graph = mkdtempSync(join(tmpdir(), "foreign-push-"));
    const store = ImageStore.open({ graph });
    try {
      const name = `${reg.host}/team/foreign-src:1`;
      const pulled = await pullImage({
        store,
        source: client,
        reference: name,
        storedName: name,
        maxConcurrentDownloads: 1,
      });
      const record = store.getImage(pulled.id) as ImageRecord;
      const events: PushProgress[] = [];
      const out = await pushImage({
        store,
        record,
        target: client.pushDestination(reg.host, "team/foreign-copy"),
        reference: "1",
        maxConcurrentUploads: 2,
        onProgress: (p) => events.push(p),
      });
      assert.equal(out.digest, record.digest, "the stored manifest, urls and all");
      assert.deepEqual(
        events.map((e) => e.status),
        ["preparing", "skipped"],
      );
      const asked = new RegExp(`/v2/team/foreign-copy/blobs/${layer.digest}`);
      assert.doesNotMatch(
        await reg.settledLog(),
        asked,
        "the foreign layer was looked for or uploaded",
      );
      // Pulled back from the copy, the layer comes from its url again.
      served.length = 0;
      const back = await fetchAll(`${reg.host}/team/foreign-copy:1`);
      assert.deepEqual(served, ["/foreign/push.tar.gz"]);
      assert.equal(back.digest, layer.digest);
    } finally {
      store.close();
      rmSync(graph, { recursive: true, force: true });
    }
  });

  test("fall back to the registry when the url answers 404", async () => {
    const layer = await buildLayer([{ name: "g.bin", body: randomBytes(50_000) }], "gzip");
    const image = buildImage({ layers: [layer] });
    await pushBlob("team/fallback", layer.blob);
    served.length = 0;
    await pushForeignImage("team/fallback", "1", image, `${urlBase}/missing/layer.tar.gz`);

    const got = await fetchAll(`${reg.host}/team/fallback:1`);
    assert.deepEqual(served, ["/missing/layer.tar.gz"], "the url was tried first");
    assert.equal(sha256Digest(got.bytes), layer.digest);
    assert.ok(got.bytes.equals(layer.blob));
    assert.match(await reg.settledLog(), new RegExp(`GET /v2/team/fallback/blobs/${layer.digest}`));
  });
});
