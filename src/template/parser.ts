/**
 * Recursive-descent parser from lexer pieces to the template tree in `ast.ts`. Function names
 * and their argument counts are checked here, so a wrong template fails before any output.
 */
import {
  arityError,
  type Command,
  type Node,
  type Operand,
  type Pipeline,
  parseError,
} from "./ast.ts";
import { BUILTINS } from "./functions.ts";
import { type Piece, splitTemplate, type Token, tokenizeAction } from "./lexer.ts";

/** Parses a whole template. Throws `InvalidArgument` with a user-facing message. */
export function parseTemplate(src: string): Node[] {
  const parser = new Parser(splitTemplate(src), src.length);
  return parser.parseList(false).nodes;
}

interface ListEnd {
  nodes: Node[];
  end: "end" | "else" | "eof";
  /** Tokens after `else` (`if .x` in `{{else if .x}}`). */
  rest: Token[];
  offset: number;
}

/**
 * Deepest nesting of blocks (`if`, `else if`, `with`, `range`) and of parentheses. Parsing and
 * evaluating recurse, so a format nested some thousands deep would overflow the stack.
 */
const MAX_NESTING = 100;

class Parser {
  #i = 0;
  #depth = 0;
  readonly #pieces: readonly Piece[];
  readonly #length: number;

  constructor(pieces: readonly Piece[], length: number) {
    this.#pieces = pieces;
    this.#length = length;
  }

