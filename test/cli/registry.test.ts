// pull, login and logout end to end: `./bin/isula` in direct mode against the real registry
// (Debian's docker-registry) in each mode a user meets, started by the registry harness. Images
// are built here, pushed with skopeo, and compared with what `load` of the same image stores.
// Needs `npm run build` first.
import assert from "node:assert/strict";
import { cpSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { ImageStore } from "../../src/image/image-store.ts";
import { writeArchive } from "../helpers/archive-writer.ts";
import { type BuiltImage, buildImage, buildLayer, sampleImage } from "../helpers/image-builder.ts";
import { writeOciLayout } from "../helpers/oci-layout-writer.ts";
import type { RegistryHarness, RegistryMode } from "../helpers/registry-harness.ts";
import { startRegistry } from "../helpers/registry-harness.ts";
import { runProcess } from "../helpers/run-process.ts";
import { listTree, snapshotStore } from "../helpers/store-snapshot.ts";
import {
  assertBuilt,
  ensureDaemon,
  makeSandbox,
  ROOT,
  type RunResult,
  type Sandbox,
} from "./harness.ts";

/** Runs `./bin/isula` without blocking this process (the token server runs in it). */
async function run(box: Sandbox, args: string[], input?: string): Promise<RunResult> {
  ensureDaemon(box);
  const r = await runProcess(join(ROOT, "bin", "isula"), args, {
    cwd: join(box.dir, "work"),
    env: box.env,
    input: input ?? "",
  });
  return { code: r.code, stdout: r.stdout, stderr: r.stderr };
}

/** A sandbox whose daemon.json and certs.d reach `reg`. */
function sandboxFor(reg: RegistryHarness, extra: Record<string, unknown> = {}): Sandbox {
  const box = makeSandbox();
  const config = JSON.parse(readFileSync(join(box.dir, "daemon.json"), "utf8"));
  const insecure = reg.url.startsWith("http:") ? { "insecure-registries": [reg.host] } : {};
  writeFileSync(join(box.dir, "daemon.json"), JSON.stringify({ ...config, ...insecure, ...extra }));
  cpSync(reg.certsDir, join(box.dir, "certs.d"), { recursive: true });
  return box;
}

/** Image ID, names, and each layer's files, as the store of `box` holds them. */
function storedImage(box: Sandbox, id: string) {
  const store = ImageStore.open({ graph: join(box.dir, "graph") });
  try {
    const record = store.getImage(id);
    if (!record) return undefined;
    const layers = store.imageLayers(record).map((l) => ({
      id: l.id,
      diffId: l.diffId,
      digest: l.digest,
      files: listTree(store.layerDir(l.id)),
    }));
    return { id: record.id, names: record.names, layers };
  } finally {
    store.close();
  }
}

function snapshot(box: Sandbox) {
  ensureDaemon(box); // in daemon mode its lock files belong in the "before" picture too
  const store = ImageStore.open({ graph: join(box.dir, "graph") });
  try {
    return snapshotStore(store);
  } finally {
    store.close();
  }
}

async function login(box: Sandbox, reg: RegistryHarness): Promise<RunResult> {
  const creds = reg.credentials as { username: string; password: string };
  return run(
    box,
    ["login", "-u", creds.username, "--password-stdin", reg.host],
    `${creds.password}\n`,
  );
}

let image: BuiltImage;
let layoutDir: string;
let loaded: ReturnType<typeof storedImage>;

before(async () => {
  assertBuilt();
  const base = await sampleImage("gzip", "registry");
  const whiteout = await buildLayer([{ name: "etc/.wh.os-release", body: "" }], "gzip");
  image = buildImage({ layers: [...base.layers, whiteout], labels: { from: "registry-test" } });
  const box = makeSandbox();
  layoutDir = join(box.dir, "layout");
  await writeOciLayout(layoutDir, [{ tag: "1", image }]);
  // The reference: what `load` of the same image stores.
  const archive = join(box.dir, "work", "app.tar");
  await writeArchive(archive, [{ image, repoTags: ["ref/app:1"] }], { shape: "docker25" });
  const r = await run(box, ["load", "-i", archive]);
  assert.equal(r.code, 0, r.stderr);
  loaded = storedImage(box, image.id);
  assert.ok(loaded);
});

const MODES: RegistryMode[] = ["http", "basic", "tls", "mtls", "token"];

for (const mode of MODES) {
  describe(`isula pull from a registry over ${mode}`, () => {
    let reg: RegistryHarness;
    before(async () => {
      reg = await startRegistry(mode);
      await reg.push(layoutDir, "1", "team/app:1");
    });
    after(async () => reg?.stop());

    it("stores the same image, ID and layer content, as load does", async () => {
      const box = sandboxFor(reg);
      if (reg.credentials) {
        const l = await login(box, reg);
        assert.deepEqual(l, { code: 0, stdout: "", stderr: "Login Succeeded\n" });
      }
      const name = `${reg.host}/team/app:1`;
      const r = await run(box, ["pull", name]);
      assert.deepEqual(r, {
        code: 0,
        stdout: "",
        stderr: `Image "${name}" pulling\nImage "${name}" pulled\n`,
      });
      const pulled = storedImage(box, image.id);
      assert.deepEqual(pulled?.names, [name]);
      assert.deepEqual(pulled?.layers, loaded?.layers);
    });

    if (mode === "basic" || mode === "token") {
      it("without login the pull fails in iSulad's form and leaves the store unchanged", async () => {
        const box = sandboxFor(reg);
        const before = snapshot(box);
        const r = await run(box, ["pull", `${reg.host}/team/app:1`]);
        assert.equal(r.code, 1);
        assert.match(
          r.stderr,
          new RegExp(
            `^Image ".*" pulling\\nFailed to pull image ${reg.host}/team/app:1 with error: .+\\n$`,
          ),
        );
        assert.deepEqual(snapshot(box), before);
      });

      it("login with a wrong password fails and stores nothing", async () => {
        const box = sandboxFor(reg);
        const user = reg.credentials?.username as string;
        const r = await run(
          box,
          ["login", "-u", user, "--password-stdin", reg.host],
          "Zq9-not-it\n",
        );
        assert.equal(r.code, 1);
        assert.match(r.stderr, /^Error response from daemon: Failed to login with error: .+\n$/);
        assert.ok(!r.stderr.includes("Zq9-not-it"), r.stderr);
        assert.ok(!existsSync(join(box.env.HOME as string, ".isulad", "auths.json")));
      });
    }

    if (mode === "mtls") {
      it("a client certificate from a CA the registry does not trust is refused", async () => {
        const box = sandboxFor(reg);
        const dir = join(box.dir, "certs.d", reg.host);
        const foreign = reg.foreignClient as { cert: string; key: string };
        cpSync(foreign.cert, join(dir, "client.cert"));
        cpSync(foreign.key, join(dir, "client.key"));
        const before = snapshot(box);
        const r = await run(box, ["pull", `${reg.host}/team/app:1`]);
        assert.equal(r.code, 1);
        assert.match(r.stderr, /Failed to pull image .* with error: .+/);
        assert.deepEqual(snapshot(box), before);
      });
    }
  });
}

describe("isula pull details (plain HTTP registry)", () => {
  let reg: RegistryHarness;
  before(async () => {
    reg = await startRegistry("http");
    await reg.push(layoutDir, "1", "team/app:1");
  });
  after(async () => reg?.stop());

  it("a pull by digest stores the repo@sha256 name", async () => {
    const box = sandboxFor(reg);
    const { createHash } = await import("node:crypto");
    const { ociManifest } = await import("../helpers/archive-writer.ts");
    const digest = `sha256:${createHash("sha256").update(ociManifest(image)).digest("hex")}`;
    const name = `${reg.host}/team/app@${digest}`;
    const r = await run(box, ["pull", name]);
    assert.deepEqual(r, {
      code: 0,
      stdout: "",
      stderr: `Image "${name}" pulling\nImage "${name}" pulled\n`,
    });
    assert.deepEqual(storedImage(box, image.id)?.names, [name]);
  });

  it("a tag the registry lacks fails in iSulad's form and leaves the store unchanged", async () => {
    const box = sandboxFor(reg);
    const before = snapshot(box);
    const r = await run(box, ["pull", `${reg.host}/team/app:nope`]);
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /\nFailed to pull image 127\.0\.0\.1:\d+\/team\/app:nope with error: .+\n$/,
    );
    assert.deepEqual(snapshot(box), before);
  });

  it("an invalid name is refused before any request", async () => {
    const box = sandboxFor(reg);
    const r = await run(box, ["pull", "UPPER/case"]);
    assert.deepEqual(r, {
      code: 1,
      stdout: "",
      stderr: 'Image "UPPER/case" pulling\nInvalid image name: UPPER/case\n',
    });
  });

  it("layers already stored are not fetched again", async () => {
    const box = sandboxFor(reg);
    assert.equal((await run(box, ["pull", `${reg.host}/team/app:1`])).code, 0);
    const top = await buildLayer([{ name: "more.txt", body: "more\n" }], "gzip");
    const bigger = buildImage({ layers: [...image.layers, top] });
    const dir = join(box.dir, "layout2");
    await writeOciLayout(dir, [{ tag: "2", image: bigger }]);
    await reg.push(dir, "2", "team/bigger:2");
    const mark = (await reg.settledLog()).length;
    const r = await run(box, ["pull", `${reg.host}/team/bigger:2`]);
    assert.equal(r.code, 0, r.stderr);
    const log = (await reg.settledLog()).slice(mark);
    for (const l of image.layers) {
      assert.ok(!log.includes(`blobs/${l.digest}`), `layer ${l.digest} was fetched again`);
    }
    assert.ok(log.includes(`blobs/${top.digest}`), "the new layer was fetched");
  });
});

