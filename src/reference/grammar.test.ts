import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  isFullId,
  isIdOrPrefix,
  isValidHost,
  isValidPathComponent,
  isValidTag,
  looksLikeHost,
  shortId,
  splitDigest,
} from "./grammar.ts";

const HEX = "0123456789abcdef".repeat(4);

describe("isValidTag", () => {
  const rows: [string, boolean][] = [
    ["latest", true],
    ["1.36.1", true],
    ["_", true],
    ["V1_a-b.c", true],
    ["t".repeat(128), true],
    ["t".repeat(129), false],
    ["", false],
    [".x", false],
    ["-x", false],
    ["a/b", false],
    ["a:b", false],
    ["a+b", false],
  ];
  for (const [input, want] of rows) {
    test(`isValidTag("${input.slice(0, 30)}") is ${want}`, () =>
      assert.equal(isValidTag(input), want));
  }
});

describe("isValidPathComponent", () => {
  const rows: [string, boolean][] = [
    ["a", true],
    ["a.b", true],
    ["a_b", true],
    ["a__b", true],
    ["a-b", true],
    ["a----b", true],
    ["a___b", false],
    ["a._b", false],
    ["A", false],
    ["a.", false],
    ["", false],
  ];
  for (const [input, want] of rows) {
    test(`isValidPathComponent("${input}") is ${want}`, () => {
      assert.equal(isValidPathComponent(input), want);
    });
  }
});

describe("isValidHost and looksLikeHost", () => {
  const hosts: [string, boolean][] = [
    ["localhost", true],
    ["localhost:5000", true],
    ["my-reg.example.com", true],
    ["10.0.0.1:443", true],
    ["[fe80::1]:5000", true],
    ["-a.com", false],
    ["a-.com", false],
    ["a..com", false],
    ["a.com:", false],
    ["a_b.com", false],
  ];
  for (const [input, want] of hosts) {
    test(`isValidHost("${input}") is ${want}`, () => assert.equal(isValidHost(input), want));
  }

  const looks: [string, boolean][] = [
    ["localhost", true],
    ["a.b", true],
    ["a:1", true],
    ["library", false],
    ["local", false],
  ];
  for (const [input, want] of looks) {
    test(`looksLikeHost("${input}") is ${want}`, () => assert.equal(looksLikeHost(input), want));
  }
});

describe("splitDigest", () => {
  test("splitDigest splits a sha256 digest", () => {
    assert.deepEqual(splitDigest(`sha256:${HEX}`), { algorithm: "sha256", hex: HEX });
  });
  test("splitDigest accepts another algorithm with at least 32 hex digits", () => {
    assert.deepEqual(splitDigest(`sha512:${HEX.slice(0, 32)}`), {
      algorithm: "sha512",
      hex: HEX.slice(0, 32),
    });
  });
  for (const bad of [`sha256:${HEX.slice(1)}`, "sha512:abc", `SHA256:${HEX}`, HEX, `:${HEX}`]) {
    test(`splitDigest rejects "${bad.slice(0, 20)}..."`, () =>
      assert.equal(splitDigest(bad), undefined));
  }
});

describe("IDs", () => {
  const prefixes: [string, boolean][] = [
    ["abc", true],
    ["ab", false],
    [HEX, true],
    [`${HEX}0`, false],
    ["ABC", false],
    ["abg", false],
    [`sha256:${HEX}`, false],
  ];
  for (const [input, want] of prefixes) {
    test(`isIdOrPrefix("${input.slice(0, 20)}") is ${want}`, () => {
      assert.equal(isIdOrPrefix(input), want);
    });
  }

  test("isFullId needs exactly 64 lowercase hex characters", () => {
    assert.equal(isFullId(HEX), true);
    assert.equal(isFullId(HEX.slice(1)), false);
    assert.equal(isFullId(HEX.toUpperCase()), false);
  });

  test("shortId keeps the first 12 hex characters", () => {
    assert.equal(shortId(HEX), "0123456789ab");
  });
  test("shortId drops a sha256: prefix first", () => {
    assert.equal(shortId(`sha256:${HEX}`), "0123456789ab");
  });
});
