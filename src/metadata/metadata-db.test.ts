import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import Database from "better-sqlite3";
import { ImageError } from "../errors.ts";
import { MetadataDb } from "./metadata-db.ts";
import { SCHEMA_VERSION } from "./schema.ts";
import type { ImageRow, LayerRow } from "./types.ts";

const hex = (c: string) => c.repeat(64);

function layer(id: string, parent?: string): LayerRow {
  const row: LayerRow = {
    id,
    diffId: `sha256:${id}`,
    digest: `sha256:${id}`,
    size: 10,
    mediaType: "application/vnd.oci.image.layer.v1.tar",
    diffSize: 20,
    whiteoutFormat: "overlay",
    created: "2024-01-01T00:00:00Z",
  };
  if (parent) row.parent = parent;
  return row;
}

function image(id: string, topLayer?: string): ImageRow {
  return {
    id,
    names: [],
    ...(topLayer ? { topLayer } : {}),
    digest: `sha256:${hex("d")}`,
    manifestMediaType: "application/vnd.oci.image.manifest.v1+json",
    configSize: 1,
    manifestSize: 2,
    size: 23,
    created: "",
    loaded: "2024-01-01T00:00:00.000000001Z",
    labels: { a: "b" },
  };
}

describe("MetadataDb", () => {
  let dir: string;
  let path: string;
  let db: MetadataDb;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "isulad-ts-meta-"));
    path = join(dir, "metadata.db");
    db = MetadataDb.open(path);
  });
  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("open() sets WAL and the schema version, and reopens without migrating again", () => {
    db.close();
    const raw = new Database(path);
    assert.equal(raw.pragma("journal_mode", { simple: true }), "wal");
    assert.equal(raw.pragma("user_version", { simple: true }), SCHEMA_VERSION);
    raw.close();
    db = MetadataDb.open(path);
    assert.deepEqual(db.images.list(), []);
  });

  it("open() refuses a database from a newer schema", () => {
    db.close();
    const raw = new Database(path);
    raw.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    raw.close();
    assert.throws(
      () => MetadataDb.open(path),
      (err: unknown) => err instanceof ImageError && err.kind === "FailedPrecondition",
    );
    db = MetadataDb.open(join(dir, "other.db"));
  });

  it("round-trips images and layers, optional fields included", () => {
    db.layers.insert(layer(hex("1")));
    db.layers.insert(layer(hex("2"), hex("1")));
    db.images.insert(image(hex("a"), hex("2")));
    db.images.insert(image(hex("b")));
    assert.deepEqual(db.layers.get(hex("2")), layer(hex("2"), hex("1")));
    assert.deepEqual(db.layers.get(hex("1")), layer(hex("1")));
    assert.deepEqual(db.images.get(hex("a")), image(hex("a"), hex("2")));
    assert.deepEqual(db.images.get(hex("b")), image(hex("b")));
    assert.equal(db.images.byDigest(`sha256:${hex("d")}`).length, 2);
  });

  it("putName moves a name and keeps the order names were added", () => {
    db.images.insert(image(hex("a")));
    db.images.insert(image(hex("b")));
    db.images.putName("x:1", hex("a"));
    db.images.putName("x:2", hex("a"));
    db.images.putName("x:1", hex("a"));
    assert.deepEqual(db.images.namesOf(hex("a")), ["x:1", "x:2"]);
    db.images.putName("x:1", hex("b"));
    assert.deepEqual(db.images.namesOf(hex("a")), ["x:2"]);
    db.images.putName("x:1", hex("a"));
    assert.deepEqual(db.images.namesOf(hex("a")), ["x:2", "x:1"]);
    assert.equal(db.images.deleteName("x:2"), true);
    assert.equal(db.images.deleteName("x:2"), false);
    db.images.delete(hex("a"));
    assert.deepEqual(db.images.allNames(), []);
  });

  it("idsWithPrefix returns at most two IDs starting with the prefix", () => {
    for (const id of [
      `abc${hex("0").slice(3)}`,
      `abd${hex("0").slice(3)}`,
      `abdf${hex("1").slice(4)}`,
    ]) {
      db.images.insert(image(id));
    }
    assert.deepEqual(db.images.idsWithPrefix("abc"), [`abc${hex("0").slice(3)}`]);
    assert.equal(db.images.idsWithPrefix("ab").length, 2);
    assert.deepEqual(db.images.idsWithPrefix("abf"), []);
  });

  it("foreign keys refuse to delete a top layer or a parent; lease holds go with a layer", () => {
    db.layers.insert(layer(hex("1")));
    db.layers.insert(layer(hex("2"), hex("1")));
    db.images.insert(image(hex("a"), hex("2")));
    assert.throws(() => db.layers.delete(hex("2")), /FOREIGN KEY/);
    db.images.delete(hex("a"));
    assert.throws(() => db.layers.delete(hex("1")), /FOREIGN KEY/);
    db.leases.insert({ id: "l", pid: 1, startTime: "5", created: "" });
    db.leases.hold("l", hex("2"));
    assert.deepEqual(
      db.leases.holders(hex("2")).map((l) => l.pid),
      [1],
    );
    assert.equal(db.layers.delete(hex("2")), true);
    assert.deepEqual(db.leases.heldBy("l"), []);
    assert.equal(db.layers.hasChild(hex("1")), false);
  });

  it("immediate() rolls back every statement when its function throws", () => {
    assert.throws(() =>
      db.immediate(() => {
        db.layers.insert(layer(hex("1")));
        throw new Error("boom");
      }),
    );
    assert.equal(db.layers.get(hex("1")), undefined);
  });
});
