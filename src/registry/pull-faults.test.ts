import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, beforeEach, test } from "node:test";
import { type FaultProxy, startFaultProxy } from "../../test/helpers/fault-proxy.ts";
import { type BuiltImage, buildImage, buildLayer } from "../../test/helpers/image-builder.ts";
import { writeOciLayout } from "../../test/helpers/oci-layout-writer.ts";
import { type RegistryHarness, startRegistry } from "../../test/helpers/registry-harness.ts";
import { sha256Digest } from "../digest/digest.ts";
import type { Descriptor } from "../oci/types.ts";
import { RegistryClient } from "./registry-client.ts";
import type { RegistryOptions, ResolvedImage } from "./types.ts";

let reg: RegistryHarness;
let proxy: FaultProxy;
let image: BuiltImage;
const work = mkdtempSync(join(tmpdir(), "pull-faults-"));
const SIZE = 200_000;

before(async () => {
  reg = await startRegistry("http");
  proxy = await startFaultProxy(reg.url);
  const layer = await buildLayer([{ name: "data.bin", body: randomBytes(SIZE) }], "gzip");
  image = buildImage({ layers: [layer] });
  await writeOciLayout(join(work, "l"), [{ tag: "v", image }]);
  await reg.push(join(work, "l"), "v", "f/app:1");
});

beforeEach(() => {
  proxy.reset();
});

after(async () => {
  await proxy?.close();
  await reg?.stop();
  rmSync(work, { recursive: true, force: true });
});

function clientFor(extra: Partial<RegistryOptions> = {}): RegistryClient {
  return new RegistryClient(
    reg.clientOptions({
      insecureRegistries: [proxy.host],
      ...extra,
      transfer: { retryDelayMs: 5, maxRetryDelayMs: 20, ...extra.transfer },
    }),
  );
}

const isBlob = (path: string) => path.includes("/blobs/");

async function pull(c: RegistryClient): Promise<{ img: ResolvedImage; bytes: Buffer }> {
  const img = await c.resolveImage(`${proxy.host}/f/app:1`);
  const layer = img.layers[0] as Descriptor;
  const chunks: Buffer[] = [];
  for await (const chunk of c.fetchBlob(img, layer)) chunks.push(Buffer.from(chunk));
  return { img, bytes: Buffer.concat(chunks) };
}

test("500s on the manifest and the blob are retried until they succeed", async () => {
  proxy.rule = (r, n) => (r.path !== "/v2/" && n < 2 ? { status: 500 } : undefined);
  const c = clientFor();
  const { bytes } = await pull(c);
  assert.equal(sha256Digest(bytes), image.layers[0]?.digest);
  await c.close();
});

test("500s forever fail after the attempts with a server error", async () => {
  proxy.rule = (r) => (r.path.includes("/manifests/") ? { status: 503 } : undefined);
  const c = clientFor({ transfer: { attempts: 3 } });
  await assert.rejects(c.resolveImage(`${proxy.host}/f/app:1`), {
    kind: "Unavailable",
    message: /server error 503/,
  });
  assert.equal(proxy.seen.filter((s) => s.path.includes("/manifests/")).length, 3);
  await c.close();
});

test("a connection reset mid-blob resumes with Range from the bytes passed on", async () => {
  proxy.rule = (r, n) =>
    isBlob(r.path) && r.method === "GET" && n === 0 && !r.path.includes(image.configDigest)
      ? { resetAfter: 70_000 }
      : undefined;
  const c = clientFor();
  const { bytes } = await pull(c);
  assert.equal(sha256Digest(bytes), image.layers[0]?.digest);
  const ranges = proxy.seen.filter((s) => s.range).map((s) => s.range);
  assert.equal(ranges.length, 1);
  assert.match(ranges[0] ?? "", /^bytes=\d+-$/);
  await c.close();
});

