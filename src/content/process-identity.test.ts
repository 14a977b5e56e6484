import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { describe, it } from "node:test";
import { currentProcess, isProcessAlive, livenessCache } from "./process-identity.ts";

describe("isProcessAlive", () => {
  it("is true for this process and false for this pid with another start time", () => {
    const self = currentProcess();
    assert.equal(isProcessAlive(self), true);
    assert.equal(isProcessAlive({ pid: self.pid, startTime: `${self.startTime}1` }), false);
  });

  it("is false for a process that exited, or for a pid that cannot exist", () => {
    const r = spawnSync(process.execPath, ["-e", ""]);
    assert.equal(isProcessAlive({ pid: r.pid, startTime: "" }), false);
    assert.equal(isProcessAlive({ pid: 0, startTime: "" }), false);
    assert.equal(isProcessAlive({ pid: 2 ** 22 + 1, startTime: "" }), false);
  });

  it("tells a running child apart from the same pid recorded with another start time", async () => {
    const child = spawn(process.execPath, ["-e", "setTimeout(() => {}, 30000)"]);
    const pid = child.pid ?? 0;
    const cache = livenessCache();
    assert.equal(cache({ pid, startTime: "" }), true);
    assert.equal(isProcessAlive({ pid, startTime: "1" }), currentProcess().startTime === "");
    child.kill("SIGKILL");
    await once(child, "exit");
    assert.equal(cache({ pid, startTime: "" }), true, "answers are cached");
    assert.equal(isProcessAlive({ pid, startTime: "" }), false);
  });
});
