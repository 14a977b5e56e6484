// Pulls through one spawned `./bin/isulad` (run `npm run build` first) from the real registry,
// behind the fault proxy so that transfers last long enough to overlap or to be cut: ten `isula`
// clients pulling one image share each layer's download, and a daemon killed with SIGKILL in
// the middle of a pull starts again on a store that holds the image whole or not at all.
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { type FaultProxy, startFaultProxy } from "../../test/helpers/fault-proxy.ts";
import type { BuiltImage } from "../../test/helpers/image-builder.ts";
import { type RegistryHarness, startRegistry } from "../../test/helpers/registry-harness.ts";
import { type Digest, digestHex } from "../digest/digest.ts";
import { ImageStore } from "../image/image-store.ts";
import { verifyStore } from "../image/verify-store.ts";
import {
  type DaemonDirs,
  daemonDirs,
  killAll,
  runIsula,
  type SpawnedDaemon,
  startReady,
} from "./isulad-testing.ts";
import {
  blobGets,
  ingestBlobSizes,
  pushImage,
  randomImage,
  storageEntries,
} from "./testing/registry-images.ts";

const MiB = 1024 * 1024;
const REPO = "team/app";

let reg: RegistryHarness;
let proxy: FaultProxy;

before(async () => {
  reg = await startRegistry("http");
  proxy = await startFaultProxy(reg.url);
});
after(async () => {
  killAll();
  await proxy?.close();
  await reg?.stop();
});

/** Fresh daemon folders whose daemon.json reaches the proxy over plain HTTP. */
function proxiedDaemon(): { dirs: DaemonDirs; start: () => Promise<SpawnedDaemon> } {
  const dirs = daemonDirs({ "insecure-registries": [proxy.host] });
  const env = { ...process.env, HOME: join(dirs.root, "home") };
  return { dirs, start: () => startReady(dirs, [], env) };
}

async function stopDaemon(d: SpawnedDaemon): Promise<void> {
  d.child.kill("SIGTERM");
  assert.equal(await d.exited, 0, d.stderr());
}

/** Opens the store of a stopped daemon and reports its problems, images and layers. */
async function inspectStore(graph: string) {
  const store = ImageStore.open({ graph });
  try {
    return {
      problems: await verifyStore(store),
      images: store.listImages().map((i) => i.id),
      layers: store
        .listLayers()
        .map((l) => l.id)
        .sort(),
    };
  } finally {
    store.close();
  }
}

/** What the store's folders hold when `image` is stored whole and alone. */
function wholeImageFiles(image: BuiltImage, layerIds: string[], manifestDigest: Digest) {
  const blobs = [image.configDigest, manifestDigest, ...image.layers.map((l) => l.digest)];
  return { overlay: [...layerIds].sort(), blobs: blobs.map((d) => digestHex(d)).sort() };
}

