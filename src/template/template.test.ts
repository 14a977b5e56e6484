import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ImageError } from "../errors.ts";
import { compileTemplate } from "./template.ts";

const ID = "e4db68de4ff27c2adfea0c54bbb73a61a42f5b667c326de4d7d5b19ab71c6a3b";
const DOC = {
  image: {
    id: ID,
    repo_tags: ["busybox:latest", "busybox:1.36"],
    repo_digests: [],
    size: 1372806,
    uid: { value: 0 },
    Spec: {
      os: "linux",
      config: { Env: ["PATH=/bin"], Entrypoint: null, Labels: { b: "2", a: "1" } },
      history: [{ created_by: "ADD" }, { created: "2019-06-15", created_by: "CMD" }],
    },
  },
};

const render = (format: string, data: unknown = DOC) => compileTemplate(format).execute(data);

describe("compileTemplate with iSulad's forms", () => {
  const rows: [string, string][] = [
    ["{{.image.id}}", `${ID}\n`],
    ["{{json .image.id}}", `"${ID}"\n`],
    ["  {{ json   .image.id }}  ", `"${ID}"\n`],
    ["{{.image.size}}", "1372806\n"],
    ["{{.image.uid.value}}", "0\n"],
    ["{{.image.repo_tags}}", "[\n    busybox:latest,\n    busybox:1.36\n]\n"],
    ["{{json .image.repo_tags}}", '[\n    "busybox:latest",\n    "busybox:1.36"\n]\n'],
    ["{{json .image.repo_digests}}", "[]\n"],
    ["{{.image.uid}}", '{\n    "value": 0\n}\n'],
    ["{{.image.Spec.config.Entrypoint}}", "null\n"],
    ["{{.image.Spec.history.created}}", "2019-06-15\n"],
    ["{{.image.Spec.history.created_by}}", "ADD\n"],
    ["{{.image.id}} {{.image.size}}", `${ID}\n1372806\n`],
    ["{{.image.id}}{{json .image.Spec.os}}\n", `${ID}\n"linux"\n`],
  ];
  for (const [format, want] of rows) {
    test(`compileTemplate("${format.trim()}") prints iSulad's output`, () => {
      const template = compileTemplate(format);
      assert.equal(template.isuladForm, true);
      assert.equal(template.execute(DOC), want);
    });
  }

  test("compileTemplate reports a missing key by the first path element in iSulad's form", () => {
    assert.throws(() => render("{{.image.nosuch}}"), {
      message: 'Executing "" at <.image.nosuch>: map has no entry for key "image"',
    });
  });

  test("compileTemplate is case-sensitive about keys", () => {
    assert.throws(() => render("{{.Image.id}}"), {
      message: 'Executing "" at <.Image.id>: map has no entry for key "Image"',
    });
  });

  test("compileTemplate fails when no array element resolves the rest of the path", () => {
    assert.throws(() => render("{{.image.Spec.history.author}}"), {
      message: 'Executing "" at <.image.Spec.history.author>: map has no entry for key "image"',
    });
  });
});

