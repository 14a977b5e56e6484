import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import {
  type ArchiveMember,
  type ArchiveShape,
  writeArchive,
} from "../../test/helpers/archive-writer.ts";
import {
  type BuiltImage,
  buildImage,
  buildLayer,
  sampleImage,
} from "../../test/helpers/image-builder.ts";
import { snapshotStore } from "../../test/helpers/store-snapshot.ts";
import { digestHex } from "../digest/digest.ts";
import { ImageError } from "../errors.ts";
import { ImageStore } from "../image/image-store.ts";
import type { Compression } from "../oci/media-types.ts";
import { loadArchive } from "./load-archive.ts";

const root = mkdtempSync(join(tmpdir(), "load-errors-test-"));
let store: ImageStore;
let image: BuiltImage;
let n = 0;

before(async () => {
  store = ImageStore.open({ graph: join(root, "graph") });
  // A store with an image in it, so "unchanged" means more than "empty".
  const other = await sampleImage("gzip", "already-there");
  const file = join(root, "seed.tar");
  await writeArchive(file, [{ image: other, repoTags: ["seed:1"] }], { shape: "oci" });
  await loadArchive({ store, file });
  image = await sampleImage("gzip", "bad-input");
});
after(() => {
  store.close();
  rmSync(root, { recursive: true, force: true });
});

/** Loads `file` expecting one `InvalidArgument`/`NotFound` line matching `message`; the store stays as it was. */
async function expectRefused(file: string, message: RegExp, opts: { tag?: string } = {}) {
  const before = snapshotStore(store);
  const err = await loadArchive({ store, file, ...opts }).then(
    () => assert.fail(`loading ${file} should fail with ${message}`),
    (e: unknown) => e,
  );
  assert.ok(err instanceof ImageError, String(err));
  assert.match(err.message, message);
  assert.doesNotMatch(err.message, /\n/);
  assert.ok(["InvalidArgument", "NotFound", "NotImplemented"].includes(err.kind), err.kind);
  assert.deepEqual(snapshotStore(store), before);
}

/** Writes an archive of `image` with its members rewritten, and returns its path. */
async function broken(
  shape: ArchiveShape,
  mutate: (m: ArchiveMember[]) => ArchiveMember[],
  compression: Compression = "none",
  img: BuiltImage = image,
): Promise<string> {
  const file = join(root, `broken-${n++}.tar`);
  await writeArchive(file, [{ image: img, repoTags: ["bad:1"] }], { shape, compression, mutate });
  return file;
}

const layerHex = () => digestHex(image.layers[1]?.digest ?? "sha256:");

