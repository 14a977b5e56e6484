import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import {
  type BuiltImage,
  buildImage,
  buildLayer,
  sampleImage,
} from "../../test/helpers/image-builder.ts";
import { writeOciLayout } from "../../test/helpers/oci-layout-writer.ts";
import { type RegistryHarness, startRegistry } from "../../test/helpers/registry-harness.ts";
import { sha256Digest } from "../digest/digest.ts";
import { RegistryClient } from "./registry-client.ts";
import type { ResolvedImage } from "./types.ts";

let reg: RegistryHarness;
let client: RegistryClient;
let app: BuiltImage;
let amd: BuiltImage;
let arm: BuiltImage;
let zstd: BuiltImage;
const work = mkdtempSync(join(tmpdir(), "pull-http-"));

async function collect(image: ResolvedImage, c = client): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for (const l of image.layers) {
    const chunks: Buffer[] = [];
    for await (const chunk of c.fetchBlob(image, l)) chunks.push(Buffer.from(chunk));
    out.push(Buffer.concat(chunks));
  }
  return out;
}

before(async () => {
  reg = await startRegistry("http");
  client = new RegistryClient(reg.clientOptions());
  const whiteouts = await buildLayer(
    [
      { name: "app/.wh.link", body: "" },
      { name: "etc/.wh..wh..opq", body: "" },
      { name: "etc/", type: "dir" },
    ],
    "gzip",
  );
  const big = await buildLayer([{ name: "data.bin", body: randomBytes(300_000) }], "gzip");
  const base = await sampleImage("gzip", "http");
  app = buildImage({ layers: [...base.layers, whiteouts, big] });
  amd = await sampleImage("gzip", "amd");
  arm = await sampleImage("gzip", "arm");
  zstd = await sampleImage("zstd", "zstd");
  const dir = join(work, "layout");
  await writeOciLayout(dir, [
    { tag: "app", image: app },
    {
      tag: "multi",
      platforms: [
        { image: arm, platform: { os: "linux", architecture: "arm64", variant: "v8" } },
        { image: amd, platform: { os: "linux", architecture: "amd64" } },
      ],
    },
    { tag: "zstd", image: zstd },
  ]);
  await reg.push(dir, "app", "team/app:1.0");
  await reg.push(dir, "app", "library/app:latest");
  await reg.push(dir, "multi", "team/multi:1", { all: true });
  await reg.push(dir, "zstd", "team/zstd:1");
  await reg.push(dir, "app", "old/app:1", { format: "v2s1" });
});

after(async () => {
  await client?.close();
  await reg?.stop();
  rmSync(work, { recursive: true, force: true });
});

