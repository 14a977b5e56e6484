import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { Trash, trashLabel } from "./trash.ts";

describe("Trash", () => {
  it("moveIn renames with a readable label; restore and empty undo or finish it", () => {
    const dir = mkdtempSync(join(tmpdir(), "isulad-ts-trash-"));
    try {
      const trash = new Trash(join(dir, "trash"));
      mkdirSync(trash.dir);
      mkdirSync(join(dir, "layer", "diff"), { recursive: true });
      writeFileSync(join(dir, "blob"), "bytes");

      const a = trash.moveIn(join(dir, "layer"), { kind: "layer", key: "f".repeat(64) });
      const b = trash.moveIn(join(dir, "blob"), { kind: "blob", key: "e".repeat(64) });
      assert.equal(trash.moveIn(join(dir, "absent"), { kind: "drop", key: "" }), undefined);
      assert.ok(a && b);
      assert.deepEqual(trashLabel(a), { kind: "layer", key: "f".repeat(64) });
      assert.equal(trashLabel("stray"), undefined);
      trash.sync();

      trash.restore(b, join(dir, "blob"));
      assert.equal(readFileSync(join(dir, "blob"), "utf8"), "bytes");
      trash.empty([a, a]);
      assert.deepEqual(trash.entries(), []);
      assert.equal(existsSync(join(dir, "layer")), false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