describe("isula login / logout and auths.json (basic auth registry)", () => {
  let reg: RegistryHarness;
  before(async () => {
    reg = await startRegistry("basic");
  });
  after(async () => reg?.stop());

  it("stores credentials in iSulad's format, readable with openssl, and logout removes them", async () => {
    const box = sandboxFor(reg);
    assert.equal((await login(box, reg)).code, 0);
    const dir = join(box.env.HOME as string, ".isulad");
    const key = readFileSync(join(dir, "aeskey"));
    assert.match(key.toString("latin1"), /^[0-9a-f]{32}$/);
    const doc = JSON.parse(readFileSync(join(dir, "auths.json"), "utf8"));
    const raw = Buffer.from(doc.auths[reg.host].auth, "base64");
    const { spawnSync } = await import("node:child_process");
    const dec = spawnSync(
      "openssl",
      [
        "enc",
        "-d",
        "-aes-256-cfb",
        "-K",
        key.toString("hex"),
        "-iv",
        raw.subarray(0, 16).toString("hex"),
      ],
      { input: raw.subarray(16) },
    );
    assert.equal(dec.status, 0);
    const plain = Buffer.from(dec.stdout.toString("latin1"), "base64").toString("utf8");
    const creds = reg.credentials as { username: string; password: string };
    assert.equal(plain, `${creds.username}:${creds.password}`);

    const out = await run(box, ["logout", reg.host]);
    assert.deepEqual(out, { code: 0, stdout: "", stderr: "Logout Succeeded\n" });
    const after = JSON.parse(readFileSync(join(dir, "auths.json"), "utf8"));
    assert.deepEqual(after, { auths: {} });
    assert.ok(existsSync(join(dir, "aeskey")));
  });

  it("logout of a server with nothing stored succeeds", async () => {
    const box = sandboxFor(reg);
    const out = await run(box, ["logout", "nothing.example.com"]);
    assert.deepEqual(out, { code: 0, stdout: "", stderr: "Logout Succeeded\n" });
  });
});