describe("loadArchive refuses bad input with one line and leaves the store as it was", () => {
  test("a missing file, a directory, an empty file, something that is not a tar", async () => {
    await expectRefused(join(root, "nope.tar"), /does not exist/);
    const dir = join(root, "a-dir");
    mkdirSync(dir);
    await expectRefused(dir, /is a directory/);
    const empty = join(root, "empty.tar");
    writeFileSync(empty, "");
    await expectRefused(empty, /^the archive is empty$/);
    const junk = join(root, "junk.tar");
    writeFileSync(junk, Buffer.alloc(4096, 7));
    await expectRefused(junk, /not a tar archive/);
    const xz = join(root, "x.tar.xz");
    writeFileSync(xz, Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 1, 2]));
    await expectRefused(xz, /xz and bzip2 compressed archives are not supported/);
  });

  for (const compression of ["none", "gzip", "zstd"] as const) {
    test(`a truncated archive (${compression})`, async () => {
      const whole = await broken("docker25", (m) => m, compression);
      const bytes = readFileSync(whole);
      const cut = join(root, `cut-${n++}.tar`);
      writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
      await expectRefused(cut, /truncated|missing from the archive/);
    });
  }

  test("no manifest.json or index.json", async () => {
    const file = await broken("docker25", (m) => m.filter((x) => !x.name.endsWith(".json")));
    await expectRefused(file, /^no manifest.json or index.json found in the archive$/);
  });

  test("a config or a layer the manifest names but the archive lacks", async () => {
    for (const compression of ["none", "gzip"] as const) {
      const noConfig = await broken(
        "docker-legacy",
        (m) => m.filter((x) => x.name !== `${image.id}.json`),
        compression,
      );
      await expectRefused(
        noConfig,
        /^config "[0-9a-f]{64}\.json" named by manifest.json is missing from the archive$/,
      );
      const noLayer = await broken(
        "docker25",
        (m) => m.filter((x) => !x.name.endsWith(layerHex())),
        compression,
      );
      await expectRefused(
        noLayer,
        /^layer "blobs\/sha256\/[0-9a-f]{64}" named by manifest.json is missing from the archive$/,
      );
      const ociNoLayer = await broken(
        "oci",
        (m) => m.filter((x) => !x.name.endsWith(layerHex())),
        compression,
      );
      await expectRefused(ociNoLayer, /named by index.json is missing from the archive$/);
      const ociNoConfig = await broken(
        "oci",
        (m) => m.filter((x) => !x.name.endsWith(image.id)),
        compression,
      );
      await expectRefused(
        ociNoConfig,
        /^blob "sha256:[0-9a-f]{64}" named by index.json is missing from the archive$/,
      );
    }
  });

  test("a diffID that does not match its layer", async () => {
    const other = await buildLayer([{ name: "x", body: "other" }]);
    const wrong = buildImage({
      layers: image.layers,
      diffIds: [image.layers[0]?.diffId ?? other.diffId, other.diffId],
    });
    for (const compression of ["none", "zstd"] as const) {
      for (const shape of ["skopeo", "oci"] as const) {
        await expectRefused(await broken(shape, (m) => m, compression, wrong), /diff ?ID/i);
      }
    }
  });

  test("a config that lists more diffIDs than there are layers", async () => {
    const extra = buildImage({
      layers: image.layers,
      diffIds: [...image.layers.map((l) => l.diffId), image.layers[0]?.diffId as never],
    });
    const file = await broken("docker-legacy", (m) => m, "none", extra);
    await expectRefused(file, /lists 3 diffIDs but the image has 2 layers/);
  });

  test("invalid JSON in manifest.json, index.json or the config", async () => {
    const garble = (name: (s: string) => boolean) => (m: ArchiveMember[]) =>
      m.map((x) => (name(x.name) ? { ...x, body: Buffer.from("{not json") } : x));
    await expectRefused(
      await broken(
        "skopeo",
        garble((s) => s === "manifest.json"),
      ),
      /^"manifest.json" is not valid JSON$/,
    );
    await expectRefused(
      await broken(
        "oci",
        garble((s) => s === "index.json"),
      ),
      /^"index.json" is not valid JSON$/,
    );
    await expectRefused(
      await broken(
        "docker-legacy",
        garble((s) => s === `${image.id}.json`),
        "gzip",
      ),
      /is not valid JSON/,
    );
    await expectRefused(
      await broken("skopeo", (m) =>
        m.map((x) => (x.name === "manifest.json" ? { ...x, body: Buffer.from('{"a":1}') } : x)),
      ),
      /is not a list of \{Config, RepoTags, Layers\}/,
    );
  });

  test("an invalid name in RepoTags", async () => {
    const file = join(root, `tags-${n++}.tar`);
    await writeArchive(file, [{ image, repoTags: ["Bad:Tag"] }], { shape: "docker-legacy" });
    await expectRefused(file, /^invalid image name in RepoTags "Bad:Tag"$/);
  });

  test("a manifest.json path that leaves the archive", async () => {
    const file = await broken("skopeo", (m) =>
      m.map((x) => {
        if (x.name !== "manifest.json") return x;
        const doc = JSON.parse(String(x.body));
        doc[0].Layers[0] = "../../etc/passwd";
        return { ...x, body: Buffer.from(JSON.stringify(doc)) };
      }),
    );
    await expectRefused(file, /points outside the archive/);
  });

  for (const compression of ["none", "gzip"] as const) {
    test(`hostile paths inside a layer (${compression} archive)`, async () => {
      const hostile = [
        await buildLayer([{ name: "../escape.txt", body: "x" }], "gzip"),
        await buildLayer([
          { name: "link", type: "symlink", linkname: "/tmp" },
          { name: "link/evil.txt", body: "x" },
        ]),
      ];
      for (const layer of hostile) {
        const img = buildImage({ layers: [layer] });
        await expectRefused(await broken("docker25", (m) => m, compression, img), /.+/);
      }
    });
  }
});
