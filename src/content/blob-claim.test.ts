import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { sha256Digest } from "../digest/digest.ts";
import { claimBlob, forgetPublished } from "./blob-claim.ts";
import { sweepIngest } from "./ingest.ts";

const DIGEST = sha256Digest("a shared base layer");

function tempIngest(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "blob-claim-"));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A child process that takes the claim's lock, says "locked", and sleeps until killed. */
function lockInChild(file: string): Promise<ReturnType<typeof spawn>> {
  const script = `
    const fs = require("node:fs");
    const { tryLock } = require("fs-native-extensions");
    const fd = fs.openSync(${JSON.stringify(file)}, "a+", 0o600);
    if (!tryLock(fd)) process.exit(3);
    process.stdout.write("locked\\n");
    setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ["-e", script], { stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    child.stdout.once("data", () => resolve(child));
    child.once("exit", (code) => reject(new Error(`the child exited with ${code}`)));
  });
}

describe("claimBlob", () => {
  it("a second claim waits for the first and sees the copy it recorded", async () => {
    const { dir, cleanup } = tempIngest();
    try {
      const first = await claimBlob({ ingestDir: dir, digest: DIGEST });
      let waited = false;
      const second = claimBlob({
        ingestDir: dir,
        digest: DIGEST,
        onWait: () => {
          waited = true;
        },
      });
      await new Promise((r) => setTimeout(r, 150));
      assert.equal(waited, true);
      first.publish(join(dir, "1-2-lease.0-blob"));
      first.release();
      const got = await second;
      assert.equal(got.published, join(dir, "1-2-lease.0-blob"));
      got.release({ forget: true });
      assert.deepEqual(readdirSync(dir), []);
    } finally {
      cleanup();
    }
  });

  it("a recorded copy outside the ingest area is not offered", async () => {
    const { dir, cleanup } = tempIngest();
    try {
      const a = await claimBlob({ ingestDir: dir, digest: DIGEST });
      a.publish("/etc/passwd");
      a.release();
      const b = await claimBlob({ ingestDir: dir, digest: DIGEST });
      assert.equal(b.published, undefined);
      b.release({ forget: true });
    } finally {
      cleanup();
    }
  });

  it("a claim that recorded nothing leaves no file behind", async () => {
    const { dir, cleanup } = tempIngest();
    try {
      (await claimBlob({ ingestDir: dir, digest: DIGEST })).release();
      assert.deepEqual(readdirSync(dir), []);
    } finally {
      cleanup();
    }
  });

  it("a claim whose owner process is killed is taken over at once", async () => {
    const { dir, cleanup } = tempIngest();
    try {
      const file = join(dir, `claim-sha256-${DIGEST.slice(7)}`);
      const child = await lockInChild(file);
      const ac = new AbortController();
      const pending = claimBlob({ ingestDir: dir, digest: DIGEST, signal: ac.signal });
      await new Promise((r) => setTimeout(r, 250));
      let settled = false;
      pending.then(() => {
        settled = true;
      });
      await new Promise((r) => setImmediate(r));
      assert.equal(settled, false, "the claim must wait while its owner runs");
      child.kill("SIGKILL");
      const claim = await pending;
      claim.release();
      assert.deepEqual(readdirSync(dir), []);
    } finally {
      cleanup();
    }
  });

  it("a waiting claim gives up when its pull is cancelled", async () => {
    const { dir, cleanup } = tempIngest();
    try {
      const first = await claimBlob({ ingestDir: dir, digest: DIGEST });
      const ac = new AbortController();
      const second = claimBlob({ ingestDir: dir, digest: DIGEST, signal: ac.signal });
      setTimeout(() => ac.abort(), 50);
      await assert.rejects(second, { kind: "Unavailable", message: "the pull was cancelled" });
      first.release();
    } finally {
      cleanup();
    }
  });

  it("the ingest sweep removes a claim left by a dead owner, keeps held and useful ones", async () => {
    const { dir, cleanup } = tempIngest();
    try {
      const other = sha256Digest("another layer");
      const held = await claimBlob({ ingestDir: dir, digest: other });
      const copy = join(dir, "1-1-lease.0-blob");
      writeFileSync(copy, "bytes");
      const kept = await claimBlob({ ingestDir: dir, digest: DIGEST });
      kept.publish(copy);
      kept.release();
      // The owner of `copy` (pid 1 with another start time) counts as dead: copy and claim go.
      const alive = (o: { pid: number }) => o.pid !== 1;
      assert.deepEqual(readdirSync(dir).length, 3);
      sweepIngest(dir, () => true);
      assert.equal(readdirSync(dir).length, 3, "a held claim and a useful one are kept");
      sweepIngest(dir, alive);
      assert.deepEqual(readdirSync(dir), [`claim-sha256-${other.slice(7)}`]);
      held.release();
      assert.deepEqual(readdirSync(dir), []);
    } finally {
      cleanup();
    }
  });

  it("forgetPublished removes the file only while it records our copy", async () => {
    const { dir, cleanup } = tempIngest();
    try {
      const a = await claimBlob({ ingestDir: dir, digest: DIGEST });
      a.publish(join(dir, "theirs"));
      a.release();
      forgetPublished(dir, DIGEST, join(dir, "ours"));
      assert.equal(readdirSync(dir).length, 1);
      forgetPublished(dir, DIGEST, join(dir, "theirs"));
      assert.deepEqual(readdirSync(dir), []);
    } finally {
      cleanup();
    }
  });
});