describe("compileTemplate with the full language", () => {
  const rows: [string, string, string, unknown?][] = [
    ["literal text", "id={{.image.id}} os={{.image.Spec.os}}", `id=${ID} os=linux\n`],
    ["text only", "hello", "hello\n"],
    ["the dot", "{{.}}", "x\n", "x"],
    ["$ as the root", "{{range .image.repo_tags}}{{$.image.Spec.os}} {{end}}", "linux linux \n"],
    ["a pipeline into json", "{{.image.Spec.os | json}}", '"linux"\n'],
    ["json of the whole document", "{{json .}}", '{\n    "a": "x"\n}\n', { a: "x" }],
    [
      "range over an array",
      "{{range .image.repo_tags}}[{{.}}]{{end}}",
      "[busybox:latest][busybox:1.36]\n",
    ],
    [
      "range with index and element",
      "{{range $i, $t := .image.repo_tags}}{{$i}}:{{$t}} {{end}}",
      "0:busybox:latest 1:busybox:1.36 \n",
    ],
    [
      "range over an object in key order",
      "{{range $k, $v := .image.Spec.config.Labels}}{{$k}}={{$v}},{{end}}",
      "a=1,b=2,\n",
    ],
    ["range else on an empty array", "{{range .image.repo_digests}}x{{else}}none{{end}}", "none\n"],
    ["range over null", "{{range .image.Spec.config.Entrypoint}}x{{else}}empty{{end}}", "empty\n"],
    ["if true", "{{if .image.repo_tags}}tagged{{end}}", "tagged\n"],
    ["if false with else", "{{if .image.repo_digests}}d{{else}}no digests{{end}}", "no digests\n"],
    ["else if", "{{if .image.repo_digests}}a{{else if .image.uid}}b{{else}}c{{end}}", "b\n"],
    ["with changing the dot", "{{with .image.uid}}uid={{.value}}{{end}}", "uid=0\n"],
    ["with else on zero", "{{with .image.uid.value}}{{.}}{{else}}root{{end}}", "root\n"],
    ["a variable", "{{$os := .image.Spec.os}}{{upper $os}}", "LINUX\n"],
    [
      "trim markers",
      "{{- range .image.repo_tags }}\n  {{ . }}\n{{- end }}",
      "\n  busybox:latest\n  busybox:1.36\n",
    ],
    ["join", '{{join .image.repo_tags ", "}}', "busybox:latest, busybox:1.36\n"],
    ["len", "{{len .image.repo_tags}} {{len .image.id}} {{len .image.uid}}", "2 64 1\n"],
    [
      "index of an array and an object",
      '{{index .image.repo_tags 1}} {{index .image.Spec.config.Labels "a"}}',
      "busybox:1.36 1\n",
    ],
    ["index of a missing key", '{{index .image.Spec.config.Labels "zz"}}', "null\n"],
    ["upper and lower", '{{upper "abC"}} {{lower .image.Spec.os | upper}}', "ABC LINUX\n"],
    [
      "printf",
      '{{printf "%s has %d bytes" .image.Spec.os .image.size}}',
      "linux has 1372806 bytes\n",
    ],
    ["a parenthesised argument", '{{printf "%d" (len .image.repo_tags)}}', "2\n"],
    [
      "eq and ne",
      '{{if eq .image.Spec.os "linux" "windows"}}y{{end}}{{if ne 1 2}}z{{end}}',
      "yz\n",
    ],
    ["lt and gt", "{{if lt 1 2}}a{{end}}{{if gt .image.size 10}}b{{end}}", "ab\n"],
    ["not, and, or", '{{if not .image.repo_digests}}n{{end}}{{and 1 0}}{{or 0 "x"}}', "n0x\n"],
    ["literals", '{{"s"}} {{3}} {{true}} {{nil}}', "s 3 true null\n"],
    ["a comment", "a{{/* hidden */}}b", "ab\n"],
    [
      "a field on a missing array walk",
      '{{range .image.Spec.history}}{{index . "created_by"}} {{end}}',
      "ADD CMD \n",
    ],
  ];
  for (const [what, format, want, data = DOC] of rows) {
    test(`compileTemplate renders ${what}`, () => {
      const template = compileTemplate(format);
      assert.equal(template.isuladForm, false);
      assert.equal(template.execute(data), want);
    });
  }

  test("compileTemplate reports the missing key itself outside iSulad's form", () => {
    assert.throws(() => render("id={{.image.nosuch}}"), {
      message: 'Executing "" at <.image.nosuch>: map has no entry for key "nosuch"',
    });
  });

  test("compileTemplate reports a field of a scalar outside iSulad's form", () => {
    assert.throws(() => render("x{{.image.id.x}}"), {
      message: `Executing "" at <.image.id.x>: can't evaluate field x in type string`,
    });
  });

  test("a compiled template can run on several documents", () => {
    const template = compileTemplate("{{.n}}");
    assert.deepEqual([template.execute({ n: 1 }), template.execute({ n: 2 })], ["1\n", "2\n"]);
  });
});

