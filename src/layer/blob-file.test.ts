import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import {
  closeSync,
  constants,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { ImageError } from "../errors.ts";
import { BlobFile } from "./blob-file.ts";

const dir = mkdtempSync(join(tmpdir(), "blob-file-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/**
 * How many of this process's descriptors are open on `path`. Counting all descriptors is not
 * enough: the runner and libuv open and close their own while a test runs.
 */
function fdsOn(path: string): number {
  let n = 0;
  for (const fd of readdirSync("/proc/self/fd")) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`) === path) n += 1;
    } catch {
      // Closed since the listing (the listing's own descriptor among them).
    }
  }
  return n;
}

/** Whether the test folder's file system takes O_DIRECT (tmpfs before Linux 6.6 does not). */
function directWorks(): boolean {
  const probe = join(dir, "probe");
  try {
    closeSync(openSync(probe, constants.O_WRONLY | constants.O_CREAT | constants.O_DIRECT));
    return true;
  } catch {
    return false;
  } finally {
    rmSync(probe, { force: true });
  }
}

/** Writes `chunks` through `blob`, awaiting when it asks to; returns how often it did. */
async function writeAll(blob: BlobFile, chunks: Buffer[]): Promise<number> {
  let waited = 0;
  for (const chunk of chunks) {
    const pending = blob.write(chunk);
    if (pending) {
      waited += 1;
      await pending;
    }
  }
  return waited;
}

/** Random chunks of uneven sizes, `total` bytes in all, each a fresh buffer. */
function unevenChunks(total: number): Buffer[] {
  const chunks: Buffer[] = [];
  for (let left = total, i = 0; left > 0; i++) {
    const n = Math.min(left, 1 + ((i * 7919 + 104729) % 700_000));
    chunks.push(randomBytes(n));
    left -= n;
  }
  return chunks;
}

describe("BlobFile", () => {
  it("BlobFile keeps every byte in order while flushes run in the background", async () => {
    const path = join(dir, "blob");
    const chunks = Array.from({ length: 40 }, (_, i) => randomBytes(1000 + i * 37));
    const blob = new BlobFile(path, { writebackBytes: 4096, direct: false });
    assert.equal(blob.direct, false);
    const yielded = await writeAll(blob, chunks);
    await blob.finish();
    assert.deepEqual(readFileSync(path), Buffer.concat(chunks));
    // Flushes were started every 4 KiB, and writes waited for one at least once.
    assert.ok(yielded > 0, "no write waited for a running flush");
    assert.equal(fdsOn(path), 0, "the descriptor was not closed");
  });

  it("BlobFile writes with O_DIRECT: every byte in order across stages, the tail included", async (t) => {
    if (!directWorks()) return t.skip(`${dir} does not take O_DIRECT`);
    const path = join(dir, "direct");
    // 6.3 MiB in uneven chunks: more stages than there are buffers, and a partial last one.
    const chunks = unevenChunks(6.3 * 2 ** 20);
    const blob = new BlobFile(path);
    assert.equal(blob.direct, true);
    const waited = await writeAll(blob, chunks);
    await blob.finish();
    assert.deepEqual(readFileSync(path), Buffer.concat(chunks));
    // Four 1 MiB stages; the fifth could only be filled once a write had come back.
    assert.ok(waited > 0, "no write waited for a free stage");
    assert.equal(fdsOn(path), 0, "a descriptor was not closed");
  });

  it("BlobFile lends its aligned buffers to one blob at a time: a second one writes buffered", async (t) => {
    if (!directWorks()) return t.skip(`${dir} does not take O_DIRECT`);
    const [first, second] = [join(dir, "first"), join(dir, "second")];
    const a = new BlobFile(first);
    const b = new BlobFile(second);
    assert.deepEqual([a.direct, b.direct], [true, false]);
    const [ca, cb] = [unevenChunks(3 * 2 ** 20), unevenChunks(2 ** 20 + 17)];
    await writeAll(a, ca);
    await writeAll(b, cb);
    await Promise.all([a.finish(), b.finish()]);
    assert.deepEqual(readFileSync(first), Buffer.concat(ca));
    assert.deepEqual(readFileSync(second), Buffer.concat(cb));
    // Given back by `finish`: the next blob writes directly again.
    const c = new BlobFile(join(dir, "third"));
    assert.equal(c.direct, true);
    await c.abandon();
  });

  it("BlobFile reports a failing disk as ResourceExhausted at the latest from finish", async () => {
    const blob = new BlobFile("/dev/full");
    await assert.rejects(
      async () => {
        await writeAll(blob, [Buffer.alloc(10), Buffer.alloc(3 * 2 ** 20)]);
        await blob.finish();
      },
      (err) => err instanceof ImageError && err.kind === "ResourceExhausted",
    );
    await blob.abandon();
    assert.equal(fdsOn("/dev/full"), 0, "the descriptor was not closed");
  });

  it("BlobFile.write reports a failing disk as ResourceExhausted, and abandon closes it", async () => {
    const blob = new BlobFile("/dev/full", { direct: false });
    assert.throws(
      () => blob.write(Buffer.alloc(10)),
      (err) => err instanceof ImageError && err.kind === "ResourceExhausted",
    );
    await blob.abandon();
    assert.equal(fdsOn("/dev/full"), 0, "the descriptor was not closed");
  });

  it("BlobFile.abandon after finish does nothing more", async () => {
    const blob = new BlobFile(join(dir, "twice"));
    blob.write(Buffer.from("abc"));
    await blob.finish();
    await blob.abandon();
    assert.equal(readFileSync(join(dir, "twice"), "utf8"), "abc");
  });
});
