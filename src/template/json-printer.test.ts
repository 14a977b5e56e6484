import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ImageError } from "../errors.ts";
import {
  formatInspectDocuments,
  formatNumber,
  printJson,
  printPlain,
  quoteJsonString,
} from "./json-printer.ts";

describe("quoteJsonString", () => {
  const rows: [string, string, string][] = [
    ["plain text", "abc", '"abc"'],
    ["quote and backslash", 'a"b\\c', '"a\\"b\\\\c"'],
    ["the named control escapes", "\r\n\f\b\t", '"\\r\\n\\f\\b\\t"'],
    ["other controls as upper-case \\u00XX", "\u0001\u001f\u000b", '"\\u0001\\u001F\\u000B"'],
    ["slash unescaped", "a/b", '"a/b"'],
    ["non-ASCII passed through", "é中😀", '"é中😀"'],
    ["DEL passed through", "\u007f", '"\u007f"'],
  ];
  for (const [what, input, want] of rows) {
    test(`quoteJsonString escapes ${what}`, () => assert.equal(quoteJsonString(input), want));
  }
});

describe("formatNumber", () => {
  const rows: [number, string][] = [
    [0, "0"],
    [-0, "0"],
    [1372806, "1372806"],
    [-5, "-5"],
    [1.5, "1.5"],
    [1e21, "1000000000000000000000"],
    [2 ** 70, "1180591620717411303424"],
    [Number.NaN, "null"],
    [Number.POSITIVE_INFINITY, "null"],
  ];
  for (const [input, want] of rows) {
    test(`formatNumber(${input}) is ${want}`, () => assert.equal(formatNumber(input), want));
  }
});

describe("printJson", () => {
  test("printJson prints the reference example with 4-space indent", () => {
    const doc = { image: { id: "abc", repo_tags: ["busybox:latest"] } };
    const want = [
      "{",
      '    "image": {',
      '        "id": "abc",',
      '        "repo_tags": [',
      '            "busybox:latest"',
      "        ]",
      "    }",
      "}",
    ].join("\n");
    assert.equal(printJson(doc), want);
  });

  test("printJson prints empty containers as {} and []", () => {
    assert.equal(printJson({ a: {}, b: [] }), '{\n    "a": {},\n    "b": []\n}');
  });

  test("printJson prints scalars and null", () => {
    assert.equal(
      printJson([true, false, null, 3, "x"]),
      '[\n    true,\n    false,\n    null,\n    3,\n    "x"\n]',
    );
  });

  test("printJson leaves out undefined members and prints undefined elements as null", () => {
    assert.equal(
      printJson({ a: undefined, b: [undefined] }),
      '{\n    "b": [\n        null\n    ]\n}',
    );
  });

  test("printJson indents later lines from the given level", () => {
    assert.equal(printJson({ a: 1 }, 2), '{\n            "a": 1\n        }');
  });

  test("printJson escapes keys", () => {
    assert.equal(printJson({ 'a"\n': 1 }), '{\n    "a\\"\\n": 1\n}');
  });

  test("printJson throws Internal for a function", () => {
    assert.throws(
      () => printJson(() => 1),
      (err: unknown) => err instanceof ImageError && err.kind === "Internal",
    );
  });
});

describe("printPlain", () => {
  test("printPlain prints a top-level string bare and unescaped", () => {
    assert.equal(printPlain('a"b\n'), 'a"b\n');
  });

  test("printPlain prints strings inside arrays and objects unquoted but keys quoted", () => {
    assert.equal(
      printPlain({ t: ["busybox:latest"] }),
      '{\n    "t": [\n        busybox:latest\n    ]\n}',
    );
  });

  test("printPlain prints numbers, booleans and null as JSON", () => {
    assert.deepEqual(
      [printPlain(12), printPlain(false), printPlain(null)],
      ["12", "false", "null"],
    );
  });
});

describe("formatInspectDocuments", () => {
  test("formatInspectDocuments prints [] and a newline for no documents", () => {
    assert.equal(formatInspectDocuments([]), "[]\n");
  });

  test("formatInspectDocuments wraps one document indented by 4", () => {
    const want = '[\n    {\n        "id": "abc"\n    }\n]\n';
    assert.equal(formatInspectDocuments([{ id: "abc" }]), want);
  });

  test("formatInspectDocuments separates documents with a comma and a newline", () => {
    const want = '[\n    {\n        "a": 1\n    },\n    {}\n]\n';
    assert.equal(formatInspectDocuments([{ a: 1 }, {}]), want);
  });
});
