// daemon.json's registry keys end to end through `./bin/isula`, against the real registry:
// `registry-mirrors` for names without a host (in order, Docker Hub last, which is unreachable
// here), `insecure-skip-verify-enforce` against a TLS registry whose CA is not configured, and
// ten concurrent logins that must all land in auths.json. Needs `npm run build` first.
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { AuthStore } from "../../src/auth/auth-store.ts";
import { ImageStore } from "../../src/image/image-store.ts";
import { type FaultProxy, startFaultProxy } from "../helpers/fault-proxy.ts";
import { type BuiltImage, sampleImage } from "../helpers/image-builder.ts";
import { writeOciLayout } from "../helpers/oci-layout-writer.ts";
import { type RegistryHarness, startRegistry } from "../helpers/registry-harness.ts";
import { runProcess } from "../helpers/run-process.ts";
import { snapshotStore } from "../helpers/store-snapshot.ts";
import {
  assertBuilt,
  ensureDaemon,
  makeSandbox,
  ROOT,
  type RunResult,
  type Sandbox,
} from "./harness.ts";

async function run(box: Sandbox, args: string[], input?: string): Promise<RunResult> {
  ensureDaemon(box);
  const r = await runProcess(join(ROOT, "bin", "isula"), args, {
    cwd: join(box.dir, "work"),
    env: box.env,
    input: input ?? "",
  });
  return { code: r.code, stdout: r.stdout, stderr: r.stderr };
}

/** A sandbox with these daemon.json keys added. */
function sandboxWith(keys: Record<string, unknown>): Sandbox {
  const box = makeSandbox();
  const file = join(box.dir, "daemon.json");
  writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, "utf8")), ...keys }));
  return box;
}

/** The stored images of the sandbox: ID → names. */
function storedImages(box: Sandbox): Record<string, string[]> {
  const store = ImageStore.open({ graph: join(box.dir, "graph") });
  try {
    return Object.fromEntries(store.listImages().map((i) => [i.id, i.names]));
  } finally {
    store.close();
  }
}

function snapshot(box: Sandbox) {
  ensureDaemon(box);
  const store = ImageStore.open({ graph: join(box.dir, "graph") });
  try {
    return snapshotStore(store);
  } finally {
    store.close();
  }
}

async function pushTo(reg: RegistryHarness, image: BuiltImage, repos: string[]): Promise<void> {
  const dir = join(reg.root, `layout-${image.id.slice(0, 8)}`);
  await writeOciLayout(dir, [{ tag: "1", image }]);
  for (const repo of repos) await reg.push(dir, "1", repo);
}

const pulled = (name: string) => `Image "${name}" pulling\nImage "${name}" pulled\n`;

before(() => assertBuilt());

