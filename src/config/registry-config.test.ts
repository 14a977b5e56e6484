import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
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
      }),
    );
    assert.deepEqual(readRegistryConfig(file), {
      registryMirrors: ["https://mirror.example.com", "docker.io"],
      insecureRegistries: ["localhost:5000"],
      insecureSkipVerifyEnforce: true,
      maxConcurrentDownloads: 3,
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
