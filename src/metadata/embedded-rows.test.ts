import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import Database from "better-sqlite3";
import type { EmbeddedImageRow } from "./embedded-rows.ts";
import { MetadataDb } from "./metadata-db.ts";
import { MIGRATIONS } from "./schema.ts";

const row: EmbeddedImageRow = {
  name: "test:v1",
  id: "a".repeat(64),
  manifestPath: "/img/test.manifest",
  manifest: Buffer.from('{"schemaVersion": 1}\n'),
  created: "2018-03-01T15:55:44.322987811Z",
  size: 823,
  mountString: "/dev/ram0",
  loaded: "2024-01-01T00:00:00.000000001Z",
};

describe("embedded_images (migration 2)", () => {
  it("upgrades a version 1 database and keeps its rows", () => {
    const dir = mkdtempSync(join(tmpdir(), "md-embedded-"));
    try {
      const path = join(dir, "metadata.db");
      const old = new Database(path);
      old.exec(MIGRATIONS[0] as string);
      old.pragma("user_version = 1");
      old.exec(
        `INSERT INTO images VALUES ('${"b".repeat(64)}', NULL, 'sha256:x', 'm', 1, 1, 2, '', '', '{}')`,
      );
      old.close();

      const db = MetadataDb.open(path);
      try {
        assert.equal(db.images.list().length, 1);
        db.embedded.insert(row);
        assert.deepEqual(db.embedded.get("test:v1"), row);
      } finally {
        db.close();
      }
      const check = new Database(path);
      assert.equal(check.pragma("user_version", { simple: true }), 2);
      check.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("finds by name and ID prefix, lists in load order, deletes by name", () => {
    const db = MetadataDb.open(":memory:");
    db.embedded.insert(row);
    db.embedded.insert({ ...row, name: "other:v2", id: `ab${"c".repeat(62)}` });
    assert.deepEqual(
      db.embedded.list().map((r) => r.name),
      ["test:v1", "other:v2"],
    );
    assert.equal(db.embedded.withIdPrefix("aaa").length, 1);
    assert.equal(db.embedded.withIdPrefix("a").length, 2);
    assert.throws(() => db.embedded.insert(row), /UNIQUE/);
    assert.equal(db.embedded.delete("test:v1"), true);
    assert.equal(db.embedded.delete("test:v1"), false);
    assert.equal(db.embedded.get("test:v1"), undefined);
    db.close();
  });
});