describe("registry-mirrors through isula pull", () => {
  let first: RegistryHarness;
  let second: RegistryHarness;
  let imageA: BuiltImage;
  let imageB: BuiltImage;
  before(async () => {
    [first, second] = await Promise.all([startRegistry("http"), startRegistry("http")]);
    imageA = await sampleImage("gzip", "mirror-a");
    imageB = await sampleImage("gzip", "mirror-b");
    await pushTo(first, imageA, ["library/app:1"]);
    await pushTo(second, imageB, ["library/app:1", "library/only-second:1"]);
  });
  after(async () => {
    await first?.stop();
    await second?.stop();
  });

  const mirrored = (mirrors: string[]) =>
    sandboxWith({
      "registry-mirrors": mirrors,
      "insecure-registries": [first.host, second.host],
    });

  it("a short name comes from the first mirror that answers, a dead one skipped", async () => {
    const box = mirrored(["http://127.0.0.1:1", `http://${first.host}`, second.host]);
    const r = await run(box, ["pull", "app:1"]);
    assert.deepEqual(r, { code: 0, stdout: "", stderr: pulled("app:1") });
    assert.deepEqual(Object.keys(storedImages(box)), [imageA.id]);
    assert.match(await first.settledLog(), /"GET \/v2\/library\/app\/manifests\/1 HTTP/);
  });

  it("a mirror that lacks the image passes the name on to the next, in order", async () => {
    const box = mirrored([`http://${first.host}`, `http://${second.host}`]);
    const r = await run(box, ["pull", "only-second:1"]);
    assert.deepEqual(r, { code: 0, stdout: "", stderr: pulled("only-second:1") });
    assert.deepEqual(Object.keys(storedImages(box)), [imageB.id]);
  });

  it("a name with a registry host ignores the mirrors", async () => {
    const box = mirrored([`http://${first.host}`]);
    const name = `${second.host}/library/app:1`;
    const r = await run(box, ["pull", name]);
    assert.deepEqual(r, { code: 0, stdout: "", stderr: pulled(name) });
    assert.deepEqual(storedImages(box), { [imageB.id]: [name] });
  });

  it("when no mirror has it, Docker Hub comes last and the error stays one clear line", async (t) => {
    const box = mirrored([`http://${first.host}`]);
    // Docker Hub is out of reach here; an HTTPS proxy that refuses every tunnel shows that it
    // was tried, and that its failure does not replace the mirror's answer.
    const tunnels: { target: string; at: number }[] = [];
    const refuser = createServer();
    refuser.on("connect", (req, socket) => {
      tunnels.push({ target: req.url ?? "", at: Date.now() });
      socket.end("HTTP/1.1 502 Bad Gateway\r\n\r\n");
    });
    await new Promise<void>((r) => refuser.listen(0, "127.0.0.1", r));
    t.after(() => refuser.close());
    const port = (refuser.address() as AddressInfo).port;
    Object.assign(box.env, { HTTPS_PROXY: `http://127.0.0.1:${port}`, NO_PROXY: "127.0.0.1" });
    const before = snapshot(box);
    const mark = Date.now();
    const r = await run(box, ["pull", "not-anywhere:1"]);
    assert.deepEqual(
      tunnels.map((x) => x.target),
      ["registry-1.docker.io:443"],
    );
    assert.ok((tunnels[0]?.at ?? 0) >= mark);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, "");
    const lines = r.stderr.split("\n");
    assert.equal(lines[0], 'Image "not-anywhere:1" pulling');
    assert.match(
      lines[1] ?? "",
      /^Failed to pull image not-anywhere:1 with error: image "not-anywhere:1" not found in registry "127\.0\.0\.1:\d+"$/,
    );
    assert.equal(lines.length, 3, r.stderr);
    assert.deepEqual(snapshot(box), before);
  });
});

describe("insecure-skip-verify-enforce through isula pull", () => {
  let reg: RegistryHarness;
  let image: BuiltImage;
  before(async () => {
    reg = await startRegistry("tls");
    image = await sampleImage("gzip", "skip-verify");
    await pushTo(reg, image, ["team/app:1"]);
  });
  after(async () => reg?.stop());

  it("without the registry's CA the pull fails naming the certificate problem", async () => {
    const box = sandboxWith({});
    const before = snapshot(box);
    const name = `${reg.host}/team/app:1`;
    const r = await run(box, ["pull", name]);
    assert.equal(r.code, 1);
    assert.equal(
      r.stderr.split("\n")[1],
      `Failed to pull image ${name} with error: connecting to "${reg.host}": x509: certificate signed by unknown authority (add its CA to certs.d/${reg.host}/ca.crt)`,
    );
    assert.deepEqual(snapshot(box), before);
  });

  it("with insecure-skip-verify-enforce the same pull succeeds", async () => {
    const box = sandboxWith({ "insecure-skip-verify-enforce": true });
    const name = `${reg.host}/team/app:1`;
    const r = await run(box, ["pull", name]);
    assert.deepEqual(r, { code: 0, stdout: "", stderr: pulled(name) });
    assert.deepEqual(storedImages(box), { [image.id]: [name] });
  });
});

describe("concurrent isula login", () => {
  let reg: RegistryHarness;
  let proxies: FaultProxy[];
  before(async () => {
    reg = await startRegistry("basic");
    // One registry under ten names: a plain reverse proxy per port.
    proxies = await Promise.all(Array.from({ length: 10 }, () => startFaultProxy(reg.url)));
  });
  after(async () => {
    await Promise.all((proxies ?? []).map((p) => p.close()));
    await reg?.stop();
  });

  it("ten logins to ten servers at once all end up in auths.json", async () => {
    const hosts = proxies.map((p) => p.host);
    const box = sandboxWith({ "insecure-registries": hosts });
    const { username, password } = reg.credentials as { username: string; password: string };
    const results = await Promise.all(
      hosts.map((h) => run(box, ["login", "-u", username, "--password-stdin", h], password)),
    );
    for (const r of results) {
      assert.deepEqual(r, { code: 0, stdout: "", stderr: "Login Succeeded\n" });
    }
    const auth = new AuthStore(join(box.env.HOME as string, ".isulad"));
    const doc = JSON.parse(readFileSync(auth.authsPath, "utf8"));
    assert.deepEqual(Object.keys(doc.auths).sort(), [...hosts].sort());
    for (const h of hosts) assert.deepEqual(auth.get(h), { username, password });
  });
});
