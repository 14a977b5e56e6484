import assert from "node:assert/strict";
import { test } from "node:test";
import type { Descriptor } from "../oci/types.ts";
import {
  architectureOfMachine,
  formatPlatform,
  parsePlatform,
  platformMatches,
  platformOfThisHost,
  selectManifest,
} from "./platform.ts";

test("architectureOfMachine maps uname machines as iSulad does", () => {
  const table: [string, string][] = [
    ["x86_64", "amd64"],
    ["x86-64", "amd64"],
    ["i386", "386"],
    ["aarch64", "arm64"],
    ["armhf", "arm"],
    ["armel", "arm"],
    ["armv7l", "arm"],
    ["mips64el", "mips64le"],
    ["loongarch64", "loong64"],
    ["riscv64", "riscv64"],
    ["s390x", "s390x"],
  ];
  for (const [m, a] of table) assert.equal(architectureOfMachine(m), a, m);
});

test("platformOfThisHost is lower-case linux with a mapped architecture", () => {
  const p = platformOfThisHost();
  assert.equal(p.os, "linux");
  assert.ok(!["x86_64", "aarch64"].includes(p.architecture));
});

test("parsePlatform reads os/arch and os/arch/variant and rejects the rest", () => {
  assert.deepEqual(parsePlatform("linux/amd64"), { os: "linux", architecture: "amd64" });
  assert.deepEqual(parsePlatform("Linux/ARM/v7"), {
    os: "linux",
    architecture: "arm",
    variant: "v7",
  });
  for (const bad of ["linux", "linux/", "/amd64", "a/b/c/d", ""])
    assert.throws(() => parsePlatform(bad), { kind: "InvalidArgument" }, bad);
  assert.equal(formatPlatform(parsePlatform("linux/arm/v7")), "linux/arm/v7");
});

test("platformMatches compares variants only when both sides have one", () => {
  const amd = { os: "linux", architecture: "amd64" };
  assert.ok(platformMatches({ os: "Linux", architecture: "AMD64" }, amd));
  assert.ok(!platformMatches({ os: "windows", architecture: "amd64" }, amd));
  assert.ok(
    platformMatches(
      { os: "linux", architecture: "arm", variant: "v6" },
      { os: "linux", architecture: "arm" },
    ),
  );
  assert.ok(
    !platformMatches(
      { os: "linux", architecture: "arm", variant: "v6" },
      { os: "linux", architecture: "arm", variant: "v7" },
    ),
  );
  assert.ok(
    platformMatches(
      { os: "linux", architecture: "arm", variant: "7" },
      { os: "linux", architecture: "arm", variant: "v7" },
    ),
  );
  // arm64's v8 is "no variant": it matches an entry with another variant.
  assert.ok(
    platformMatches(
      { os: "linux", architecture: "arm64", variant: "v9" },
      { os: "linux", architecture: "arm64", variant: "v8" },
    ),
  );
});

const entry = (digest: string, platform?: Descriptor["platform"]): Descriptor => ({
  mediaType: "application/vnd.oci.image.manifest.v1+json",
  digest: `sha256:${digest.repeat(64)}`,
  size: 1,
  ...(platform && { platform }),
});

test("selectManifest takes the first matching entry and skips entries without a platform", () => {
  const entries = [
    entry("a"),
    entry("b", { os: "linux", architecture: "arm64" }),
    entry("c", { os: "linux", architecture: "amd64" }),
    entry("d", { os: "linux", architecture: "amd64" }),
  ];
  assert.equal(
    selectManifest(entries, { os: "linux", architecture: "amd64" }, "x").digest,
    entries[2]?.digest,
  );
});

test("selectManifest without a match lists the platforms offered", () => {
  const entries = [
    entry("b", { os: "linux", architecture: "arm64" }),
    entry("c", { os: "linux", architecture: "arm", variant: "v7" }),
  ];
  assert.throws(
    () => selectManifest(entries, { os: "linux", architecture: "s390x" }, 'image "x"'),
    {
      kind: "NotFound",
      message:
        'image "x" has no manifest for platform linux/s390x (offered: linux/arm64, linux/arm/v7)',
    },
  );
});
