import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { ingestEntryName, ingestEntryOwner, sweepIngest } from "./ingest.ts";

describe("ingest entries", () => {
  it("ingestEntryName records the owner and a cleaned hint; ingestEntryOwner reads it back", () => {
    const name = ingestEntryName({ pid: 42, startTime: "9001" }, "ab12.3", "layer sha256:x/y");
    assert.equal(name, "42-9001-ab12.3-layer_sha256_x_y");
    assert.deepEqual(ingestEntryOwner(name), { pid: 42, startTime: "9001" });
    assert.deepEqual(ingestEntryOwner(ingestEntryName({ pid: 7, startTime: "" }, "t", "h")), {
      pid: 7,
      startTime: "",
    });
    assert.equal(ingestEntryOwner("download.tmp"), undefined);
  });

  it("sweepIngest removes dead owners' entries and old unowned ones, nothing else", () => {
    const dir = mkdtempSync(join(tmpdir(), "isulad-ts-ingest-"));
    try {
      const live = ingestEntryName({ pid: 1, startTime: "1" }, "t", "blob");
      const dead = ingestEntryName({ pid: 2, startTime: "1" }, "t", "layer");
      writeFileSync(join(dir, live), "");
      mkdirSync(join(dir, dead, "sub"), { recursive: true });
      writeFileSync(join(dir, "young"), "");
      writeFileSync(join(dir, "old"), "");
      const longAgo = new Date(Date.now() - 2 * 3600_000);
      utimesSync(join(dir, "old"), longAgo, longAgo);

      const removed = sweepIngest(dir, (o) => o.pid === 1);

      assert.deepEqual(removed.sort(), [dead, "old"].sort());
      assert.deepEqual(readdirSync(dir).sort(), [live, "young"].sort());
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