describe("compileTemplate errors", () => {
  const compileErrors: [string, string][] = [
    ["{{json}}", 'Executing "" at <json>: wrong number of args for json: want 1 got 0.'],
    ["{{json .a .b}}", 'Executing "" at <json>: wrong number of args for json: want 1 got 2.'],
    ["{{.a | json .b}}", 'Executing "" at <json>: wrong number of args for json: want 1 got 2.'],
    [
      "{{printf}}",
      'Executing "" at <printf>: wrong number of args for printf: want at least 1 got 0.',
    ],
    ['{{printf "%s" len}}', 'Executing "" at <len>: wrong number of args for len: want 1 got 0.'],
    ["{{.image.id}", 'Unexpected "{" or "}" in operand, should be "{{ ... }}".'],
    ["{{.a}} {{.b", 'Unexpected "{" or "}" in operand, should be "{{ ... }}".'],
    ["{{foo .a}}", 'Template parsing error: function "foo" not defined (at offset 2)'],
    ["{{}}", "Template parsing error: missing value for command (at offset 2)"],
    ["{{.a .b}}", "Template parsing error: can't give argument to non-function .a (at offset 2)"],
    ["{{.a | .b}}", "Template parsing error: non-function .b in pipeline (at offset 2)"],
    ["{{.a |}}", "Template parsing error: missing command in pipeline (at offset 2)"],
    [
      "{{range .a}}x",
      "Template parsing error: unexpected end of template: missing {{end}} (at offset 13)",
    ],
    ["{{end}}", "Template parsing error: unexpected {{end}} (at offset 2)"],
    ["x{{else}}", "Template parsing error: unexpected {{else}} (at offset 3)"],
    [
      "{{if .a}}{{else}}{{else}}{{end}}",
      "Template parsing error: expected {{end}}, found {{else}} (at offset 19)",
    ],
    [
      "{{if .a}}{{else with .b}}{{end}}",
      'Template parsing error: unexpected "with" after else (at offset 16)',
    ],
    ["{{$a, $b := .x}}", "Template parsing error: too many variables declared (at offset 2)"],
    ["{{(len .a}}", 'Template parsing error: unclosed "(" (at offset 2)'],
    ["{{len .a)}}", 'Template parsing error: unexpected ")" (at offset 8)'],
  ];
  for (const [format, message] of compileErrors) {
    test(`compileTemplate rejects "${format}"`, () => {
      assert.throws(
        () => compileTemplate(format),
        (err: unknown) =>
          err instanceof ImageError && err.kind === "InvalidArgument" && err.message === message,
      );
    });
  }

  const runErrors: [string, unknown, string][] = [
    ["{{$x}}", {}, 'Executing "" at <$x>: undefined variable "$x"'],
    ["{{len .n}}", { n: 1 }, 'Executing "" at <len>: error calling len: len of type number'],
    [
      "{{index .a 3}}",
      { a: [1] },
      'Executing "" at <index>: error calling index: index out of range: 3',
    ],
    [
      '{{index .a "k"}}',
      { a: [1] },
      'Executing "" at <index>: error calling index: cannot index array with string',
    ],
    [
      "{{index .a 0}}",
      { a: "s" },
      `Executing "" at <index>: error calling index: can't index item of type string`,
    ],
    [
      '{{join .a ","}}',
      { a: "s" },
      'Executing "" at <join>: error calling join: cannot join a value of type string',
    ],
    ["{{range .a}}{{end}}", { a: 5 }, 'Executing "" at <.a>: range can\'t iterate over 5'],
    [
      "{{lt .a 1}}",
      { a: "s" },
      'Executing "" at <lt>: error calling lt: incompatible types for comparison: string and number',
    ],
  ];
  for (const [format, data, message] of runErrors) {
    test(`execute of "${format}" fails with "${message.slice(0, 50)}"`, () => {
      const template = compileTemplate(format);
      assert.throws(
        () => template.execute(data),
        (err: unknown) =>
          err instanceof ImageError && err.kind === "InvalidArgument" && err.message === message,
      );
    });
  }
});