describe("pulls from the real registry over plain HTTP", () => {
  test("resolveImage returns a verified manifest, the config and four layers", async () => {
    const img = await client.resolveImage(`${reg.host}/team/app:1.0`);
    assert.equal(img.host, reg.host);
    assert.equal(img.repository, "team/app");
    assert.equal(img.manifestDigest, sha256Digest(img.manifest));
    assert.deepEqual(img.config, app.config);
    assert.deepEqual(
      img.layers.map((l) => l.digest),
      app.layers.map((l) => l.digest),
    );
    const blobs = await collect(img);
    assert.deepEqual(
      blobs.map((b) => sha256Digest(b)),
      app.layers.map((l) => l.digest),
    );
  });

  test("resolveImage by digest and by name:tag@digest verifies the manifest digest", async () => {
    const byTag = await client.resolveImage(`${reg.host}/team/app:1.0`);
    const byDigest = await client.resolveImage(`${reg.host}/team/app@${byTag.manifestDigest}`);
    assert.equal(byDigest.manifestDigest, byTag.manifestDigest);
    const both = await client.resolveImage(
      `${reg.host}/team/app:nonexistent@${byTag.manifestDigest}`,
    );
    assert.equal(both.manifestDigest, byTag.manifestDigest);
  });

  test("an index resolves to this host's platform, or the one asked for", async () => {
    const mine = await client.resolveImage(`${reg.host}/team/multi:1`, {
      platform: { os: "linux", architecture: "amd64" },
    });
    assert.deepEqual(mine.config, amd.config);
    const other = await client.resolveImage(`${reg.host}/team/multi:1`, {
      platform: { os: "linux", architecture: "arm64" },
    });
    assert.deepEqual(other.config, arm.config);
    assert.equal(other.manifestDigest, sha256Digest(other.manifest));
  });

  test("an index without the platform names the platforms it offers", async () => {
    await assert.rejects(
      client.resolveImage(`${reg.host}/team/multi:1`, {
        platform: { os: "linux", architecture: "s390x" },
      }),
      {
        kind: "NotFound",
        message: `image "${reg.host}/team/multi:1" has no manifest for platform linux/s390x (offered: linux/arm64/v8, linux/amd64)`,
      },
    );
  });

  test("zstd layers resolve and stream", async () => {
    const img = await client.resolveImage(`${reg.host}/team/zstd:1`);
    assert.equal(img.layers[0]?.mediaType, "application/vnd.oci.image.layer.v1.tar+zstd");
    assert.deepEqual(
      (await collect(img)).map((b) => sha256Digest(b)),
      zstd.layers.map((l) => l.digest),
    );
  });

  test("a schema1 image gets a synthesised config whose diffIDs are the layers'", async () => {
    const img = await client.resolveImage(`${reg.host}/old/app:1`);
    const config = JSON.parse(img.config.toString());
    assert.deepEqual(
      config.rootfs.diff_ids,
      app.layers.map((l) => l.diffId),
    );
    assert.equal(img.manifestMediaType, "application/vnd.docker.distribution.manifest.v2+json");
    assert.equal(JSON.parse(img.manifest.toString()).config.digest, sha256Digest(img.config));
    assert.equal((await collect(img)).length, 4);
  });

  test("a missing tag or repository is NotFound naming image and registry", async () => {
    for (const name of [`${reg.host}/team/app:nope`, `${reg.host}/no/such`]) {
      await assert.rejects(client.resolveImage(name), {
        kind: "NotFound",
        message: `image "${name}" not found in registry "${reg.host}"`,
      });
    }
  });

  test("a wrong digest in the name is refused", async () => {
    const wrong = sha256Digest("other");
    await assert.rejects(client.resolveImage(`${reg.host}/team/app@${wrong}`), {
      kind: "NotFound",
    });
  });

  test("an HTTP registry not listed as insecure is refused with a hint", async () => {
    const strict = new RegistryClient(reg.clientOptions({ insecureRegistries: [] }));
    await assert.rejects(strict.resolveImage(`${reg.host}/team/app:1.0`), {
      kind: "FailedPrecondition",
      message: `connecting to "${reg.host}": the server does not speak TLS (list it in insecure-registries to use HTTP)`,
    });
    await strict.close();
  });

  test("a refused connection and an unknown host are reported in words", async () => {
    await assert.rejects(client.resolveImage("127.0.0.1:1/a/b"), {
      kind: "Unavailable",
      message: 'connecting to "127.0.0.1:1": connection refused',
    });
    await assert.rejects(client.resolveImage("no-such-host.invalid/a/b"), {
      kind: "Unavailable",
      message: 'looking up "no-such-host.invalid": no such host',
    });
  });

  test("a short name goes to the mirrors in order, a dead one skipped", async () => {
    const c = new RegistryClient(
      reg.clientOptions({ mirrors: ["http://127.0.0.1:1", `http://${reg.host}`] }),
    );
    const img = await c.resolveImage("app");
    assert.equal(img.host, reg.host);
    assert.equal(img.repository, "library/app");
    await c.close();
  });

  test("when every mirror fails the first failure is reported", async () => {
    const c = new RegistryClient(
      reg.clientOptions({ mirrors: ["http://127.0.0.1:1", `http://${reg.host}`] }),
    );
    await assert.rejects(c.resolveImage("nothing-here"), {
      message: 'connecting to "127.0.0.1:1": connection refused',
    });
    await c.close();
  });

  test("HTTP_PROXY is honoured, and NO_PROXY exempts 127.0.0.1", async () => {
    const saved = { HTTP_PROXY: process.env.HTTP_PROXY, NO_PROXY: process.env.NO_PROXY };
    try {
      process.env.HTTP_PROXY = "http://127.0.0.1:1";
      delete process.env.NO_PROXY;
      const proxied = new RegistryClient(reg.clientOptions());
      await assert.rejects(proxied.resolveImage(`${reg.host}/team/app:1.0`), /connection refused/);
      await proxied.close();
      process.env.NO_PROXY = "127.0.0.1";
      const direct = new RegistryClient(reg.clientOptions());
      assert.ok(await direct.resolveImage(`${reg.host}/team/app:1.0`));
      await direct.close();
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });
});
