import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { formatDurationMs, parseDurationMs } from "./duration.ts";
import { readRegistryConfig, registryConfigFrom } from "./registry-config.ts";

const FILE = "/etc/isulad/daemon.json";

describe("readRegistryConfig", () => {
  it("gives the defaults when daemon.json does not exist", () => {
    const dir = mkdtempSync(join(tmpdir(), "regcfg-"));
    assert.deepEqual(readRegistryConfig(join(dir, "daemon.json")), {
      registryMirrors: [],
      insecureRegistries: [],
      insecureSkipVerifyEnforce: false,
      maxConcurrentDownloads: 5,
      pullTimeoutMs: 0,
    });
  });

  it("reads every key from the file", () => {
    const dir = mkdtempSync(join(tmpdir(), "regcfg-"));
    const file = join(dir, "daemon.json");
    writeFileSync(
      file,
      JSON.stringify({
        graph: "/x",
        "registry-mirrors": ["https://mirror.example.com", "docker.io"],
        "insecure-registries": ["localhost:5000"],
        "insecure-skip-verify-enforce": true,
        "max-concurrent-downloads": 3,
        "pull-timeout": "1m30s",
      }),
    );
    assert.deepEqual(readRegistryConfig(file), {
      registryMirrors: ["https://mirror.example.com", "docker.io"],
      insecureRegistries: ["localhost:5000"],
      insecureSkipVerifyEnforce: true,
      maxConcurrentDownloads: 3,
      pullTimeoutMs: 90_000,
    });
  });

  const bad: [string, unknown, RegExp][] = [
    ["registry-mirrors", "https://m", /"registry-mirrors" in ".*" must be a list of non-empty/],
    ["insecure-registries", [""], /"insecure-registries" in .* must be a list/],
    ["insecure-registries", [5000], /"insecure-registries"/],
    ["insecure-skip-verify-enforce", "yes", /"insecure-skip-verify-enforce" .* true or false/],
    ["max-concurrent-downloads", 0, /"max-concurrent-downloads" .* integer from 1 to 128/],
    ["max-concurrent-downloads", 2.5, /"max-concurrent-downloads"/],
    ["max-concurrent-downloads", "5", /"max-concurrent-downloads"/],
    ["pull-timeout", -1, /"pull-timeout" in ".*" must be seconds or a duration/],
    ["pull-timeout", "10 minutes", /"pull-timeout"/],
    ["pull-timeout", true, /"pull-timeout"/],
  ];
  for (const [key, value, message] of bad) {
    it(`rejects ${JSON.stringify(value)} for "${key}" naming the key and file`, () => {
      assert.throws(() => registryConfigFrom({ [key]: value }, FILE), message);
      assert.throws(
        () => registryConfigFrom({ [key]: value }, FILE),
        /\/etc\/isulad\/daemon\.json/,
      );
    });
  }
});

describe("parseDurationMs", () => {
  it("reads seconds and Docker-style durations, and refuses the rest", () => {
    const good: [unknown, number][] = [
      [0, 0],
      [90, 90_000],
      ["90", 90_000],
      ["90s", 90_000],
      ["1m30s", 90_000],
      ["1h", 3_600_000],
      ["250ms", 250],
      ["1.5s", 1500],
    ];
    for (const [v, ms] of good) assert.equal(parseDurationMs(v), ms, String(v));
    for (const v of [-1, "-5s", "5 s", "5d", "", "1.0001ms", true, null, "31d", 3e9]) {
      assert.equal(parseDurationMs(v), undefined, String(v));
    }
  });

  it("formatDurationMs writes what a user would", () => {
    assert.equal(formatDurationMs(90_000), "1m30s");
    assert.equal(formatDurationMs(3_600_000), "1h");
    assert.equal(formatDurationMs(2000), "2s");
    assert.equal(formatDurationMs(1500), "1500ms");
  });
});
