import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ImageError } from "../errors.ts";
import { jsonDepth, MAX_JSON_DEPTH, parseJson, readBounded } from "./bounded-read.ts";

const nest = (n: number) => `${"[".repeat(n)}${"]".repeat(n)}`;

describe("parseJson and readBounded", () => {
  test("jsonDepth counts arrays and objects, not brackets inside strings", () => {
    assert.equal(jsonDepth('{"a":[1,{"b":"[[[{{{"}]}'), 3);
    assert.equal(jsonDepth('["\\"[[[", "\\\\", []]'), 2);
    assert.equal(jsonDepth("5"), 0);
  });

  test(`parseJson accepts ${MAX_JSON_DEPTH} levels and refuses one more, before parsing`, () => {
    assert.deepEqual(parseJson(nest(3), "x"), [[[]]]);
    assert.doesNotThrow(() => parseJson(nest(MAX_JSON_DEPTH), "x"));
    assert.throws(
      () => parseJson(Buffer.from(nest(MAX_JSON_DEPTH + 1)), '"manifest.json"'),
      (err: unknown) =>
        err instanceof ImageError &&
        err.kind === "InvalidArgument" &&
        err.message === `"manifest.json" nests deeper than ${MAX_JSON_DEPTH} levels`,
    );
    // Unbalanced and a million deep: refused by the scan, never handed to JSON.parse.
    assert.throws(() => parseJson("[".repeat(1_000_000), "x"), /nests deeper/);
    assert.throws(
      () => parseJson("{not json", "the config"),
      /^Error: the config is not valid JSON$|the config is not valid JSON/,
    );
  });

  test("readBounded stops at the first chunk past the limit", async () => {
    let pulled = 0;
    async function* endless() {
      for (;;) {
        pulled += 1;
        yield new Uint8Array(1000);
      }
    }
    await assert.rejects(readBounded(endless(), 4500, "manifest"), {
      kind: "ResourceExhausted",
      message: "manifest is larger than 4500 bytes",
    });
    assert.equal(pulled, 5);
  });
});
