/**
 * Lexing of `--format` templates in two steps: `splitTemplate` cuts the source into literal text
 * and `{{ ... }}` actions (applying the `{{- ` / ` -}}` trim markers and dropping comment
 * actions, whose inside starts with `/*` and ends with `*` `/`), and `tokenizeAction` cuts one action into tokens.
 */

import { imageError } from "../errors.ts";
import { parseError, UNBALANCED_BRACES_MESSAGE } from "./ast.ts";

/** Literal text, or the inside of one action with its offset in the template source. */
export type Piece =
  | { readonly kind: "text"; readonly text: string }
  | { readonly kind: "action"; readonly source: string; readonly offset: number };

export type TokenKind =
  | "field" // .a.b
  | "dot" // .
  | "variable" // $ $x $.a $x.a
  | "ident" // json if end true
  | "string"
  | "number"
  | "pipe"
  | "lparen"
  | "rparen"
  | "declare" // :=
  | "comma";

export interface Token {
  readonly kind: TokenKind;
  /** The source text of the token. */
  readonly text: string;
  /** Offset in the template source. */
  readonly offset: number;
  /** The decoded value of a string or number literal. */
  readonly value?: string | number;
}

const SPACE_RE = /[ \t\r\n]/;
const LEADING_SPACE_RE = /^[ \t\r\n]+/;
const TRAILING_SPACE_RE = /[ \t\r\n]+$/;
const WORD_RE = /^[\p{L}\p{N}_]+/u;
const FIELD_RE = /^(?:\.[\p{L}\p{N}_]+)+/u;
const NUMBER_RE = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/;

/**
 * Splits a template into text and actions. Throws `InvalidArgument` with iSulad's
 * `Unexpected "{" or "}" in operand, ...` text when an action is not closed or holds a brace
 * outside a string literal; a `}}` in literal text is kept as text, as Go templates do.
 */
export function splitTemplate(src: string): Piece[] {
  const pieces: Piece[] = [];
  let i = 0;
  let trimNext = false;
  while (i <= src.length) {
    const open = src.indexOf("{{", i);
    let text = src.slice(i, open < 0 ? undefined : open);
    if (trimNext) text = text.replace(LEADING_SPACE_RE, "");
    if (open < 0) {
      if (text) pieces.push({ kind: "text", text });
      break;
    }

    let start = open + 2;
    if (src[start] === "-" && SPACE_RE.test(src[start + 1] ?? "")) {
      text = text.replace(TRAILING_SPACE_RE, "");
      start += 1;
    }
    if (text) pieces.push({ kind: "text", text });

    const close = findClose(src, start);
    let source = src.slice(start, close);
    trimNext = /[ \t\r\n]-$/.test(source);
    if (trimNext) source = source.slice(0, -1);
    if (!/^\s*\/\*[\s\S]*\*\/\s*$/.test(source))
      pieces.push({ kind: "action", source, offset: start });
    i = close + 2;
  }
  return pieces;
}

/** Index of the `}}` closing the action that starts at `from`, skipping string literals. */
function findClose(src: string, from: number): number {
  for (let j = from; j < src.length; j++) {
    const ch = src[j];
    if (ch === '"' || ch === "`") j = skipString(src, j);
    else if (ch === "}" && src[j + 1] === "}") return j;
    else if (ch === "{" || ch === "}") break;
  }
  throw imageError("InvalidArgument", UNBALANCED_BRACES_MESSAGE);
}

/** Index of the quote closing the string literal that opens at `start`. */
function skipString(src: string, start: number): number {
  const quote = src[start];
  for (let j = start + 1; j < src.length; j++) {
    if (quote === '"' && src[j] === "\\") j++;
    else if (src[j] === quote) return j;
  }
  throw parseError("unterminated string literal", start);
}

/** Cuts the inside of one action into tokens; `offset` is where it starts in the template. */
export function tokenizeAction(source: string, offset: number): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const rest = source.slice(i);
    const at = offset + i;
    const ch = rest[0] ?? "";
    if (SPACE_RE.test(ch)) {
      i++;
      continue;
    }
    const token = scanToken(rest, at);
    tokens.push(token);
    i += token.text.length;
  }
  return tokens;
}

const PUNCTUATION: Readonly<Record<string, TokenKind>> = {
  "|": "pipe",
  "(": "lparen",
  ")": "rparen",
  ",": "comma",
  ":=": "declare",
};

function scanToken(rest: string, at: number): Token {
  const two = rest.slice(0, 2);
  const one = rest.slice(0, 1);
  const punct = PUNCTUATION[two] ?? PUNCTUATION[one];
  if (punct !== undefined)
    return { kind: punct, text: punct === "declare" ? two : one, offset: at };

  if (one === '"' || one === "`") {
    const end = skipString(rest, 0);
    const text = rest.slice(0, end + 1);
    return { kind: "string", text, offset: at, value: decodeString(text, at) };
  }
  const field = FIELD_RE.exec(rest);
  if (field) return { kind: "field", text: field[0], offset: at };
  const number = NUMBER_RE.exec(rest);
  if (number) return { kind: "number", text: number[0], offset: at, value: Number(number[0]) };
  if (one === ".") return { kind: "dot", text: ".", offset: at };
  if (one === "$") {
    const name = WORD_RE.exec(rest.slice(1))?.[0] ?? "";
    const path = FIELD_RE.exec(rest.slice(1 + name.length))?.[0] ?? "";
    return { kind: "variable", text: `$${name}${path}`, offset: at };
  }
  const word = WORD_RE.exec(rest);
  if (word) return { kind: "ident", text: word[0], offset: at };
  throw parseError(`unexpected "${one}" in action`, at);
}

function decodeString(text: string, at: number): string {
  if (text.startsWith("`")) return text.slice(1, -1);
  try {
    return JSON.parse(text) as string;
  } catch (err) {
    if (err instanceof SyntaxError) throw parseError(`invalid string literal ${text}`, at);
    throw err;
  }
}
