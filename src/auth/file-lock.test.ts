import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { withFileLock } from "./file-lock.ts";

function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "file-lock-"));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

describe("withFileLock", () => {
  it("runs the section with the lock file present, and removes it after", () => {
    const { dir, cleanup } = tempDir();
    try {
      const lock = join(dir, ".auths.lock");
      const seen = withFileLock(lock, "auths.json", () => existsSync(lock));
      assert.equal(seen, true);
      assert.deepEqual(readdirSync(dir), []);
      assert.throws(() => withFileLock(lock, "auths.json", () => assert.fail("inside")), /inside/);
      assert.deepEqual(readdirSync(dir), []);
    } finally {
      cleanup();
    }
  });

  it("does not follow a symlink planted at the lock path", () => {
    const { dir, cleanup } = tempDir();
    try {
      const lock = join(dir, ".auths.lock");
      const target = join(dir, "elsewhere");
      symlinkSync(target, lock);
      assert.throws(
        () => withFileLock(lock, "auths.json", () => "ran"),
        (err: NodeJS.ErrnoException) => err.code === "ELOOP",
      );
      assert.equal(existsSync(target), false);
    } finally {
      cleanup();
    }
  });
});
