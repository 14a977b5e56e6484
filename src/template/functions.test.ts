import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ImageError } from "../errors.ts";
import { BUILTINS, isTrue } from "./functions.ts";

function call(name: string, ...args: unknown[]): unknown {
  const fn = BUILTINS.get(name);
  assert.ok(fn, `function ${name} exists`);
  return fn.call(args);
}

describe("isTrue", () => {
  const rows: [unknown, boolean][] = [
    [false, false],
    [0, false],
    ["", false],
    [null, false],
    [undefined, false],
    [[], false],
    [{}, false],
    [true, true],
    [-1, true],
    [0.5, true],
    ["0", true],
    ["false", true],
    [[0], true],
    [{ a: null }, true],
  ];
  for (const [value, want] of rows) {
    test(`isTrue(${JSON.stringify(value)}) is ${want}`, () => assert.equal(isTrue(value), want));
  }
});

describe("BUILTINS", () => {
  test("every function the design names is defined", () => {
    for (const name of ["json", "index", "len", "join", "upper", "lower", "printf"]) {
      assert.ok(BUILTINS.has(name), name);
    }
  });

  test("json quotes a string and pretty-prints an object from indent 0", () => {
    assert.equal(call("json", "a/b"), '"a/b"');
    assert.equal(call("json", { a: [1] }), '{\n    "a": [\n        1\n    ]\n}');
  });

  test("index walks several keys and returns null for an absent member", () => {
    assert.equal(call("index", { a: [{ b: "x" }] }, "a", 0, "b"), "x");
    assert.equal(call("index", { a: 1 }, "b"), null);
  });

  test("index with no keys returns its argument", () => {
    assert.deepEqual(call("index", [1, 2]), [1, 2]);
  });

  test("index does not treat inherited properties as members", () => {
    assert.equal(call("index", {}, "toString"), null);
  });

  test("len counts code points of a string", () => {
    assert.equal(call("len", "a😀"), 2);
  });

  test("join prints non-string elements as a template prints them", () => {
    assert.equal(call("join", ["a", 1, true, null], "-"), "a-1-true-null");
  });

  test("upper and lower work on a printed number", () => {
    assert.equal(call("upper", "abc"), "ABC");
    assert.equal(call("lower", 1e21), "1000000000000000000000");
  });

  test("and returns the first false value, or the last", () => {
    assert.equal(call("and", 1, "", 2), "");
    assert.equal(call("and", 1, 2), 2);
  });

  test("or returns the first true value, or the last", () => {
    assert.equal(call("or", 0, "x", 2), "x");
    assert.equal(call("or", 0, ""), "");
  });

  test("eq compares objects and arrays by content", () => {
    assert.equal(call("eq", { a: [1] }, { a: [1] }), true);
    assert.equal(call("eq", { a: [1] }, { a: [2] }), false);
    assert.equal(call("eq", 1, "1"), false);
  });

  test("lt and ge compare strings", () => {
    assert.equal(call("lt", "a", "b"), true);
    assert.equal(call("ge", "a", "b"), false);
  });

  test("a failing function throws InvalidArgument in iSulad's executing form", () => {
    assert.throws(
      () => call("len", true),
      (err: unknown) =>
        err instanceof ImageError &&
        err.kind === "InvalidArgument" &&
        err.message === 'Executing "" at <len>: error calling len: len of type bool',
    );
  });
});
