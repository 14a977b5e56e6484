// Ten concurrent pulls of ten different images built on one base layer, from the real registry
// behind the fault proxy (the base blob's body is slowed so the pulls overlap): through one
// `./bin/isulad`, and as ten `./bin/isula` processes in direct mode on one store. Either way the
// registry's access log must show the base blob served once. Needs `npm run build` first.
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { type FaultProxy, startFaultProxy } from "../../test/helpers/fault-proxy.ts";
import { type BuiltImage, buildImage, buildLayer } from "../../test/helpers/image-builder.ts";
import { type RegistryHarness, startRegistry } from "../../test/helpers/registry-harness.ts";
import { runProcess } from "../../test/helpers/run-process.ts";
import {
  type DaemonDirs,
  daemonDirs,
  ISULA_BIN,
  killAll,
  runIsula,
  startReady,
} from "../daemon/isulad-testing.ts";
import {
  blobGets,
  pushImage,
  randomImage,
  storageEntries,
} from "../daemon/testing/registry-images.ts";
import { ImageStore } from "../image/image-store.ts";
import { verifyStore } from "../image/verify-store.ts";

const MiB = 1024 * 1024;
const BASE_BYTES = 3 * MiB;
// Slow enough that ten CLI processes starting on a busy 2-CPU machine all resolve within it.
const BYTES_PER_SECOND = 0.6 * MiB;
const COUNT = 10;
const repo = (i: number) => `team/app${i}`;

let reg: RegistryHarness;
let proxy: FaultProxy;
let images: BuiltImage[];

before(async () => {
  reg = await startRegistry("http");
  proxy = await startFaultProxy(reg.url);
  const [base] = (await randomImage({ layers: 1, layerBytes: BASE_BYTES, seed: "base" })).layers;
  images = [];
  for (let i = 0; i < COUNT; i++) {
    const top = await buildLayer([{ name: `app${i}.txt`, body: `image ${i}\n` }], "gzip");
    images.push(buildImage({ layers: [base as never, top], labels: { n: String(i) } }));
  }
  await Promise.all(images.map((image, i) => pushImage(reg, image, { repo: repo(i), tag: "1" })));
});
after(async () => {
  killAll();
  await proxy?.close();
  await reg?.stop();
});

/** Slows the base blob's body; returns a check that every pull had resolved its image before. */
function slowBase(base: string): () => void {
  proxy.reset();
  const arrivals: { path: string; at: number }[] = [];
  proxy.rule = (req) => {
    if (req.method === "GET") arrivals.push({ path: req.path, at: Date.now() });
    return req.path.endsWith(`/blobs/${base}`) ? { bytesPerSecond: BYTES_PER_SECOND } : undefined;
  };
  return () => {
    const first = Math.min(
      ...arrivals.filter((a) => a.path.endsWith(`/blobs/${base}`)).map((a) => a.at),
    );
    const resolves = arrivals.filter((a) => a.path.includes("/manifests/"));
    assert.equal(resolves.length, COUNT);
    const transferMs = (BASE_BYTES / BYTES_PER_SECOND) * 1000 - 300;
    for (const r of resolves) assert.ok(r.at < first + transferMs, "the pulls overlapped");
  };
}

/** Base blob GETs and each top layer's GETs in the registry log since `from`. */
async function countGets(from: number): Promise<{ base: number; tops: number[] }> {
  const log = (await reg.settledLog()).slice(from);
  const base = images[0]?.layers[0]?.digest as string;
  let baseGets = 0;
  const tops = images.map((image, i) => {
    const gets = blobGets(log, repo(i));
    baseGets += gets.get(base as never) ?? 0;
    return gets.get(image.layers[1]?.digest as never) ?? 0;
  });
  return { base: baseGets, tops };
}

async function checkStore(graph: string): Promise<void> {
  const store = ImageStore.open({ graph });
  try {
    assert.deepEqual(await verifyStore(store), []);
    assert.deepEqual(
      store
        .listImages()
        .map((i) => i.id)
        .sort(),
      images.map((i) => i.id).sort(),
    );
    assert.equal(store.listLayers().length, COUNT + 1);
  } finally {
    store.close();
  }
  const files = storageEntries(graph);
  assert.deepEqual({ ingest: files.ingest, trash: files.trash }, { ingest: [], trash: [] });
}

const said = (name: string) => `Image "${name}" pulling\nImage "${name}" pulled\n`;

describe("ten images sharing a base layer, pulled at once", () => {
  test("through one daemon: the base blob is downloaded once", { timeout: 90_000 }, async (t) => {
    const dirs: DaemonDirs = daemonDirs({ "insecure-registries": [proxy.host] });
    t.after(dirs.cleanup);
    const daemon = await startReady(dirs, [], { ...process.env, HOME: join(dirs.root, "home") });
    const overlapped = slowBase(images[0]?.layers[0]?.digest as string);
    const from = (await reg.settledLog()).length;
    const names = images.map((_, i) => `${proxy.host}/${repo(i)}:1`);
    const results = await Promise.all(names.map((n) => runIsula(dirs, "pull", [n])));
    for (const [i, r] of results.entries()) {
      assert.deepEqual(r, { code: 0, stdout: "", stderr: said(names[i] as string) });
    }
    overlapped();
    assert.deepEqual(await countGets(from), { base: 1, tops: images.map(() => 1) });
    daemon.child.kill("SIGTERM");
    assert.equal(await daemon.exited, 0, daemon.stderr());
    await checkStore(dirs.graph);
  });

  test("as ten direct-mode processes on one store: the base blob is downloaded once", {
    timeout: 90_000,
  }, async (t) => {
    const dirs = daemonDirs();
    t.after(dirs.cleanup);
    mkdirSync(join(dirs.root, "home"));
    const config = join(dirs.root, "direct.json");
    writeFileSync(
      config,
      JSON.stringify({ graph: dirs.graph, state: dirs.state, "insecure-registries": [proxy.host] }),
    );
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, ISULAD_CONFIG: config };
    env.HOME = join(dirs.root, "home");
    const overlapped = slowBase(images[0]?.layers[0]?.digest as string);
    const from = (await reg.settledLog()).length;
    const names = images.map((_, i) => `${proxy.host}/${repo(i)}:1`);
    const results = await Promise.all(
      names.map((n) => runProcess(ISULA_BIN, ["pull", n], { env, timeoutMs: 80_000 })),
    );
    for (const [i, r] of results.entries()) {
      assert.deepEqual(
        { code: r.code, stdout: r.stdout, stderr: r.stderr },
        { code: 0, stdout: "", stderr: said(names[i] as string) },
      );
    }
    const gets = await countGets(from);
    t.diagnostic(`base blob GETs ${gets.base}; top layer GETs ${gets.tops.join(" ")}`);
    assert.deepEqual(gets, { base: 1, tops: images.map(() => 1) });
    overlapped();
    await checkStore(dirs.graph);
  });
});
