import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { type FaultProxy, startFaultProxy } from "../../test/helpers/fault-proxy.ts";
import { sampleImage } from "../../test/helpers/image-builder.ts";
import { writeOciLayout } from "../../test/helpers/oci-layout-writer.ts";
import { type RegistryHarness, startRegistry } from "../../test/helpers/registry-harness.ts";
import { sha256Digest } from "../digest/digest.ts";
import { RegistryClient } from "./registry-client.ts";

const work = mkdtempSync(join(tmpdir(), "pull-auth-"));
let basic: RegistryHarness;
let token: RegistryHarness;

before(async () => {
  [basic, token] = await Promise.all([startRegistry("basic"), startRegistry("token")]);
  await writeOciLayout(join(work, "l"), [{ tag: "v", image: await sampleImage("gzip", "auth") }]);
  await Promise.all([
    basic.push(join(work, "l"), "v", "sec/app:1"),
    token.push(join(work, "l"), "v", "sec/app:1"),
  ]);
});

after(async () => {
  await Promise.all([basic?.stop(), token?.stop()]);
  rmSync(work, { recursive: true, force: true });
});

async function pullAll(c: RegistryClient, name: string) {
  const img = await c.resolveImage(name);
  for (const l of img.layers) for await (const _ of c.fetchBlob(img, l));
  return img;
}

describe("htpasswd basic auth", () => {
  test("anonymous pulls are refused with a hint to log in", async () => {
    const c = new RegistryClient(basic.clientOptions({ credentialsFor: () => undefined }));
    await assert.rejects(c.resolveImage(`${basic.host}/sec/app:1`), {
      kind: "Unauthenticated",
      message: `fetching manifest of "${basic.host}/sec/app:1" from "${basic.host}": unauthorized: authentication required (isula login ${basic.host})`,
    });
    await c.close();
  });

  test("stored credentials (password with colons) pull the image", async () => {
    const c = new RegistryClient(basic.clientOptions());
    assert.equal((await pullAll(c, `${basic.host}/sec/app:1`)).layers.length, 2);
    await c.close();
  });

  test("explicit credentials take priority over stored ones", async () => {
    const c = new RegistryClient(
      basic.clientOptions({ credentialsFor: () => ({ username: "alice", password: "wrong" }) }),
    );
    await assert.rejects(c.resolveImage(`${basic.host}/sec/app:1`), {
      kind: "Unauthenticated",
      message: /refused the credentials/,
    });
    assert.ok(await c.resolveImage(`${basic.host}/sec/app:1`, { credentials: basic.credentials }));
    await c.close();
  });

  test("checkLogin accepts the right password and refuses a wrong one", async () => {
    const c = new RegistryClient(basic.clientOptions());
    await c.checkLogin(`${basic.host}/some/path`, basic.credentials as never);
    await assert.rejects(c.checkLogin(basic.host, { username: "alice", password: "nope" }), {
      kind: "Unauthenticated",
      message: `logging in to "${basic.host}": wrong username or password`,
    });
    await c.close();
  });

  test("a blob redirected to storage elsewhere gets no Authorization there", async () => {
    const proxy: FaultProxy = await startFaultProxy(basic.url);
    const img0 = await sampleImage("gzip", "auth");
    const layer = img0.layers[0];
    const storageSeen: (string | undefined)[] = [];
    const storage: Server = createServer((req, res) => {
      storageSeen.push(req.headers.authorization);
      res.end(layer?.blob);
    });
    await new Promise<void>((r) => storage.listen(0, "127.0.0.1", r));
    const storageUrl = `http://127.0.0.1:${(storage.address() as AddressInfo).port}/bucket/${layer?.digest}?sig=x`;
    proxy.rule = (r) =>
      r.path.endsWith(`/blobs/${layer?.digest}`) ? { redirectTo: storageUrl } : undefined;
    const c = new RegistryClient(
      basic.clientOptions({
        insecureRegistries: [proxy.host],
        credentialsFor: () => basic.credentials,
      }),
    );
    try {
      const img = await c.resolveImage(`${proxy.host}/sec/app:1`);
      const chunks: Buffer[] = [];
      for await (const chunk of c.fetchBlob(img, img.layers[0] as never))
        chunks.push(Buffer.from(chunk));
      assert.equal(sha256Digest(Buffer.concat(chunks)), layer?.digest);
      assert.ok(proxy.seen.find((s) => s.path.endsWith(`/blobs/${layer?.digest}`))?.authorization);
      assert.deepEqual(storageSeen, [undefined]);
    } finally {
      await c.close();
      await proxy.close();
      storage.close();
    }
  });
});

describe("bearer tokens from a token server", () => {
  test("anonymous pulls are refused when the token server wants credentials", async () => {
    const c = new RegistryClient(token.clientOptions({ credentialsFor: () => undefined }));
    await assert.rejects(c.resolveImage(`${token.host}/sec/app:1`), {
      kind: "Unauthenticated",
      message: /authentication required/,
    });
    await c.close();
  });

  test("anonymous pull tokens work when the token server gives them", async () => {
    const ts = token.tokenServer;
    assert.ok(ts);
    ts.options.anonymousPull = true;
    try {
      const c = new RegistryClient(token.clientOptions({ credentialsFor: () => undefined }));
      assert.ok(await pullAll(c, `${token.host}/sec/app:1`));
      await c.close();
    } finally {
      ts.options.anonymousPull = false;
    }
  });

  test("one token per scope is fetched and reused for the manifest, config and layers", async () => {
    const ts = token.tokenServer;
    assert.ok(ts);
    ts.requests.length = 0;
    const c = new RegistryClient(token.clientOptions());
    await pullAll(c, `${token.host}/sec/app:1`);
    assert.deepEqual(
      ts.requests.map((r) => [r.account, r.scopes, r.status]),
      [["alice", ["repository:sec/app:pull"], 200]],
    );
    await c.close();
  });

  test("an expired token is fetched again, and access_token is understood", async () => {
    const ts = token.tokenServer;
    assert.ok(ts);
    ts.options.expiresIn = 1;
    ts.options.field = "access_token";
    try {
      ts.requests.length = 0;
      const c = new RegistryClient(token.clientOptions());
      await c.resolveImage(`${token.host}/sec/app:1`);
      await new Promise((r) => setTimeout(r, 1100));
      await c.resolveImage(`${token.host}/sec/app:1`);
      assert.equal(ts.requests.length, 2);
      await c.close();
    } finally {
      delete ts.options.expiresIn;
      delete ts.options.field;
    }
  });

  test("a wrong password is Unauthenticated, and checkLogin tells right from wrong", async () => {
    const c = new RegistryClient(
      token.clientOptions({ credentialsFor: () => ({ username: "alice", password: "bad" }) }),
    );
    await assert.rejects(c.resolveImage(`${token.host}/sec/app:1`), {
      kind: "Unauthenticated",
      message: /wrong username or password/,
    });
    await c.checkLogin(token.host, token.credentials as never);
    await assert.rejects(c.checkLogin(token.host, { username: "alice", password: "bad" }), {
      kind: "Unauthenticated",
    });
    await c.close();
  });
});
