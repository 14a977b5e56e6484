import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { sampleImage } from "../../test/helpers/image-builder.ts";
import { writeOciLayout } from "../../test/helpers/oci-layout-writer.ts";
import { type RegistryHarness, startRegistry } from "../../test/helpers/registry-harness.ts";
import { RegistryClient } from "./registry-client.ts";

const work = mkdtempSync(join(tmpdir(), "pull-tls-"));
let tls: RegistryHarness;
let mtls: RegistryHarness;

before(async () => {
  [tls, mtls] = await Promise.all([startRegistry("tls"), startRegistry("mtls")]);
  await writeOciLayout(join(work, "l"), [{ tag: "v", image: await sampleImage("gzip", "tls") }]);
  await Promise.all([
    tls.push(join(work, "l"), "v", "t/app:1"),
    mtls.push(join(work, "l"), "v", "t/app:1"),
  ]);
});

after(async () => {
  await Promise.all([tls?.stop(), mtls?.stop()]);
  rmSync(work, { recursive: true, force: true });
});

/** A certs.d folder for `host` holding the given files (name → source path). */
function certsDir(host: string, files: Record<string, string>): string {
  const dir = mkdtempSync(join(work, "certs-"));
  mkdirSync(join(dir, host));
  for (const [name, src] of Object.entries(files)) copyFileSync(src, join(dir, host, name));
  return dir;
}

describe("TLS with a CA from certs.d", () => {
  test("a certs.d folder with only ca.crt is enough", async () => {
    const c = new RegistryClient(tls.clientOptions());
    assert.equal((await c.resolveImage(`${tls.host}/t/app:1`)).layers.length, 2);
    await c.close();
  });

  test("without the CA the error says the authority is unknown", async () => {
    const c = new RegistryClient(tls.clientOptions({ certsDir: join(work, "empty") }));
    await assert.rejects(c.resolveImage(`${tls.host}/t/app:1`), {
      kind: "FailedPrecondition",
      message: /certificate signed by unknown authority/,
    });
    await c.close();
  });

  test("insecure-registries skips verification for that host, skip-verify-enforce for all", async () => {
    for (const extra of [{ insecureRegistries: [tls.host] }, { skipVerifyEnforce: true }]) {
      const c = new RegistryClient(tls.clientOptions({ certsDir: join(work, "empty"), ...extra }));
      assert.ok(await c.resolveImage(`${tls.host}/t/app:1`));
      await c.close();
    }
  });
});

describe("TLS requiring client certificates", () => {
  test("the client pair from certs.d is accepted", async () => {
    const c = new RegistryClient(mtls.clientOptions());
    const img = await c.resolveImage(`${mtls.host}/t/app:1`);
    for await (const _ of c.fetchBlob(img, img.layers[0] as never));
    await c.close();
  });

  test("no client certificate: the registry demands one", async () => {
    const dir = certsDir(mtls.host, { "ca.crt": join(mtls.certsDir, mtls.host, "ca.crt") });
    const c = new RegistryClient(mtls.clientOptions({ certsDir: dir }));
    await assert.rejects(c.resolveImage(`${mtls.host}/t/app:1`), {
      kind: "FailedPrecondition",
      message: /requires a client certificate/,
    });
    await c.close();
  });

  test("a client certificate from another CA is rejected", async () => {
    const foreign = mtls.foreignClient;
    assert.ok(foreign);
    const dir = certsDir(mtls.host, {
      "ca.crt": join(mtls.certsDir, mtls.host, "ca.crt"),
      "client.cert": foreign.cert,
      "client.key": foreign.key,
    });
    const c = new RegistryClient(mtls.clientOptions({ certsDir: dir }));
    await assert.rejects(c.resolveImage(`${mtls.host}/t/app:1`), {
      kind: "PermissionDenied",
      message: /rejected the client certificate/,
    });
    await c.close();
  });

  test("a certificate without its key names the file", async () => {
    const dir = certsDir(mtls.host, {
      "client.cert": join(mtls.certsDir, mtls.host, "client.cert"),
    });
    const c = new RegistryClient(mtls.clientOptions({ certsDir: dir }));
    await assert.rejects(c.resolveImage(`${mtls.host}/t/app:1`), {
      kind: "FailedPrecondition",
      message: /client\.cert" has no "client\.key"/,
    });
    await c.close();
  });
});
