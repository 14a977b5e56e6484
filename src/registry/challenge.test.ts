import assert from "node:assert/strict";
import { test } from "node:test";
import { parseChallenges } from "./challenge.ts";

const cases: [string, string | string[], ReturnType<typeof parseChallenges>][] = [
  [
    "a bearer challenge with a quoted scope holding commas",
    'Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push"',
    [
      {
        scheme: "bearer",
        params: {
          realm: "https://auth.example/token",
          service: "registry.example",
          scope: "repository:a/b:pull,push",
        },
      },
    ],
  ],
  [
    "a basic challenge",
    'Basic realm="Registry Realm"',
    [{ scheme: "basic", params: { realm: "Registry Realm" } }],
  ],
  [
    "scheme names in any case, unquoted values",
    "BEARER realm=https://a/t, service=s",
    [{ scheme: "bearer", params: { realm: "https://a/t", service: "s" } }],
  ],
  [
    "two challenges in one value",
    'Basic realm="r", Bearer realm="https://a/t",service="s"',
    [
      { scheme: "basic", params: { realm: "r" } },
      { scheme: "bearer", params: { realm: "https://a/t", service: "s" } },
    ],
  ],
  [
    "several header values",
    ["Negotiate", 'Basic realm="x"'],
    [{ scheme: "basic", params: { realm: "x" } }],
  ],
  ["an unknown scheme only", 'Digest realm="x", nonce="y"', []],
  ["an escaped quote", 'Bearer realm="a\\"b"', [{ scheme: "bearer", params: { realm: 'a"b' } }]],
  ["an empty value", "", []],
];

for (const [name, header, want] of cases) {
  test(`parseChallenges reads ${name}`, () => {
    assert.deepEqual(parseChallenges(header), want);
  });
}

test("parseChallenges of no header is empty", () => {
  assert.deepEqual(parseChallenges(undefined), []);
});