  parseList(inBlock: boolean): ListEnd {
    const nodes: Node[] = [];
    while (this.#i < this.#pieces.length) {
      const piece = this.#pieces[this.#i++] as Piece;
      if (piece.kind === "text") {
        nodes.push({ kind: "text", text: piece.text });
        continue;
      }
      const tokens = tokenizeAction(piece.source, piece.offset);
      const head = tokens[0];
      if (head === undefined) throw parseError("missing value for command", piece.offset);
      const keyword = head.kind === "ident" ? head.text : "";
      if (keyword === "end" || keyword === "else") {
        if (!inBlock) throw parseError(`unexpected {{${keyword}}}`, head.offset);
        if (keyword === "end" && tokens.length > 1) {
          throw parseError("unexpected words after end", head.offset);
        }
        return { nodes, end: keyword, rest: tokens.slice(1), offset: head.offset };
      }
      if (keyword === "if" || keyword === "with" || keyword === "range") {
        nodes.push(this.#parseBlock(keyword, tokens.slice(1), head.offset));
      } else {
        nodes.push({ kind: "output", pipe: parsePipeline(tokens, 1, piece.offset) });
      }
    }
    if (inBlock) throw parseError("unexpected end of template: missing {{end}}", this.#length);
    return { nodes, end: "eof", rest: [], offset: this.#length };
  }

  #parseBlock(kind: "if" | "with" | "range", tokens: Token[], offset: number): Node {
    if (++this.#depth > MAX_NESTING)
      throw parseError(`blocks nested deeper than ${MAX_NESTING}`, offset);
    const pipe = parsePipeline(tokens, kind === "range" ? 2 : 1, offset);
    const body = this.parseList(true);
    let otherwise: Node[] = [];
    if (body.end === "else") {
      const [next, ...rest] = body.rest;
      if (next !== undefined && kind !== "range" && next.kind === "ident" && next.text === kind) {
        otherwise = [this.#parseBlock(kind, rest, next.offset)];
      } else if (next !== undefined) {
        throw parseError(`unexpected "${next.text}" after else`, next.offset);
      } else {
        const tail = this.parseList(true);
        if (tail.end !== "end") throw parseError("expected {{end}}, found {{else}}", tail.offset);
        otherwise = tail.nodes;
      }
    }
    this.#depth--;
    return { kind, pipe, body: body.nodes, otherwise };
  }
}

/**
 * Parses `[$a[, $b] :=] cmd | cmd ...`; `maxDecl` is how many variables may be declared here
 * (two only in `range`).
 */
function parsePipeline(tokens: Token[], maxDecl: number, offset: number): Pipeline {
  const source = tokens.map((t) => t.text).join(" ");
  const decl: string[] = [];
  let i = 0;
  while (tokens[i]?.kind === "variable" && !tokens[i]?.text.includes(".")) {
    const sep = tokens[i + 1]?.kind;
    if (sep !== "declare" && sep !== "comma") break;
    decl.push(tokens[i]?.text as string);
    i += 2;
    if (sep === "declare") break;
  }
  if (decl.length > 0 && tokens[i - 1]?.kind !== "declare") {
    throw parseError("expected := after variable", tokens[i - 1]?.offset ?? offset);
  }
  if (decl.length > maxDecl) throw parseError("too many variables declared", offset);

  const stages = splitStages(tokens.slice(i), offset);
  const commands = stages.map((stage, n) => parseCommand(stage, n > 0, offset));
  return { source, decl, commands };
}

/** Splits tokens at top-level `|`. */
function splitStages(tokens: Token[], offset: number): Token[][] {
  const stages: Token[][] = [[]];
  let depth = 0;
  for (const token of tokens) {
    if (token.kind === "lparen") depth++;
    if (token.kind === "rparen") depth--;
    if (depth < 0) throw parseError('unexpected ")"', token.offset);
    if (depth > MAX_NESTING)
      throw parseError(`parentheses nested deeper than ${MAX_NESTING}`, token.offset);
    if (token.kind === "pipe" && depth === 0) stages.push([]);
    else stages[stages.length - 1]?.push(token);
  }
  if (depth > 0) throw parseError('unclosed "("', offset);
  for (const stage of stages) {
    if (stage.length === 0) throw parseError("missing command in pipeline", offset);
  }
  return stages;
}

function parseCommand(tokens: Token[], piped: boolean, offset: number): Command {
  const args: Operand[] = [];
  for (let i = 0; i < tokens.length; ) {
    const [operand, used] = parseOperand(tokens, i);
    args.push(operand);
    i += used;
  }
  const source = tokens.map((t) => t.text).join(" ");
  for (const arg of args.slice(1)) if (arg.kind === "function") checkArity(arg.name, 0);
  const head = args[0] as Operand;
  if (head.kind === "function") {
    checkArity(head.name, args.length - 1 + (piped ? 1 : 0));
  } else if (args.length > 1) {
    throw parseError(`can't give argument to non-function ${head.text}`, offset);
  } else if (piped) {
    throw parseError(`non-function ${head.text} in pipeline`, offset);
  }
  return { source, args };
}

function parseOperand(tokens: Token[], i: number): [Operand, number] {
  const t = tokens[i] as Token;
  switch (t.kind) {
    case "field":
      return [{ kind: "field", text: t.text, base: ".", path: t.text.slice(1).split(".") }, 1];
    case "dot":
      return [{ kind: "field", text: ".", base: ".", path: [] }, 1];
    case "variable": {
      const [base = "$", ...path] = t.text.split(".");
      return [{ kind: "field", text: t.text, base, path }, 1];
    }
    case "string":
    case "number":
      return [{ kind: "literal", text: t.text, value: t.value ?? null }, 1];
    case "ident":
      return [identOperand(t), 1];
    case "lparen":
      return parseGroup(tokens, i);
    default:
      throw parseError(`unexpected "${t.text}" in operand`, t.offset);
  }
}

function identOperand(t: Token): Operand {
  if (t.text === "true" || t.text === "false") {
    return { kind: "literal", text: t.text, value: t.text === "true" };
  }
  if (t.text === "nil") return { kind: "literal", text: t.text, value: null };
  if (!BUILTINS.has(t.text)) throw parseError(`function "${t.text}" not defined`, t.offset);
  return { kind: "function", text: t.text, name: t.text };
}

/** `( pipeline )` starting at tokens[i]; returns the operand and the tokens it used. */
function parseGroup(tokens: Token[], i: number): [Operand, number] {
  let depth = 0;
  for (let j = i; j < tokens.length; j++) {
    const kind = tokens[j]?.kind;
    if (kind === "lparen") depth++;
    if (kind === "rparen" && --depth === 0) {
      const inner = tokens.slice(i + 1, j);
      const offset = tokens[i]?.offset ?? 0;
      const pipe = parsePipeline(inner, 0, offset);
      return [{ kind: "pipeline", text: `(${pipe.source})`, pipe }, j - i + 1];
    }
  }
  throw parseError('unclosed "("', tokens[i]?.offset ?? 0);
}

function checkArity(name: string, got: number): void {
  const fn = BUILTINS.get(name);
  if (fn === undefined || (got >= fn.minArgs && got <= fn.maxArgs)) return;
  let want = `${fn.minArgs} to ${fn.maxArgs}`;
  if (fn.minArgs === fn.maxArgs) want = `${fn.minArgs}`;
  else if (fn.maxArgs === Number.POSITIVE_INFINITY) want = `at least ${fn.minArgs}`;
  throw arityError(name, want, got);
}
