/**
 * iSulad's JSON printer (behaviour reference §3.2): 4-space indent, one member per line,
 * `"key": value`, `{}` and `[]` when empty, and iSulad's string escapes. Values are what
 * `JSON.parse` returns; anything else is a programming error (`Internal`).
 */
import { imageError } from "../errors.ts";

const INDENT = "    ";

/**
 * Pretty-prints `value` as iSulad does. `indent` is the nesting level the value sits at (each
 * level is 4 spaces): the first line is not indented, later lines are indented from that level.
 * `undefined` members of objects are left out; `undefined` elsewhere prints `null`.
 */
export function printJson(value: unknown, indent = 0): string {
  return printValue(value, indent, true);
}

/**
 * Prints a value the way iSulad prints a `{{.a.b}}` result (§3.3): a string bare, other scalars
 * as JSON, objects and arrays pretty-printed from indent 0 with string *values* unquoted and
 * unescaped (keys stay quoted). This is an iSulad quirk kept for compatibility.
 */
export function printPlain(value: unknown): string {
  return printValue(value, 0, false);
}

/**
 * The output of `isula inspect` without `-f`: the documents in one `[` ... `]` list, each
 * indented by 4 spaces, separated by `,\n`, ending with `\n]\n`; `[]\n` when there are none.
 */
export function formatInspectDocuments(docs: readonly unknown[]): string {
  if (docs.length === 0) return "[]\n";
  const items = docs.map((doc) => INDENT + printJson(doc, 1));
  return `[\n${items.join(",\n")}\n]\n`;
}

/**
 * A JSON string literal with iSulad's escapes: `\r \n \\ \" \f \b \t` as themselves, any other
 * character below 0x20 as `\u00XX` (upper-case hex); everything else, `/` and non-ASCII
 * included, passed through.
 */
export function quoteJsonString(s: string): string {
  let out = '"';
  for (const ch of s) {
    const escaped = ESCAPES[ch];
    if (escaped !== undefined) out += escaped;
    else if (ch.charCodeAt(0) < 0x20) {
      out += `\\u${ch.charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")}`;
    } else out += ch;
  }
  return `${out}"`;
}

const ESCAPES: Readonly<Record<string, string>> = {
  '"': '\\"',
  "\\": "\\\\",
  "\r": "\\r",
  "\n": "\\n",
  "\f": "\\f",
  "\b": "\\b",
  "\t": "\\t",
};

/**
 * A number as JSON text. Integers never use an exponent (`1e21` prints all its digits);
 * non-finite numbers, which JSON cannot hold, print `null`.
 */
export function formatNumber(n: number): string {
  if (!Number.isFinite(n)) return "null";
  if (Number.isInteger(n) && Math.abs(n) >= 1e21) return BigInt(n).toString();
  return String(n);
}

/** A JSON type name for messages: string, number, bool, null, array, object. */
export function typeName(v: unknown): string {
  if (v === null || v === undefined) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "boolean") return "bool";
  return typeof v;
}

function printValue(value: unknown, level: number, quote: boolean): string {
  if (value === null || value === undefined) return "null";
  switch (typeof value) {
    case "string":
      return quote ? quoteJsonString(value) : value;
    case "number":
      return formatNumber(value);
    case "bigint":
      return value.toString();
    case "boolean":
      return value ? "true" : "false";
    case "object":
      return Array.isArray(value)
        ? printArray(value, level, quote)
        : printObject(value as Record<string, unknown>, level, quote);
    default:
      throw imageError("Internal", `printing JSON: unsupported value of type ${typeof value}`);
  }
}

function printArray(items: readonly unknown[], level: number, quote: boolean): string {
  if (items.length === 0) return "[]";
  const pad = INDENT.repeat(level + 1);
  const lines = items.map((item) => pad + printValue(item, level + 1, quote));
  return `[\n${lines.join(",\n")}\n${INDENT.repeat(level)}]`;
}

function printObject(obj: Record<string, unknown>, level: number, quote: boolean): string {
  const entries = Object.entries(obj).filter(([, v]) => v !== undefined);
  if (entries.length === 0) return "{}";
  const pad = INDENT.repeat(level + 1);
  const lines = entries.map(
    ([key, v]) => `${pad}${quoteJsonString(key)}: ${printValue(v, level + 1, quote)}`,
  );
  return `{\n${lines.join(",\n")}\n${INDENT.repeat(level)}}`;
}
