/**
 * A Go-like `printf` for templates. Verbs: `%s` and `%v` (the value as a template prints it),
 * `%d` (an integer), `%f` (a number, precision 6 unless given), `%q` (a quoted string), `%x`
 * (hex of an integer or of a string's UTF-8 bytes), `%%`. Flags `-` (pad right) and `0` (pad
 * with zeros), a width and a `.precision` are accepted. Problems print inline as Go does:
 * `%!d(string=abc)`, `%!s(MISSING)`, `%!(EXTRA number=1)`, and never throw.
 */
import { printPlain, quoteJsonString, typeName } from "./json-printer.ts";

const VERB_RE = /%([-0+ #]*)(\d+)?(?:\.(\d+))?(.?)/g;

/** Formats `args` by `format`; see the file comment for the verbs. */
export function formatPrintf(format: string, args: readonly unknown[]): string {
  let next = 0;
  const out = format.replace(
    VERB_RE,
    (_whole, flags: string, width?: string, prec?: string, verb = "") => {
      if (verb === "%") return "%";
      if (verb === "") return "%!(NOVERB)";
      if (next >= args.length) return `%!${verb}(MISSING)`;
      const arg = args[next++];
      const text = formatOne(verb, arg, prec === undefined ? undefined : Number(prec));
      return pad(text, flags, width === undefined ? 0 : Number(width), verb);
    },
  );
  if (next >= args.length) return out;
  const extra = args.slice(next).map((a) => `${typeName(a)}=${printPlain(a)}`);
  return `${out}%!(EXTRA ${extra.join(", ")})`;
}

function formatOne(verb: string, arg: unknown, prec: number | undefined): string {
  switch (verb) {
    case "s":
    case "v": {
      const text = printPlain(arg);
      return prec === undefined ? text : [...text].slice(0, prec).join("");
    }
    case "d":
      return typeof arg === "number" && Number.isInteger(arg) ? printPlain(arg) : bad(verb, arg);
    case "f":
      return typeof arg === "number" ? arg.toFixed(prec ?? 6) : bad(verb, arg);
    case "q":
      return typeof arg === "string" ? quoteJsonString(arg) : bad(verb, arg);
    case "x":
      if (typeof arg === "number" && Number.isInteger(arg)) return arg.toString(16);
      if (typeof arg === "string") return Buffer.from(arg, "utf8").toString("hex");
      return bad(verb, arg);
    default:
      return bad(verb, arg);
  }
}

function bad(verb: string, arg: unknown): string {
  return `%!${verb}(${typeName(arg)}=${printPlain(arg)})`;
}

function pad(text: string, flags: string, width: number, verb: string): string {
  const fill = width - [...text].length;
  if (fill <= 0) return text;
  if (flags.includes("-")) return text + " ".repeat(fill);
  if (flags.includes("0") && "dfx".includes(verb)) {
    const sign = text.startsWith("-") ? "-" : "";
    return sign + "0".repeat(fill) + text.slice(sign.length);
  }
  return " ".repeat(fill) + text;
}
