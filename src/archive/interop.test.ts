import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { writeArchive } from "../../test/helpers/archive-writer.ts";
import {
  type BuiltImage,
  buildImage,
  buildLayer,
  sampleImage,
} from "../../test/helpers/image-builder.ts";
import { listTree } from "../../test/helpers/store-snapshot.ts";
import { ImageStore } from "../image/image-store.ts";
import { loadArchive } from "./load-archive.ts";
import { saveArchive } from "./save-archive.ts";

const root = mkdtempSync(join(tmpdir(), "archive-interop-test-"));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshStore = () => ImageStore.open({ graph: join(root, `graph-${n++}`) });
const path = (name: string) => join(root, `${n++}-${name}`);

function have(tool: string): boolean {
  try {
    execFileSync("which", [tool], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

const run = (cmd: string, args: string[]) =>
  execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
/** podman with a private store under the test's temp folder (vfs: works anywhere as root). */
const podman = (args: string[]) =>
  run("podman", [
    "--root",
    join(root, "podman"),
    "--runroot",
    join(root, "podman-run"),
    "--storage-driver",
    "vfs",
    ...args,
  ]);
const noSkopeo = have("skopeo") ? false : "skopeo is not installed";
const noPodman =
  have("podman") && process.getuid?.() === 0 ? false : "podman (as root) is not available";
const noUmoci = have("umoci") ? false : "umoci is not installed";

let one: BuiltImage;
let two: BuiltImage;
let saved: string;
let source: ImageStore;

before(async () => {
  // Two images sharing a base layer; layers in every compression.
  const base = await buildLayer([{ name: "etc/os-release", body: "ID=interop\n" }], "gzip");
  const a = await buildLayer([{ name: "a/file", body: "a\n" }], "none");
  const b = await buildLayer([{ name: "b/file", body: "b\n" }], "zstd");
  one = buildImage({ layers: [base, a], labels: { which: "one" } });
  two = buildImage({ layers: [base, b], labels: { which: "two" } });
  source = freshStore();
  const file = path("in.tar");
  await writeArchive(
    file,
    [
      { image: one, repoTags: ["one:1"] },
      { image: two, repoTags: ["quay.io/x/two:2"] },
    ],
    {
      shape: "docker25",
    },
  );
  await loadArchive({ store: source, file });
  saved = path("saved.tar");
  const images = [one, two].map((img) => {
    const record = source.getImage(img.id);
    assert.ok(record);
    return { record, names: record.names };
  });
  await saveArchive({ store: source, images, output: saved });
});
after(() => source.close());

describe("saveArchive", () => {
  test("round-trips through our own load: same IDs, manifest digests and layer blobs", async () => {
    const store = freshStore();
    const result = await loadArchive({ store, file: saved });
    assert.deepEqual(result.images, [
      { id: one.id, names: ["one:1"] },
      { id: two.id, names: ["quay.io/x/two:2"] },
    ]);
    for (const img of [one, two]) {
      assert.equal(store.getImage(img.id)?.digest, source.getImage(img.id)?.digest);
      const layers = store.imageLayers(store.getImage(img.id) as never);
      assert.deepEqual(
        layers.map((l) => l.digest),
        img.layers.map((l) => l.digest),
      );
    }
    store.close();
  });

  test("leaves nothing behind when it fails, and does not touch an existing output", async () => {
    const output = path("kept.tar");
    writeFileSync(output, "old");
    const record = source.getImage(one.id);
    assert.ok(record);
    const bogus = { ...record, digest: `sha256:${"0".repeat(64)}` as const };
    await assert.rejects(
      saveArchive({ store: source, images: [{ record: bogus, names: [] }], output }),
      {
        kind: "NotFound",
      },
    );
    assert.equal(readFileSync(output, "utf8"), "old");
    assert.deepEqual(
      readdirSync(root).filter((f) => f.includes("kept.tar.")),
      [],
    );
  });

  test("is read by skopeo: inspect, and copy to an OCI layout", { skip: noSkopeo }, () => {
    const inspected = JSON.parse(
      run("skopeo", ["inspect", `docker-archive:${saved}:docker.io/library/one:1`]),
    );
    assert.deepEqual(inspected.Labels, { which: "one" });
    const dir = path("skopeo-oci");
    run("skopeo", ["copy", "-q", `docker-archive:${saved}:quay.io/x/two:2`, `oci:${dir}:two`]);
    const index = JSON.parse(readFileSync(join(dir, "index.json"), "utf8"));
    assert.equal(index.manifests[0].annotations["org.opencontainers.image.ref.name"], "two");
  });

  test("is read by podman load, names and IDs kept", { skip: noPodman }, () => {
    const out = podman(["load", "-q", "-i", saved]);
    assert.match(out, /docker\.io\/library\/one:1/);
    assert.match(out, /quay\.io\/x\/two:2/);
    const ids = podman(["images", "--no-trunc", "--format", "{{.ID}}"]).trim().split("\n");
    assert.ok(ids.includes(`sha256:${one.id}`) || ids.includes(one.id), ids.join(","));
  });
});

describe("loadArchive reads archives other tools write", () => {
  test("skopeo docker-archive and oci-archive", { skip: noSkopeo }, async () => {
    const layout = path("layout");
    mkdirSync(layout);
    const img = await sampleImage("gzip", "skopeo");
    const ociTar = path("oci.tar");
    await writeArchive(ociTar, [{ image: img, repoTags: ["src"] }], { shape: "oci" });
    run("tar", ["-C", layout, "-xf", ociTar]);
    const dockerArchive = path("skopeo-docker.tar");
    run("skopeo", [
      "copy",
      "-q",
      `oci:${layout}:src`,
      `docker-archive:${dockerArchive}:example.com/sk:1`,
    ]);
    const ociArchive = path("skopeo-oci.tar");
    run("skopeo", [
      "copy",
      "-q",
      `oci:${layout}:src`,
      `oci-archive:${ociArchive}:example.com/sk:2`,
    ]);
    const store = freshStore();
    assert.deepEqual((await loadArchive({ store, file: dockerArchive })).images, [
      { id: img.id, names: ["example.com/sk:1"] },
    ]);
    assert.deepEqual((await loadArchive({ store, file: ociArchive })).images, [
      { id: img.id, names: ["example.com/sk:2"] },
    ]);
    store.close();
  });

  test("podman save, docker-archive (several images) and oci-archive", {
    skip: noPodman,
  }, async () => {
    podman(["load", "-q", "-i", saved]);
    const multi = path("podman-multi.tar");
    podman(["save", "-q", "-m", "-o", multi, "docker.io/library/one:1", "quay.io/x/two:2"]);
    const oci = path("podman-oci.tar");
    podman(["save", "-q", "--format", "oci-archive", "-o", oci, "quay.io/x/two:2"]);
    const store = freshStore();
    const loaded = await loadArchive({ store, file: multi });
    assert.deepEqual(loaded.images.map((i) => i.id).sort(), [one.id, two.id].sort());
    // podman rewrites the config as an OCI config for oci-archive: a new ID, the same layers.
    const [fromOci] = (await loadArchive({ store, file: oci, tag: "two:oci" })).images;
    assert.deepEqual(fromOci?.names, ["two:oci"]);
    const layers = store.imageLayers(store.getImage(fromOci?.id ?? "") as never);
    assert.deepEqual(
      layers.map((l) => l.diffId),
      two.layers.map((l) => l.diffId),
    );
    store.close();
  });

  test("an OCI layout made by umoci (bare-tag ref name: dangling, or named by --tag)", {
    skip: noUmoci,
  }, async () => {
    const dir = path("umoci");
    mkdirSync(join(dir, "src", "etc"), { recursive: true });
    writeFileSync(join(dir, "src", "etc", "hello"), "hi\n");
    run("umoci", ["init", "--layout", join(dir, "lay")]);
    run("umoci", ["new", "--image", `${join(dir, "lay")}:1.0`]);
    run("umoci", ["insert", "--image", `${join(dir, "lay")}:1.0`, join(dir, "src", "etc"), "/etc"]);
    const file = path("umoci.tar");
    run("tar", ["-C", join(dir, "lay"), "-cf", file, "."]);
    const store = freshStore();
    const [dangling] = (await loadArchive({ store, file })).images;
    assert.deepEqual(dangling?.names, []);
    const [named] = (await loadArchive({ store, file, tag: "umoci:1.0" })).images;
    assert.equal(named?.id, dangling?.id);
    const layers = store.imageLayers(store.getImage(named?.id ?? "") as never);
    assert.ok(
      listTree(store.layerDir(layers[0]?.id ?? "")).some((l) => l.startsWith("etc/hello file")),
    );
    store.close();
  });
});