const blobPath = (digest: string) => `/v2/${REPO}/blobs/${digest}`;
const manifestPath = (tag: string) => `/v2/${REPO}/manifests/${tag}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("ten isula clients pulling one image through one daemon", () => {
  const LAYER_BYTES = 3 * MiB;
  const BYTES_PER_SECOND = 1.5 * MiB;
  let image: BuiltImage;
  before(async () => {
    image = await randomImage({ layers: 3, layerBytes: LAYER_BYTES, seed: "shared" });
    await pushImage(reg, image, { repo: REPO, tag: "shared" });
  });

  test("download each layer blob once and store the image once", { timeout: 60_000 }, async (t) => {
    const { dirs, start } = proxiedDaemon();
    t.after(dirs.cleanup);
    const layerPaths = new Set(image.layers.map((l) => blobPath(l.digest)));
    const arrivals: { path: string; at: number }[] = [];
    proxy.reset();
    t.after(() => proxy.reset());
    proxy.rule = (req) => {
      if (req.method === "GET") arrivals.push({ path: req.path, at: Date.now() });
      return layerPaths.has(req.path) ? { bytesPerSecond: BYTES_PER_SECOND } : undefined;
    };
    const d = await start();
    const logFrom = (await reg.settledLog()).length;

    const name = `${proxy.host}/${REPO}:shared`;
    const results = await Promise.all(
      Array.from({ length: 10 }, () => runIsula(dirs, "pull", [name])),
    );
    const said = `Image "${name}" pulling\nImage "${name}" pulled\n`;
    for (const r of results) assert.deepEqual(r, { code: 0, stdout: "", stderr: said });

    // Sharing, not luck: every client had resolved the image (its manifest GET) before the
    // first layer's throttled body could have ended, so none found the layers already stored.
    const firstLayer = Math.min(...arrivals.filter((a) => layerPaths.has(a.path)).map((a) => a.at));
    const transferMs = (LAYER_BYTES / BYTES_PER_SECOND) * 1000 - 300;
    const resolves = arrivals.filter((a) => a.path === manifestPath("shared"));
    assert.equal(resolves.length, 10);
    for (const r of resolves) assert.ok(r.at < firstLayer + transferMs, "pulls overlapped");

    const gets = blobGets((await reg.settledLog()).slice(logFrom), REPO);
    const perLayer = image.layers.map((l) => gets.get(l.digest));
    t.diagnostic(
      `layer blob GETs ${perLayer.join(" ")}; config GETs ${gets.get(image.configDigest)}`,
    );
    assert.deepEqual(perLayer, [1, 1, 1], "one download per layer blob");
    // Each resolve reads and verifies the small config itself: one GET per pull.
    assert.equal(gets.get(image.configDigest), 10);

    const listed = await runIsula(dirs, "images", ["-q"]);
    assert.deepEqual(listed, { code: 0, stdout: `${image.id.slice(0, 12)}\n`, stderr: "" });
    await stopDaemon(d);
    const stored = await inspectStore(dirs.graph);
    assert.deepEqual(stored.problems, []);
    assert.deepEqual(stored.images, [image.id]);
    assert.equal(stored.layers.length, 3);
    const files = storageEntries(dirs.graph);
    assert.deepEqual({ ingest: files.ingest, trash: files.trash }, { ingest: [], trash: [] });
    assert.equal(files.overlay.length, 3);
    assert.equal(files.blobs.length, 5, "3 layers, config and manifest, each stored once");
  });
});

/** When to kill the daemon, judged from what the proxy and the ingest area show. */
interface KillPoint {
  name: string;
  reached(w: { layerRequests: number; ingest: number[] }): boolean;
  /** The kill certainly leaves temp files in the ingest area for start-up to remove. */
  leavesIngest: boolean;
}

describe("SIGKILL of the daemon during a pull, then a restart", () => {
  const LAYER_BYTES = 20 * MiB;
  let image: BuiltImage;
  let blobSize: number;
  before(async () => {
    image = await randomImage({
      layers: 3,
      layerBytes: LAYER_BYTES,
      seed: "big",
    });
    blobSize = Math.min(...image.layers.map((l) => l.blob.length));
    await pushImage(reg, image, { repo: REPO, tag: "big" });
  });

  const points: KillPoint[] = [
    {
      name: "early: the first layer request reached the registry",
      reached: (w) => w.layerRequests > 0,
      leavesIngest: false,
    },
    {
      name: "mid: a quarter of the layer bytes are in the ingest area",
      reached: (w) => w.ingest.reduce((a, b) => a + b, 0) >= (3 * LAYER_BYTES) / 4,
      leavesIngest: true,
    },
    {
      name: "late: two layers fetched and unpacked, the third arriving",
      reached: (w) =>
        w.ingest.filter((n) => n >= blobSize).length >= 2 &&
        w.ingest.some((n) => n > 0 && n < blobSize),
      leavesIngest: true,
    },
  ];

  for (const point of points) {
    test(`${point.name}: images works, the image is absent or whole, nothing left over`, {
      timeout: 60_000,
    }, async (t) => {
      const { dirs, start } = proxiedDaemon();
      t.after(dirs.cleanup);
      const layerPaths = new Set(image.layers.map((l) => blobPath(l.digest)));
      let layerRequests = 0;
      proxy.reset();
      t.after(() => proxy.reset());
      proxy.rule = (req) => {
        if (!layerPaths.has(req.path)) return undefined;
        layerRequests++;
        return { bytesPerSecond: 16 * MiB };
      };
      const name = `${proxy.host}/${REPO}:big`;

      const d = await start();
      const pulling = runIsula(dirs, "pull", [name]);
      const deadline = Date.now() + 20_000;
      while (!point.reached({ layerRequests, ingest: ingestBlobSizes(dirs.graph) })) {
        assert.ok(Date.now() < deadline, "kill point reached within 20 s");
        await sleep(10);
      }
      d.child.kill("SIGKILL");
      assert.equal(await d.exited, "SIGKILL");
      const client = await pulling;
      assert.notEqual(client.code, 0, "the pull did not finish before the kill");
      t.diagnostic(`killed with ${ingestBlobSizes(dirs.graph).join(",")} bytes in ingest`);
      if (point.leavesIngest) assert.notDeepEqual(storageEntries(dirs.graph).ingest, []);

      // Start-up alone clears what the dead daemon left in ingest and trash.
      const again = await start();
      const listed = await runIsula(dirs, "images", []);
      assert.equal(listed.code, 0, listed.stderr);
      const leftover = storageEntries(dirs.graph);
      assert.deepEqual(
        { ingest: leftover.ingest, trash: leftover.trash },
        { ingest: [], trash: [] },
      );
      await stopDaemon(again);

      const stored = await inspectStore(dirs.graph);
      assert.deepEqual(stored.problems, []);
      const files = storageEntries(dirs.graph);
      t.diagnostic(`after restart the image is ${stored.images.length === 0 ? "absent" : "whole"}`);
      if (stored.images.length === 0) {
        assert.deepEqual(stored.layers, []);
        assert.deepEqual(
          { overlay: files.overlay, blobs: files.blobs },
          { overlay: [], blobs: [] },
        );
      } else {
        assert.deepEqual(stored.images, [image.id]);
        assert.equal(stored.layers.length, 3);
      }

      // And the store takes the same pull again, whole.
      proxy.reset();
      const third = await start();
      const repull = await runIsula(dirs, "pull", [name]);
      assert.equal(repull.code, 0, repull.stderr);
      await stopDaemon(third);
      const final = await inspectStore(dirs.graph);
      assert.deepEqual(final.problems, []);
      assert.deepEqual(final.images, [image.id]);
      const store = ImageStore.open({ graph: dirs.graph });
      const manifest = store.getImage(image.id)?.digest ?? assert.fail("image record");
      store.close();
      const end = storageEntries(dirs.graph);
      assert.deepEqual(
        { ingest: end.ingest, trash: end.trash, overlay: end.overlay, blobs: end.blobs },
        { ingest: [], trash: [], ...wholeImageFiles(image, final.layers, manifest) },
      );
    });
  }
});
