/**
 * The bombs of the hostile-input tables again, through the real `isula` binary (issue #6): each
 * is refused with one line and a non-zero exit, the store and a sentinel folder beside it stay
 * as they were, and the peak RSS of the `isula` process (GNU time's %M) stays under 300 MB
 * although each bomb would need gigabytes if it were read whole. Needs `npm run build`.
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { gzipSync } from "node:zlib";
import { sha256Digest } from "../../src/digest/digest.ts";
import { ImageStore } from "../../src/image/image-store.ts";
import { buildTar } from "../../src/layer/testing/tar-builder.ts";
import { MediaType } from "../../src/oci/media-types.ts";
import { assertBuilt, ROOT } from "../cli/harness.ts";
import { writeArchive } from "../helpers/archive-writer.ts";
import { type BuiltImage, buildImage, buildLayer, sampleImage } from "../helpers/image-builder.ts";
import { runProcess } from "../helpers/run-process.ts";
import { listTree, snapshotStore } from "../helpers/store-snapshot.ts";
import { startTinyRegistry, type TinyRegistry } from "./tiny-registry.ts";

const MIB = 1 << 20;
const GIB = 1 << 30;
/** Peak RSS allowed to the `isula` process for any bomb. */
const MAX_RSS_KB = 300 * 1024;

let dir: string;
let env: NodeJS.ProcessEnv;
let reg: TinyRegistry;
let image: BuiltImage;

before(async () => {
  assertBuilt();
  reg = await startTinyRegistry();
  dir = mkdtempSync(join(tmpdir(), "hostile-memory-"));
  for (const sub of ["home", "graph", "state", "sentinel"]) mkdirSync(join(dir, sub));
  writeFileSync(join(dir, "sentinel", "keep"), "untouched");
  const config = join(dir, "daemon.json");
  writeFileSync(
    config,
    JSON.stringify({
      graph: join(dir, "graph"),
      state: join(dir, "state"),
      "insecure-registries": [reg.host],
    }),
  );
  env = {};
  for (const [k, v] of Object.entries(process.env))
    if (!/^(ISULAD_|XDG_)/.test(k) && k !== "HOME") env[k] = v;
  Object.assign(env, { ISULAD_CONFIG: config, HOME: join(dir, "home") });
  image = buildImage({ layers: [await buildLayer([{ name: "f", body: "bomb" }], "gzip")] });
  // A store with an image in it, so "unchanged" means more than "empty".
  const seed = join(dir, "seed.tar");
  await writeArchive(seed, [{ image: await sampleImage("gzip", "mem"), repoTags: ["seed:1"] }], {
    shape: "docker25",
  });
  const r = await isula(["load", "-i", seed]);
  assert.equal(r.code, 0, r.stderr);
});

