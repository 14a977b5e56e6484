import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ImageError } from "../errors.ts";
import {
  formatReference,
  isValidImageName,
  isValidTagTarget,
  parseReference,
} from "./parse-reference.ts";

const HEX = "a".repeat(64);
const DIGEST = `sha256:${HEX}`;

describe("parseReference", () => {
  const valid: [string, { host?: string; path: string; tag?: string; digest?: string }][] = [
    ["busybox", { path: "busybox" }],
    ["busybox:1.36", { path: "busybox", tag: "1.36" }],
    ["library/busybox", { path: "library/busybox" }],
    ["docker.io/busybox", { host: "docker.io", path: "busybox" }],
    ["localhost/a", { host: "localhost", path: "a" }],
    ["localhost:5000/a/b:v1", { host: "localhost:5000", path: "a/b", tag: "v1" }],
    ["my.registry:5000/team/app:1.2", { host: "my.registry:5000", path: "team/app", tag: "1.2" }],
    ["Reg.Example.COM/app", { host: "Reg.Example.COM", path: "app" }],
    ["[::1]:5000/app", { host: "[::1]:5000", path: "app" }],
    ["localhost:5000", { path: "localhost", tag: "5000" }],
    ["a.b", { path: "a.b" }],
    ["a_b__c-d---e.f", { path: "a_b__c-d---e.f" }],
    ["foo/bar:Tag_1.x-y", { path: "foo/bar", tag: "Tag_1.x-y" }],
    [`busybox@${DIGEST}`, { path: "busybox", digest: DIGEST }],
    [`busybox:1@${DIGEST}`, { path: "busybox", tag: "1", digest: DIGEST }],
    [
      `h.io/a@sha512:${"b".repeat(128)}`,
      { host: "h.io", path: "a", digest: `sha512:${"b".repeat(128)}` },
    ],
    [`x@blake3:${"c".repeat(32)}`, { path: "x", digest: `blake3:${"c".repeat(32)}` }],
    [`a:${"t".repeat(128)}`, { path: "a", tag: "t".repeat(128) }],
  ];

  for (const [input, want] of valid) {
    test(`parseReference splits "${input.slice(0, 60)}"`, () => {
      assert.deepEqual(parseReference(input), { original: input, ...want });
    });
  }

  const invalid: [string, string][] = [
    ["", "name is empty"],
    ["Busybox", "repository name must be lowercase"],
    ["Foo/bar", "repository name must be lowercase"],
    ["docker.io/Library/busybox", "repository name must be lowercase"],
    ["a//b", 'invalid repository path component ""'],
    ["/a", 'invalid repository path component ""'],
    ["a/", 'invalid repository path component ""'],
    ["-a", 'invalid repository path component "-a"'],
    ["_a:_", 'invalid repository path component "_a"'],
    ["a-", 'invalid repository path component "a-"'],
    ["a___b", 'invalid repository path component "a___b"'],
    ["a..b", 'invalid repository path component "a..b"'],
    ["a b", 'invalid repository path component "a b"'],
    [":tag", "repository name is empty"],
    ["busybox:", 'invalid tag ""'],
    ["busybox:.x", 'invalid tag ".x"'],
    ["busybox:-x", 'invalid tag "-x"'],
    [`a:${"t".repeat(129)}`, `invalid tag "${"t".repeat(129)}"`],
    ["a:b:c", 'invalid repository path component "a:b"'],
    ["busybox@", 'invalid digest ""'],
    ["busybox@sha256:abc", 'invalid digest "sha256:abc"'],
    [`busybox@sha256:${"a".repeat(65)}`, `invalid digest "sha256:${"a".repeat(65)}"`],
    [`busybox@sha256:${"A".repeat(64)}`, `invalid digest "sha256:${"A".repeat(64)}"`],
    [`busybox@${HEX}`, `invalid digest "${HEX}"`],
    [`a@${DIGEST}@${DIGEST}`, `invalid digest "${DIGEST}@${DIGEST}"`],
    ["-bad.host/a", 'invalid registry host "-bad.host"'],
    ["host.io:port/a", 'invalid registry host "host.io:port"'],
    [`${"a".repeat(256)}`, "name is longer than 255 characters"],
  ];

  for (const [input, reason] of invalid) {
    test(`parseReference rejects "${input.slice(0, 60)}" because ${reason.slice(0, 50)}`, () => {
      assert.throws(
        () => parseReference(input),
        (err: unknown) =>
          err instanceof ImageError &&
          err.kind === "InvalidArgument" &&
          err.message === `invalid image name "${input}": ${reason}`,
      );
    });
  }

  test("parseReference accepts exactly 255 characters", () => {
    const name = `${"a".repeat(250)}:1234`;
    assert.equal(name.length, 255);
    assert.equal(parseReference(name).tag, "1234");
  });
});

describe("isValidImageName", () => {
  test("isValidImageName is true for a host, path, tag and digest", () => {
    assert.equal(isValidImageName(`localhost:5000/a/b:1@${DIGEST}`), true);
  });
  test("isValidImageName is false for an uppercase repository", () => {
    assert.equal(isValidImageName("UPPER"), false);
  });
});

describe("isValidTagTarget", () => {
  const rows: [string, boolean][] = [
    ["app:1.2", true],
    ["localhost:5000/app", true],
    [HEX, false],
    [`sha256:${HEX}`, false],
    ["sha256:abc", false],
    [HEX.slice(0, 63), true],
    [`app@${DIGEST}`, false],
    ["App", false],
    ["app:", false],
  ];
  for (const [input, want] of rows) {
    test(`isValidTagTarget("${input.slice(0, 40)}") is ${want}`, () => {
      assert.equal(isValidTagTarget(input), want);
    });
  }
});

describe("formatReference", () => {
  for (const input of ["busybox", "localhost:5000/a/b:v1", `h.io/x:1@${DIGEST}`, `x@${DIGEST}`]) {
    test(`formatReference writes "${input.slice(0, 40)}" back unchanged`, () => {
      assert.equal(formatReference(parseReference(input)), input);
    });
  }
});
