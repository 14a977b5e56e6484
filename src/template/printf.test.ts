import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { formatPrintf } from "./printf.ts";

describe("formatPrintf", () => {
  const rows: [string, unknown[], string][] = [
    ["plain text", [], "plain text"],
    ["%s", ["abc"], "abc"],
    ["%s", [12], "12"],
    ["%v", [true], "true"],
    ["%s", [["a"]], "[\n    a\n]"],
    ["%d", [42], "42"],
    ["%d", [-7], "-7"],
    ["%q", ['a"b\n'], '"a\\"b\\n"'],
    ["%f", [1.5], "1.500000"],
    ["%.2f", [1.23456], "1.23"],
    ["%x", [255], "ff"],
    ["%x", ["hi"], "6869"],
    ["100%%", [], "100%"],
    ["%5s|", ["ab"], "   ab|"],
    ["%-5s|", ["ab"], "ab   |"],
    ["%05d", [-42], "-0042"],
    ["%.3s", ["abcdef"], "abc"],
    ["%s and %s", ["a", "b"], "a and b"],
    ["%d", ["abc"], "%!d(string=abc)"],
    ["%d", [1.5], "%!d(number=1.5)"],
    ["%q", [1], "%!q(number=1)"],
    ["%z", [1], "%!z(number=1)"],
    ["%s %s", ["a"], "a %!s(MISSING)"],
    ["%s", ["a", 1, null], "a%!(EXTRA number=1, null=null)"],
    ["end %", [], "end %!(NOVERB)"],
  ];
  for (const [format, args, want] of rows) {
    test(`formatPrintf(${JSON.stringify(format)}) gives ${JSON.stringify(want)}`, () => {
      assert.equal(formatPrintf(format, args), want);
    });
  }
});
