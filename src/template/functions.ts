/**
 * The functions a template may call, with their argument counts (checked at parse time) and
 * Go-template truthiness. Values are JSON values: string, number, boolean, null, array, object.
 */
import { executeError } from "./ast.ts";
import { printJson, printPlain, typeName } from "./json-printer.ts";
import { formatPrintf } from "./printf.ts";

export interface Builtin {
  readonly minArgs: number;
  readonly maxArgs: number;
  /** Runs the function; throws `InvalidArgument` (`Executing "" at <name>: ...`) on bad input. */
  readonly call: (args: readonly unknown[]) => unknown;
}

const ANY = Number.POSITIVE_INFINITY;

/** Every function a template can name. `json` prints as iSulad's `{{json ...}}` does. */
export const BUILTINS: ReadonlyMap<string, Builtin> = new Map<string, Builtin>([
  ["json", fixed(1, ([v]) => printJson(v, 0))],
  ["index", { minArgs: 1, maxArgs: ANY, call: ([v, ...keys]) => indexValue(v, keys) }],
  ["len", fixed(1, ([v]) => lengthOf(v))],
  ["join", fixed(2, ([list, sep]) => joinValues(list, sep))],
  ["upper", fixed(1, ([v]) => printPlain(v).toUpperCase())],
  ["lower", fixed(1, ([v]) => printPlain(v).toLowerCase())],
  [
    "printf",
    { minArgs: 1, maxArgs: ANY, call: ([f, ...rest]) => formatPrintf(printPlain(f), rest) },
  ],
  ["not", fixed(1, ([v]) => !isTrue(v))],
  [
    "and",
    { minArgs: 1, maxArgs: ANY, call: (args) => args.find((v) => !isTrue(v)) ?? args.at(-1) },
  ],
  ["or", { minArgs: 1, maxArgs: ANY, call: (args) => args.find((v) => isTrue(v)) ?? args.at(-1) }],
  ["eq", { minArgs: 2, maxArgs: ANY, call: ([a, ...rest]) => rest.some((b) => equals(a, b)) }],
  ["ne", fixed(2, ([a, b]) => !equals(a, b))],
  ["lt", fixed(2, ([a, b]) => compare("lt", a, b) < 0)],
  ["le", fixed(2, ([a, b]) => compare("le", a, b) <= 0)],
  ["gt", fixed(2, ([a, b]) => compare("gt", a, b) > 0)],
  ["ge", fixed(2, ([a, b]) => compare("ge", a, b) >= 0)],
]);

function fixed(n: number, call: (args: readonly unknown[]) => unknown): Builtin {
  return { minArgs: n, maxArgs: n, call };
}

/**
 * Go-template truthiness: `false`, `0`, `null`, a missing value, and an empty string, array or
 * object are false; everything else is true.
 */
export function isTrue(v: unknown): boolean {
  if (v === null || v === undefined || v === false || v === 0 || v === "") return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === "object") return Object.keys(v).length > 0;
  return true;
}

function fail(name: string, detail: string): Error {
  return executeError(name, `error calling ${name}: ${detail}`);
}

/** `index x k1 k2 ...`: array elements by integer, object members by string; absent → null. */
function indexValue(v: unknown, keys: readonly unknown[]): unknown {
  let cur = v;
  for (const key of keys) {
    if (Array.isArray(cur)) {
      if (typeof key !== "number" || !Number.isInteger(key)) {
        throw fail("index", `cannot index array with ${typeName(key)}`);
      }
      if (key < 0 || key >= cur.length) throw fail("index", `index out of range: ${key}`);
      cur = cur[key];
    } else if (cur !== null && typeof cur === "object") {
      if (typeof key !== "string") throw fail("index", `cannot index object with ${typeName(key)}`);
      cur = Object.hasOwn(cur, key) ? (cur as Record<string, unknown>)[key] : null;
    } else {
      throw fail("index", `can't index item of type ${typeName(cur)}`);
    }
  }
  return cur;
}

/** Characters of a string (code points), elements of an array, members of an object. */
function lengthOf(v: unknown): number {
  if (typeof v === "string") return [...v].length;
  if (Array.isArray(v)) return v.length;
  if (v !== null && typeof v === "object") return Object.keys(v).length;
  throw fail("len", `len of type ${typeName(v)}`);
}

function joinValues(list: unknown, sep: unknown): string {
  if (!Array.isArray(list)) throw fail("join", `cannot join a value of type ${typeName(list)}`);
  if (typeof sep !== "string") throw fail("join", "the separator must be a string");
  return list.map((item) => printPlain(item)).join(sep);
}

function equals(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  return printJson(a) === printJson(b);
}

function compare(name: string, a: unknown, b: unknown): number {
  const comparable =
    (typeof a === "number" && typeof b === "number") ||
    (typeof a === "string" && typeof b === "string");
  if (!comparable) {
    throw fail(name, `incompatible types for comparison: ${typeName(a)} and ${typeName(b)}`);
  }
  return a < b ? -1 : a > b ? 1 : 0;
}