after(async () => {
  await reg?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs `isula args` under GNU time; returns its exit code, its stderr and its peak RSS. */
async function isula(args: string[]) {
  const r = await runProcess(
    "/usr/bin/time",
    ["-q", "-f", "%M", join(ROOT, "bin", "isula"), ...args],
    {
      env,
      timeoutMs: 180_000,
    },
  );
  const lines = r.stderr.trimEnd().split("\n");
  const rssKb = Number(lines.pop());
  return { code: r.code, stderr: lines.join("\n"), rssKb };
}

/** A gzip stream of `total` bytes of zeros after `head`, built from repeated gzip members. */
function gzipBomb(head: Buffer, total: number): Buffer {
  const chunk = 8 * MIB;
  const member = gzipSync(Buffer.alloc(chunk), { level: 9 });
  const parts = [gzipSync(head)];
  for (let n = 0; n < total; n += chunk) parts.push(member);
  return Buffer.concat(parts);
}

/** The store's snapshot (files, images, layers), read with the store closed again after. */
function storeNow() {
  const store = ImageStore.open({ graph: join(dir, "graph") });
  try {
    return snapshotStore(store);
  } finally {
    store.close();
  }
}

/** Asserts a refusal with one line, bounded memory, and nothing changed. */
async function expectRefused(args: string[], message: RegExp) {
  const before = storeNow();
  const beside = listTree(join(dir, "sentinel"));
  const r = await isula(args);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, message);
  // `isula pull` announces itself on stderr first (iSulad's "Image "x" pulling").
  const errors = r.stderr.split("\n").filter((l) => !/^Image ".*" pulling$/.test(l));
  assert.equal(errors.length, 1, JSON.stringify(r.stderr));
  assert.ok(r.rssKb > 0 && r.rssKb < MAX_RSS_KB, `peak RSS ${r.rssKb} KB`);
  assert.deepEqual(storeNow(), before);
  assert.deepEqual(listTree(join(dir, "sentinel")), beside);
  console.log(`${args[0]}: refused with peak RSS ${Math.round(r.rssKb / 1024)} MB: ${errors[0]}`);
  return r;
}

describe("isula refuses bombs with bounded memory", () => {
  test("load: a layer that inflates to 1 GiB of zeros after its end (ratio 1000:1)", async () => {
    const blob = gzipBomb(buildTar([{ name: "a", body: "x" }]), GIB);
    const layer = {
      tar: Buffer.alloc(0),
      diffId: sha256Digest("unknown"),
      blob,
      digest: sha256Digest(blob),
      compression: "gzip" as const,
    };
    const file = join(dir, "bomb.tar");
    await writeArchive(file, [{ image: buildImage({ layers: [layer] }), repoTags: ["bomb:1"] }], {
      shape: "docker25",
    });
    await expectRefused(["load", "-i", file], /more than 8388608 bytes after its end/);
  });

  test("load: a gzip'd archive followed by 1 GiB of zeros, refused within seconds", async () => {
    const plainFile = join(dir, "whole.tar");
    await writeArchive(plainFile, [{ image, repoTags: ["bomb:2"] }], { shape: "docker25" });
    const file = join(dir, "archive-bomb.tar.gz");
    writeFileSync(file, gzipBomb(readFileSync(plainFile), GIB));
    const started = performance.now();
    await expectRefused(["load", "-i", file], /more than 8388608 bytes after its end/);
    const ms = performance.now() - started;
    console.log(`archive followed by 1 GiB of zeros: refused in ${Math.round(ms)} ms`);
    assert.ok(ms < 10_000, `took ${Math.round(ms)} ms: the zeros were inflated`);
  });

  test("load: a gzip'd archive whose layer inflates 1000:1 loads with bounded memory", async () => {
    // One 256 KiB read of this file inflates to about 256 MiB: unless backpressure holds inside
    // one read's output, all of it waits in memory for the tar parser.
    const layer = await buildLayer([{ name: "zeros", body: Buffer.alloc(256 * MIB) }], "none");
    const plainFile = join(dir, "zeros.tar");
    await writeArchive(plainFile, [{ image: buildImage({ layers: [layer] }), repoTags: ["z:1"] }], {
      shape: "docker25",
    });
    const file = join(dir, "zeros.tar.gz");
    writeFileSync(file, gzipSync(readFileSync(plainFile), { level: 9 }));
    rmSync(plainFile);
    const r = await isula(["load", "-i", file]);
    assert.equal(r.code, 0, r.stderr);
    console.log(`256 MiB of zeros in a gzip'd archive: loaded with peak RSS ${r.rssKb >> 10} MB`);
    assert.ok(r.rssKb < 160 * 1024, `peak RSS ${r.rssKb} KB`);
    assert.equal((await isula(["rmi", "z:1"])).code, 0);
    rmSync(file);
  });

  test("load: a manifest.json of 16 MiB nested brackets", async () => {
    const file = join(dir, "nest.tar");
    await writeArchive(file, [{ image }], {
      shape: "skopeo",
      mutate: (m) =>
        m.map((x) =>
          x.name === "manifest.json" ? { ...x, body: Buffer.alloc(16 * MIB - 1, "[") } : x,
        ),
    });
    await expectRefused(["load", "-i", file], /nests deeper than 128 levels/);
  });

  test("load: a manifest.json listing 3 million layers", async () => {
    const file = join(dir, "layers.tar");
    const layers = `[${Array.from({ length: 3_000_000 }, () => '"a"').join(",")}]`;
    await writeArchive(file, [{ image }], {
      shape: "skopeo",
      mutate: (m) =>
        m.map((x) => {
          if (x.name !== "manifest.json") return x;
          const body = String(x.body).replace(/"Layers":\[[^\]]*\]/, `"Layers":${layers}`);
          return { ...x, body: Buffer.from(body) };
        }),
    });
    await expectRefused(["load", "-i", file], /has 3000000 layers, more than the 125/);
  });

  const manifest = () =>
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.dockerManifest,
      config: {
        mediaType: MediaType.dockerConfig,
        digest: image.configDigest,
        size: image.config.length,
      },
      layers: image.layers.map((l) => ({
        mediaType: MediaType.dockerLayerGzip,
        digest: l.digest,
        size: l.blob.length,
      })),
    });

  test("pull: a manifest of 1 GiB", async () => {
    reg.route = (path) => {
      if (path === "/v2/") return { body: "{}" };
      if (path.includes("/manifests/"))
        return {
          headers: { "content-type": MediaType.dockerManifest },
          stream: { bytes: GIB, fill: " " },
        };
      return undefined;
    };
    const before = reg.streamed;
    await expectRefused(["pull", `${reg.host}/bomb/img:1`], /larger than 4194304 bytes/);
    assert.ok(reg.streamed - before < 64 * MIB, `the registry sent ${reg.streamed - before} bytes`);
  });

  test("pull: a token response of 1 GiB", async () => {
    reg.route = (path) => {
      if (path === "/v2/" || path.includes("/manifests/"))
        return {
          status: 401,
          headers: { "www-authenticate": `Bearer realm="http://${reg.host}/token",service="s"` },
          body: "{}",
        };
      if (path.startsWith("/token")) return { stream: { bytes: GIB, fill: "{" } };
      return undefined;
    };
    await expectRefused(["pull", `${reg.host}/bomb/img:1`], /token response is larger than/);
  });

  test("pull: a layer body of 1 GiB behind a descriptor of a few bytes", async () => {
    reg.route = (path) => {
      if (path === "/v2/") return { body: "{}" };
      if (path.includes("/manifests/"))
        return { headers: { "content-type": MediaType.dockerManifest }, body: manifest() };
      if (path.endsWith(image.configDigest)) return { body: image.config };
      if (path.includes("/blobs/")) return { stream: { bytes: GIB, fill: "\u0000" } };
      return undefined;
    };
    await expectRefused(["pull", `${reg.host}/bomb/img:1`], /is larger than its size/);
  });
});
