/**
 * Property-based tests of the `--format` template language (issue #6): arbitrary templates and
 * documents never crash with anything but an `InvalidArgument` `ImageError`, and field access
 * agrees with a plain model of the document on generated JSON.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { ImageError } from "../errors.ts";
import { compileTemplate } from "./template.ts";

const key = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,6}$/);
const plainString = fc.stringMatching(/^[A-Za-z0-9 ,.:/_-]{0,20}$/);
const scalar = fc.oneof(plainString, fc.integer(), fc.boolean(), fc.constant(null));

/** A JSON document: objects with identifier keys, arrays, and scalars. */
const { doc } = fc.letrec<{ doc: unknown }>((tie) => ({
  doc: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    scalar,
    fc.array(tie("doc"), { maxLength: 4 }),
    fc.dictionary(key, tie("doc"), { maxKeys: 5 }),
  ),
}));
const objectDoc = fc.dictionary(key, doc, { minKeys: 1, maxKeys: 6 });

/** Every path through objects only, with the value at its end. */
function paths(v: unknown, prefix: string[] = []): Array<{ path: string[]; value: unknown }> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return [];
  return Object.entries(v).flatMap(([k, x]) => [
    { path: [...prefix, k], value: x },
    ...paths(x, [...prefix, k]),
  ]);
}

/** Only `InvalidArgument` may escape. */
function refusedCleanly(run: () => unknown): void {
  try {
    run();
  } catch (err) {
    if (!(err instanceof ImageError)) throw err;
    assert.equal(err.kind, "InvalidArgument", err.message);
  }
}

/** Template soup: pieces of the language's syntax in any order. */
const piece = fc.oneof(
  fc.constantFrom(
    "{{",
    "}}",
    "{{-",
    "-}}",
    "{{.",
    ".a",
    ".a.b",
    "$",
    "$x := ",
    " | ",
    "json",
    "index",
    "len",
    "join",
    "upper",
    "printf",
    '"%s %d %v %q"',
    "if",
    "else",
    "end",
    "range",
    "with",
    "(",
    ")",
    '"',
    "`",
    "/*",
    "*/",
    " ",
    "eq",
    "lt",
    "and",
    "not",
    "nil",
    "true",
    "1.5",
    "-3",
  ),
  fc.string({ maxLength: 4 }),
);
const soup = fc.array(piece, { maxLength: 14 }).map((p) => p.join(""));

describe("the template language, property-based", () => {
  it("never crashes with anything but InvalidArgument on arbitrary templates and documents", () => {
    fc.assert(
      fc.property(fc.oneof(soup, fc.string({ maxLength: 40 })), doc, (source, data) => {
        refusedCleanly(() => compileTemplate(source).execute(data));
      }),
      { numRuns: 3000 },
    );
  });

  it("{{.a.b}} prints what the model finds at a.b", () => {
    fc.assert(
      fc.property(
        objectDoc.chain((d) => {
          const found = paths(d).filter((p) => typeof p.value !== "object" || p.value === null);
          return found.length === 0
            ? fc.constant(undefined)
            : fc.constantFrom(...found).map((p) => ({ d, ...p }));
        }),
        (c) => {
          fc.pre(c !== undefined);
          const { d, path, value } = c as { d: unknown; path: string[]; value: unknown };
          const field = `.${path.join(".")}`;
          const plain = value === null ? "null" : String(value);
          assert.equal(compileTemplate(`{{${field}}}`).execute(d), `${plain}\n`);
          assert.equal(
            compileTemplate(`{{json ${field}}}`).execute(d),
            `${JSON.stringify(value)}\n`,
          );
          const indexArgs = path.map((k) => JSON.stringify(k)).join(" ");
          assert.equal(compileTemplate(`<{{index . ${indexArgs}}}>`).execute(d), `<${plain}>\n`);
        },
      ),
      { numRuns: 500 },
    );
  });

  it("{{len .a}} is the model's length of an array or an object", () => {
    fc.assert(
      fc.property(objectDoc, (d) => {
        for (const { path, value } of paths(d)) {
          if (typeof value !== "object" || value === null) continue;
          const want = Array.isArray(value) ? value.length : Object.keys(value).length;
          assert.equal(compileTemplate(`{{len .${path.join(".")}}}`).execute(d), `${want}\n`);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("formats nested deeper than 100 are refused, not a stack overflow", () => {
    fc.assert(
      fc.property(fc.integer({ min: 101, max: 20_000 }), fc.boolean(), (n, parens) => {
        const source = parens
          ? `{{${"(".repeat(n)}1${")".repeat(n)}}}`
          : `${"{{if 1}}".repeat(n)}x${"{{end}}".repeat(n)}`;
        assert.throws(() => compileTemplate(source), /nested deeper than 100/);
      }),
      { numRuns: 20 },
    );
  });

  it("a key the document lacks is an error naming it", () => {
    fc.assert(
      fc.property(objectDoc, key, (d, k) => {
        fc.pre(!(k in (d as object)));
        assert.throws(
          () => compileTemplate(`{{.${k}}}`).execute(d),
          (err: unknown) =>
            err instanceof ImageError &&
            err.kind === "InvalidArgument" &&
            err.message.includes(`map has no entry for key "${k}"`),
        );
      }),
      { numRuns: 300 },
    );
  });
});
