import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { ImageError } from "../errors.ts";
import { BlobFile } from "./blob-file.ts";

const dir = mkdtempSync(join(tmpdir(), "blob-file-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const openFds = () => readdirSync("/proc/self/fd").length;

describe("BlobFile", () => {
  it("BlobFile keeps every byte in order while flushes run in the background", async () => {
    const path = join(dir, "blob");
    const chunks = Array.from({ length: 40 }, (_, i) => randomBytes(1000 + i * 37));
    const fds = openFds();
    const blob = new BlobFile(path, 4096);
    let yielded = 0;
    for (const chunk of chunks) {
      const pending = blob.write(chunk);
      if (pending) {
        yielded += 1;
        await pending;
      }
    }
    await blob.finish();
    assert.deepEqual(readFileSync(path), Buffer.concat(chunks));
    // Flushes were started every 4 KiB, and writes waited for one at least once.
    assert.ok(yielded > 0, "no write waited for a running flush");
    assert.equal(openFds(), fds, "the descriptor was not closed");
  });

  it("BlobFile.write reports a failing disk as ResourceExhausted, and abandon closes it", async () => {
    const fds = openFds();
    const blob = new BlobFile("/dev/full");
    assert.throws(
      () => blob.write(Buffer.alloc(10)),
      (err) => err instanceof ImageError && err.kind === "ResourceExhausted",
    );
    await blob.abandon();
    assert.equal(openFds(), fds);
  });

  it("BlobFile.abandon after finish does nothing more", async () => {
    const blob = new BlobFile(join(dir, "twice"));
    blob.write(Buffer.from("abc"));
    await blob.finish();
    await blob.abandon();
    assert.equal(readFileSync(join(dir, "twice"), "utf8"), "abc");
  });
});