test("a server that ignores Range has the already-sent prefix skipped", async () => {
  const layerPath = `/blobs/${image.layers[0]?.digest}`;
  proxy.rule = (r, n) => {
    if (!r.path.endsWith(layerPath)) return undefined;
    return n === 0 ? { resetAfter: 50_000 } : { ignoreRange: true };
  };
  const c = clientFor();
  const { bytes } = await pull(c);
  assert.equal(bytes.length, image.layers[0]?.blob.length);
  assert.equal(sha256Digest(bytes), image.layers[0]?.digest);
  await c.close();
});

test("a truncated body is retried and completed", async () => {
  const layerPath = `/blobs/${image.layers[0]?.digest}`;
  proxy.rule = (r, n) =>
    r.path.endsWith(layerPath) && n === 0 ? { truncateAfter: 1000 } : undefined;
  const c = clientFor();
  const { bytes } = await pull(c);
  assert.equal(sha256Digest(bytes), image.layers[0]?.digest);
  await c.close();
});

test("a wrong blob of the right size fails with a digest mismatch", async () => {
  const layerPath = `/blobs/${image.layers[0]?.digest}`;
  const size = image.layers[0]?.blob.length ?? 0;
  proxy.rule = (r) => (r.path.endsWith(layerPath) ? { body: randomBytes(size) } : undefined);
  const c = clientFor();
  await assert.rejects(pull(c), { kind: "InvalidArgument", message: /does not match its digest/ });
  await c.close();
});

test("a wrong config is refused against its digest", async () => {
  proxy.rule = (r) =>
    r.path.endsWith(`/blobs/${image.configDigest}`)
      ? { body: Buffer.alloc(image.config.length, 32) }
      : undefined;
  const c = clientFor();
  await assert.rejects(c.resolveImage(`${proxy.host}/f/app:1`), {
    kind: "InvalidArgument",
    message: /does not match its digest/,
  });
  await c.close();
});

test("a manifest that does not match the digest asked for is refused", async () => {
  const good = await (async () => {
    const c = clientFor();
    const img = await c.resolveImage(`${proxy.host}/f/app:1`);
    await c.close();
    return img;
  })();
  proxy.rule = (r) =>
    r.path.includes("/manifests/")
      ? { body: Buffer.concat([good.manifest, Buffer.from(" ")]) }
      : undefined;
  const c = clientFor();
  await assert.rejects(c.resolveImage(`${proxy.host}/f/app@${good.manifestDigest}`), {
    kind: "InvalidArgument",
    message: /does not match its digest/,
  });
  await c.close();
});

test("a very slow body is aborted by the watchdog and retried", async () => {
  const layerPath = `/blobs/${image.layers[0]?.digest}`;
  proxy.rule = (r, n) =>
    r.path.endsWith(layerPath) && n === 0 ? { bytesPerSecond: 500 } : undefined;
  const c = clientFor({ transfer: { lowSpeedBytesPerSecond: 10_000, lowSpeedSeconds: 0.5 } });
  const started = Date.now();
  const { bytes } = await pull(c);
  assert.equal(sha256Digest(bytes), image.layers[0]?.digest);
  assert.ok(Date.now() - started < 5000);
  assert.ok(proxy.seen.filter((s) => s.path.endsWith(layerPath)).length >= 2);
  await c.close();
});

test("a very slow body fails after the attempts when it never speeds up", async () => {
  const layerPath = `/blobs/${image.layers[0]?.digest}`;
  proxy.rule = (r) => (r.path.endsWith(layerPath) ? { bytesPerSecond: 500 } : undefined);
  const c = clientFor({
    transfer: { attempts: 2, lowSpeedBytesPerSecond: 10_000, lowSpeedSeconds: 0.3 },
  });
  await assert.rejects(pull(c), { kind: "Unavailable", message: /fewer than 10000 bytes\/s/ });
  await c.close();
});

test("an unsupported manifest media type is refused in words", async () => {
  proxy.rule = (r) => (r.path.includes("/manifests/") ? { status: 200 } : undefined);
  const c = clientFor();
  await assert.rejects(c.resolveImage(`${proxy.host}/f/app:1`), {
    kind: "InvalidArgument",
    message: /unsupported media type/,
  });
  await c.close();
});
