import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, beforeEach, describe, test } from "node:test";
import Database from "better-sqlite3";
import { loadArchive } from "../../src/archive/load-archive.ts";
import { sha256Digest } from "../../src/digest/digest.ts";
import { ImageStore } from "../../src/image/image-store.ts";
import { writeArchive } from "../helpers/archive-writer.ts";
import { type BuiltImage, buildImage, buildLayer, sampleImage } from "../helpers/image-builder.ts";
import { blobFile, checkStoreInvariants } from "../helpers/store-invariants.ts";

// The checker must catch real damage: each test below breaks a healthy store one way and
// expects the checker to name it, so a checker that always answers "healthy" fails here.
describe("checkStoreInvariants", () => {
  const root = mkdtempSync(join(tmpdir(), "store-invariants-test-"));
  let archive = "";
  let image: BuiltImage;
  let other: BuiltImage;
  let graph = "";
  let n = 0;

  before(async () => {
    image = await sampleImage("gzip", "x");
    // Shares the base layer of `image`.
    const top = await buildLayer([{ name: "srv/data", body: "other\n" }], "gzip");
    other = buildImage({ layers: [image.layers[0] as BuiltImage["layers"][0], top] });
    archive = join(root, "two.tar");
    await writeArchive(
      archive,
      [
        { image, repoTags: ["one:1"] },
        { image: other, repoTags: ["two:1"] },
      ],
      { shape: "docker25" },
    );
  });
  after(() => rmSync(root, { recursive: true, force: true }));
  beforeEach(async () => {
    graph = join(root, `graph-${n++}`);
    const store = ImageStore.open({ graph });
    try {
      await loadArchive({ store, file: archive });
    } finally {
      store.close();
    }
  });

  const storage = (...parts: string[]) => join(graph, "storage", ...parts);
  const problems = async () => (await checkStoreInvariants(graph)).join("\n");
  const topLayerId = () => {
    const store = ImageStore.openReadOnly({ graph });
    try {
      return store.getImage(image.id)?.topLayer as string;
    } finally {
      store.close();
    }
  };

  test("finds nothing wrong with a freshly loaded store", async () => {
    assert.equal(await problems(), "");
  });

  test("reports a flipped byte in a layer blob", async () => {
    const file = blobFile(graph, image.layers[1]?.digest as `sha256:${string}`);
    const bytes = readFileSync(file);
    bytes[bytes.length - 5] = (bytes[bytes.length - 5] as number) ^ 0x01;
    writeFileSync(file, bytes);
    assert.match(await problems(), /hashes to/);
  });

  test("reports a flipped byte in the config as a wrong image ID", async () => {
    const file = blobFile(graph, image.configDigest);
    const bytes = readFileSync(file);
    bytes[10] = (bytes[10] as number) ^ 0x20;
    writeFileSync(file, bytes);
    assert.match(await problems(), /config bytes do not hash to the image ID/);
  });

  test("reports a deleted layer directory", async () => {
    rmSync(storage("overlay", topLayerId()), { recursive: true });
    assert.match(await problems(), /directory "overlay\/[0-9a-f]{64}\/diff" is missing/);
  });

  test("reports a half-unpacked layer directory (a file missing or short)", async () => {
    const diff = storage("overlay", topLayerId(), "diff");
    rmSync(join(diff, "app", "hello.txt"));
    assert.match(await problems(), /file "app\/hello.txt" is missing/);
    writeFileSync(join(diff, "app", "hello.txt"), "hel");
    assert.match(await problems(), /file "app\/hello.txt" has 3 bytes, not 8/);
  });

  test("reports a dangling names row", async () => {
    const db = new Database(storage("metadata.db"));
    db.pragma("foreign_keys = OFF");
    db.prepare("INSERT INTO names (name, image_id) VALUES (?, ?)").run("ghost:1", "f".repeat(64));
    db.close();
    const text = await problems();
    assert.match(text, /name "ghost:1" points at missing image "f{64}"/);
    assert.match(text, /a "names" row points at a missing "images" row/);
  });

  test("reports an orphan layer directory, blob, ingest and trash entry", async () => {
    mkdirSync(storage("overlay", "e".repeat(64), "diff"), { recursive: true });
    writeFileSync(storage("blobs", "sha256", "d".repeat(64)), "x");
    writeFileSync(storage("blobs", "sha256", "tmp-123"), "x");
    mkdirSync(storage("ingest", "123-456-abc.0-layer"));
    writeFileSync(storage("trash", "layer-abc.0a0b"), "");
    const text = await problems();
    assert.match(text, /layer directory "e{64}" has no record/);
    assert.match(text, /blob "sha256:d{64}" is not referenced/);
    assert.match(text, /stray entry "blobs\/sha256\/tmp-123"/);
    assert.match(text, /ingest entry "123-456-abc.0-layer" left behind/);
    assert.match(text, /trash entry "layer-abc.0a0b" left behind/);
  });

  test("reports a layer record whose diffID or size lies", async () => {
    const db = new Database(storage("metadata.db"));
    db.prepare("UPDATE layers SET diff_size = diff_size + 1 WHERE id = ?").run(topLayerId());
    db.close();
    assert.match(await problems(), /diff size \d+, the tar has \d+ bytes/);
  });

  test("reports a truncated blob and a lease of a dead process", async () => {
    const file = blobFile(graph, image.layers[0]?.digest as `sha256:${string}`);
    truncateSync(file, 10);
    const db = new Database(storage("metadata.db"));
    db.prepare("INSERT INTO leases (id, pid, start_time, created) VALUES (?, ?, ?, ?)").run(
      "deadbeef",
      2 ** 22 + 1,
      "1",
      "2024-01-01T00:00:00Z",
    );
    db.close();
    const text = await problems();
    assert.match(text, /has 10 bytes, not \d+/);
    assert.match(text, /lease "deadbeef" of dead process \d+ was not collected/);
  });

  test("reports a manifest that names other layers", async () => {
    const store = ImageStore.openReadOnly({ graph });
    const record = store.getImage(image.id);
    store.close();
    const file = blobFile(graph, record?.digest as `sha256:${string}`);
    const doc = JSON.parse(readFileSync(file, "utf8"));
    doc.layers.reverse();
    const bytes = Buffer.from(JSON.stringify(doc));
    // Keep the file true to its name, so only the manifest check can see it.
    const renamed = blobFile(graph, sha256Digest(bytes));
    writeFileSync(renamed, bytes);
    const db = new Database(storage("metadata.db"));
    db.prepare(
      "UPDATE images SET digest = ?, manifest_size = ?, size = size - ? + ? WHERE id = ?",
    ).run(sha256Digest(bytes), bytes.length, readFileSync(file).length, bytes.length, image.id);
    db.close();
    rmSync(file);
    assert.match(await problems(), /manifest layers are not its layer blobs/);
  });
});
