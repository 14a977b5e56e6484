import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ImageError } from "../errors.ts";
import { UNBALANCED_BRACES_MESSAGE } from "./ast.ts";
import { type Piece, splitTemplate, tokenizeAction } from "./lexer.ts";

const text = (t: string): Piece => ({ kind: "text", text: t });
const action = (source: string, offset: number): Piece => ({ kind: "action", source, offset });

describe("splitTemplate", () => {
  const rows: [string, string, Piece[]][] = [
    ["an empty template", "", []],
    ["literal text only", "hello", [text("hello")]],
    ["one action", "{{.a}}", [action(".a", 2)]],
    [
      "text around actions",
      "x{{.a}}y{{.b}}",
      [text("x"), action(".a", 3), text("y"), action(".b", 10)],
    ],
    ["a left trim marker", "x \n {{- .a}}", [text("x"), action(" .a", 7)]],
    ["a right trim marker", "{{.a -}} \n y", [action(".a ", 2), text("y")]],
    ["a dash that is no trim marker", "x {{-3}}", [text("x "), action("-3", 4)]],
    ["a closing brace pair in a string", '{{"}}"}}', [action('"}}"', 2)]],
    ["braces in a raw string", "{{`{x}`}}", [action("`{x}`", 2)]],
    ["a stray }} in text", "a}}b", [text("a}}b")]],
    ["a single brace after an action", "{{.a}}}", [action(".a", 2), text("}")]],
    ["a comment", "a{{/* note */}}b", [text("a"), text("b")]],
    ["a trimmed comment", "a {{- /* note */ -}} b", [text("a"), text("b")]],
  ];
  for (const [what, input, want] of rows) {
    test(`splitTemplate handles ${what}`, () => assert.deepEqual(splitTemplate(input), want));
  }

  for (const input of ["{{.a", "{{.a}", "{{{.a}}", "{{.a} {{.b}}", "x {{ .a {{.b}}"]) {
    test(`splitTemplate reports unbalanced braces in "${input}"`, () => {
      assert.throws(
        () => splitTemplate(input),
        (err: unknown) =>
          err instanceof ImageError &&
          err.kind === "InvalidArgument" &&
          err.message === UNBALANCED_BRACES_MESSAGE,
      );
    });
  }

  test("splitTemplate reports an unterminated string literal", () => {
    assert.throws(() => splitTemplate('{{"abc}}'), {
      message: "Template parsing error: unterminated string literal (at offset 2)",
    });
  });
});

describe("tokenizeAction", () => {
  const kinds = (src: string) => tokenizeAction(src, 0).map((t) => `${t.kind}:${t.text}`);
  const rows: [string, string[]][] = [
    [".a.b_c.D1", ["field:.a.b_c.D1"]],
    [".", ["dot:."]],
    ["$", ["variable:$"]],
    ["$x.y", ["variable:$x.y"]],
    ["$.a", ["variable:$.a"]],
    ["json .a", ["ident:json", "field:.a"]],
    [".a | upper", ["field:.a", "pipe:|", "ident:upper"]],
    ["$k, $v := .m", ["variable:$k", "comma:,", "variable:$v", "declare::=", "field:.m"]],
    ['index . "k-1" 0', ["ident:index", "dot:.", 'string:"k-1"', "number:0"]],
    ["(len .a)", ["lparen:(", "ident:len", "field:.a", "rparen:)"]],
    ["-1.5e3 +2", ["number:-1.5e3", "number:+2"]],
  ];
  for (const [input, want] of rows) {
    test(`tokenizeAction cuts "${input}"`, () => assert.deepEqual(kinds(input), want));
  }

  test("tokenizeAction decodes string escapes and raw strings", () => {
    const values = tokenizeAction('"a\\tb\\u0041" `x\\n`', 0).map((t) => t.value);
    assert.deepEqual(values, ["a\tbA", "x\\n"]);
  });

  test("tokenizeAction reports offsets in the template", () => {
    assert.deepEqual(
      tokenizeAction(" .a  .b", 10).map((t) => t.offset),
      [11, 15],
    );
  });

  for (const [input, message] of [
    ["#", 'Template parsing error: unexpected "#" in action (at offset 0)'],
    ['"\\q"', 'Template parsing error: invalid string literal "\\q" (at offset 0)'],
  ]) {
    test(`tokenizeAction rejects "${input}"`, () => {
      assert.throws(() => tokenizeAction(input as string, 0), { message });
    });
  }
});
