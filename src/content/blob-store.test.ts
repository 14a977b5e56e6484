import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { sha256Digest } from "../digest/digest.ts";
import { ImageError } from "../errors.ts";
import { BlobStore } from "./blob-store.ts";

describe("BlobStore", () => {
  it("writeTemp + commit publish a blob once; a second commit keeps the first copy", async () => {
    const dir = mkdtempSync(join(tmpdir(), "isulad-ts-blobs-"));
    try {
      const blobs = new BlobStore(dir);
      const data = Buffer.from("hello");
      const d = blobs.writeTemp(join(dir, "t1"), data);
      assert.equal(d, sha256Digest(data));
      assert.equal(statSync(join(dir, "t1")).mode & 0o777, 0o600);
      assert.equal(blobs.commit(join(dir, "t1"), d), true);
      blobs.writeTemp(join(dir, "t2"), data);
      assert.equal(blobs.commit(join(dir, "t2"), d), false);
      assert.ok(existsSync(join(dir, "t2")), "the caller drops its own temp copy");

      assert.deepEqual(blobs.read(d), data);
      assert.deepEqual(await blobs.hash(d), { digest: d, size: 5 });
      assert.deepEqual(blobs.list(), [d.slice(7)]);
      assert.throws(() => blobs.writeTemp(join(dir, "t2"), data), /EEXIST/);
      assert.throws(
        () => blobs.read(sha256Digest("absent")),
        (err: unknown) => err instanceof ImageError && err.kind === "NotFound",
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
