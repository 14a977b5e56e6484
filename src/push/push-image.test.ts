// pushImage against the real registry (Debian's docker-registry) in each mode a user meets: an
// image loaded into our store is pushed, then fetched back by skopeo (which verifies every
// digest) and pulled by us into a fresh store, and must be byte for byte what we stored.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { writeArchive } from "../../test/helpers/archive-writer.ts";
import { sampleImage } from "../../test/helpers/image-builder.ts";
import {
  blobWrites,
  freePort,
  type RegistryHarness,
  type RegistryMode,
  startRegistry,
} from "../../test/helpers/registry-harness.ts";
import { loadArchive } from "../archive/load-archive.ts";
import { sha256Digest } from "../digest/digest.ts";
import { ImageError } from "../errors.ts";
import { ImageStore } from "../image/image-store.ts";
import type { ImageRecord } from "../image/types.ts";
import { pullImage } from "../pull/pull-image.ts";
import { RegistryClient } from "../registry/registry-client.ts";
import type { RegistryOptions } from "../registry/types.ts";
import { pushImage } from "./push-image.ts";
import type { PushProgress } from "./types.ts";

const exec = promisify(execFile);
const temps: string[] = [];
function temp(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  temps.push(dir);
  return dir;
}
after(() => {
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

/** A store holding one image loaded from a docker-archive, named `names[0]` (and the rest). */
async function storeWith(shape: "docker25" | "docker-legacy", names: string[], seed = "push") {
  const store = ImageStore.open({ graph: temp("push-store-") });
  const base = await sampleImage(shape === "docker25" ? "gzip" : "none", seed);
  const file = join(temp("push-archive-"), "img.tar");
  await writeArchive(file, [{ image: base, repoTags: names }], { shape });
  await loadArchive({ store, file });
  const record = store.findByName(names[0] as string) as ImageRecord;
  return { store, record };
}

/** Pushes `record` to `name` on the harness's registry; returns the outcome and the events. */
async function push(
  reg: RegistryHarness,
  store: ImageStore,
  record: ImageRecord,
  repo: string,
  opts: Partial<RegistryOptions> & { chunkBytes?: number; tag?: string; uploads?: number } = {},
) {
  const client = new RegistryClient(reg.clientOptions(opts));
  const events: PushProgress[] = [];
  try {
    const out = await pushImage({
      store,
      record,
      target: client.pushDestination(
        reg.host,
        repo,
        opts.chunkBytes ? { chunkBytes: opts.chunkBytes } : {},
      ),
      reference: opts.tag ?? "1",
      maxConcurrentUploads: opts.uploads ?? 3,
      onProgress: (p) => events.push(p),
    });
    const final = events.filter((e) => ["pushed", "exists", "mounted"].includes(e.status));
    return { out, final, events };
  } finally {
    await client.close();
  }
}

/** `skopeo copy docker://... dir:` (skopeo checks every digest); returns the files by name. */
async function skopeoFetch(reg: RegistryHarness, ref: string): Promise<Map<string, Buffer>> {
  const dir = join(temp("skopeo-dir-"), "img");
  const args = ["copy", "--quiet", "--insecure-policy"];
  if (reg.url.startsWith("https:")) args.push("--src-cert-dir", join(reg.certsDir, reg.host));
  else args.push("--src-tls-verify=false");
  if (reg.credentials) args.push("--src-authfile", join(reg.root, "skopeo-auth.json"));
  args.push(`docker://${reg.host}/${ref}`, `dir:${dir}`);
  await exec("skopeo", args);
  return new Map(readdirSync(dir).map((f) => [f, readFileSync(join(dir, f))]));
}

const MODES: RegistryMode[] = ["http", "basic", "tls", "mtls", "token"];

for (const mode of MODES) {
  describe(`pushImage to a registry over ${mode}`, () => {
    let reg: RegistryHarness;
    before(async () => {
      reg = await startRegistry(mode);
    });
    after(async () => reg?.stop());

    it("pushes the stored blobs and manifest, which skopeo and our pull get back identical", async () => {
      const name = `${reg.host}/team/app:1`;
      const { store, record } = await storeWith("docker25", [name]);
      const layers = store.imageLayers(record);
      const { out, final, events } = await push(reg, store, record, "team/app", { uploads: 1 });
      assert.equal(out.digest, record.digest);
      assert.deepEqual(
        final.map((e) => e.status),
        layers.map(() => "pushed"),
      );
      // Docker's first states: all "Preparing", then "Waiting" behind the one upload allowed.
      assert.ok(layers.length >= 2, "the sample image has several layers");
      const id = (d: string) => d.slice(-12);
      assert.deepEqual(
        events.slice(0, 2 * layers.length - 1).map((e) => [e.id, e.status, e.current, e.total]),
        [
          ...layers.map((l) => [id(l.digest), "preparing", 0, l.size]),
          ...layers.slice(1).map((l) => [id(l.digest), "waiting", 0, l.size]),
        ],
      );

      const files = await skopeoFetch(reg, "team/app:1");
      assert.equal(sha256Digest(files.get("manifest.json") as Buffer), record.digest);
      assert.deepEqual(files.get("manifest.json"), store.readBlob(record.digest));
      for (const d of [`sha256:${record.id}` as const, ...layers.map((l) => l.digest)]) {
        const blob = files.get(d.slice(7));
        assert.ok(blob, `skopeo got no blob ${d}`);
        assert.deepEqual(blob, readFileSync(store.blobPath(d)));
      }

      const fresh = ImageStore.open({ graph: temp("push-pulled-") });
      const client = new RegistryClient(reg.clientOptions());
      try {
        const { id } = await pullImage({
          store: fresh,
          source: client,
          reference: name,
          storedName: name,
          maxConcurrentDownloads: 3,
        });
        assert.equal(id, record.id);
        const pulled = fresh.getImage(id) as ImageRecord;
        assert.equal(pulled.digest, record.digest);
        assert.deepEqual(
          fresh.imageLayers(pulled).map((l) => [l.digest, l.diffId, l.size]),
          layers.map((l) => [l.digest, l.diffId, l.size]),
        );
      } finally {
        await client.close();
        fresh.close();
        store.close();
      }
    });

    if (mode === "http") detailTests(() => reg);

    if (mode === "basic" || mode === "token") {
      it("without credentials the push is refused as unauthorized", async () => {
        const { store, record } = await storeWith("docker25", [`${reg.host}/team/anon:1`], "anon");
        const err = await push(reg, store, record, "team/anon", {
          credentialsFor: () => undefined,
        }).catch((e: unknown) => e);
        store.close();
        assert.ok(err instanceof ImageError, String(err));
        assert.equal(err.kind, "Unauthenticated");
        assert.match(err.message, /authentication required/);
      });
    }
  });
}

/** The rest of the protocol, once, on the plain HTTP registry of the loop above. */
function detailTests(registry: () => RegistryHarness): void {
  let reg: RegistryHarness;
  before(() => {
    reg = registry();
  });

  it("a second push finds every layer and sends no blob", async () => {
    const { store, record } = await storeWith("docker25", [`${reg.host}/again/app:1`], "again");
    const first = await push(reg, store, record, "again/app");
    const writes = await blobWrites(reg);
    assert.ok(writes > 0);
    const second = await push(reg, store, record, "again/app");
    store.close();
    assert.deepEqual(
      second.final.map((e) => e.status),
      first.final.map(() => "exists"),
    );
    assert.equal(second.out.digest, first.out.digest);
    assert.equal(await blobWrites(reg), writes);
  });

  it("mounts layers from another repository of the registry that holds them", async () => {
    const names = [`${reg.host}/src/app:1`, `${reg.host}/dst/app:1`];
    const { store, record } = await storeWith("docker25", names, "mount");
    await push(reg, store, record, "src/app");
    const { final } = await push(reg, store, record, "dst/app");
    assert.deepEqual(
      final.map((e) => [e.status, e.from]),
      store.imageLayers(record).map(() => ["mounted", "src/app"]),
    );
    store.close();
    assert.match(
      await reg.settledLog(),
      /"POST \/v2\/dst\/app\/blobs\/uploads\/\?mount=sha256%3A[0-9a-f]{64}&from=src%2Fapp /,
    );
    const files = await skopeoFetch(reg, "dst/app:1");
    assert.equal(sha256Digest(files.get("manifest.json") as Buffer), record.digest);
  });

  it("uploads large blobs in PATCH chunks and a synthesised manifest for legacy archives", async () => {
    const { store, record } = await storeWith("docker-legacy", [`${reg.host}/chunk/app:1`], "ch");
    const big = store.imageLayers(record).reduce((n, l) => Math.max(n, l.size), 0);
    const before = ((await reg.settledLog()).match(/"PATCH /g) ?? []).length;
    const { out } = await push(reg, store, record, "chunk/app", { chunkBytes: 1000 });
    const patches = ((await reg.settledLog()).match(/"PATCH /g) ?? []).length - before;
    assert.ok(patches >= Math.ceil(big / 1000), `${patches} PATCHes for a ${big}-byte layer`);
    const files = await skopeoFetch(reg, "chunk/app:1");
    assert.equal(sha256Digest(files.get("manifest.json") as Buffer), out.digest);
    for (const l of store.imageLayers(record))
      assert.deepEqual(files.get(l.digest.slice(7)), readFileSync(store.blobPath(l.digest)));
    store.close();
  });

  it("an unreachable registry fails with Unavailable and sends nothing", async () => {
    const host = `127.0.0.1:${await freePort()}`;
    const { store, record } = await storeWith("docker25", [`${host}/x/app:1`], "gone");
    const client = new RegistryClient({ ...reg.clientOptions(), insecureRegistries: [host] });
    const err = await pushImage({
      store,
      record,
      target: client.pushDestination(host, "x/app"),
      reference: "1",
      maxConcurrentUploads: 2,
    }).catch((e: unknown) => e);
    await client.close();
    store.close();
    assert.ok(err instanceof ImageError, String(err));
    assert.equal(err.kind, "Unavailable");
    assert.match(err.message, /127\.0\.0\.1/);
  });
}
