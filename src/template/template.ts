/**
 * The `-f` / `--format` template language of `isula inspect`: a superset of iSulad's two forms
 * `{{.a.b}}` and `{{json .a.b}}` with Go-template syntax (literal text, fields, `$`, pipelines,
 * `if` / `with` / `range` / `else` / `end`, variables, trim markers, functions `json`, `index`,
 * `len`, `join`, `upper`, `lower`, `printf`, `not`, `and`, `or`, `eq`, `ne`, `lt`, `le`, `gt`,
 * `ge`).
 *
 * Output, per document:
 * - When the whole format is iSulad's form only — one or more `{{.a.b}}` / `{{json .a.b}}`
 *   actions with nothing but whitespace between them — each action's result is printed on its
 *   own line and the whitespace is dropped. This is what iSulad does (it splits the format after
 *   every `}}`), so `'{{.image.id}} {{.image.size}}'` prints two lines.
 * - Otherwise the template renders as a whole, text included, followed by one newline, as
 *   Docker does.
 */
import type { Node } from "./ast.ts";
import { renderNodes } from "./evaluate.ts";
import { parseTemplate } from "./parser.ts";

/** iSulad's accepted format (§3.3), repeated: `{{ [json ].word.word }}` with spaces between. */
const ISULAD_FORM_RE = /^\s*(?:\{\{\s*(?:json\s+)?(?:\.\w+)+\s*\}\}\s*)+$/;

/** A compiled format, reusable for any number of documents. Safe to share. */
export interface Template {
  /** The format as given. */
  readonly source: string;
  /** True when the format is iSulad's form only and prints one line per action. */
  readonly isuladForm: boolean;
  /**
   * Renders one inspect document (a value from `JSON.parse`) and returns the text to write to
   * stdout for it, final newline included.
   *
   * Throws `InvalidArgument` whose message is the user-facing line, printed verbatim, e.g.
   * `Executing "" at <.image.nosuch>: map has no entry for key "image"`.
   */
  execute(data: unknown): string;
}

/**
 * Compiles a `--format` string. Throws `InvalidArgument` whose message is the user-facing
 * line, printed verbatim by the CLI:
 * - `Unexpected "{" or "}" in operand, should be "{{ ... }}".` for an unclosed action or a
 *   stray brace inside one;
 * - `Executing "" at <json>: wrong number of args for json: want 1 got 0.` (and the same form
 *   for any function given the wrong number of arguments);
 * - `Template parsing error: <detail> (at offset <n>)` for any other syntax error.
 *
 * `isuladForm: false` renders every format as a whole (Docker's rule), for `images --format`
 * and table formats, where `{{.ID}} {{.Tag}}` is one line.
 */
export function compileTemplate(source: string, opts: { isuladForm?: boolean } = {}): Template {
  const nodes = parseTemplate(source);
  const isuladForm = opts.isuladForm !== false && ISULAD_FORM_RE.test(source);
  return new CompiledTemplate(source, nodes, isuladForm);
}

class CompiledTemplate implements Template {
  readonly source: string;
  readonly isuladForm: boolean;
  readonly #nodes: readonly Node[];

  constructor(source: string, nodes: readonly Node[], isuladForm: boolean) {
    this.source = source;
    this.isuladForm = isuladForm;
    this.#nodes = nodes;
  }

  execute(data: unknown): string {
    const text = renderNodes(this.#nodes, data, { isuladForm: this.isuladForm });
    return this.isuladForm ? text : `${text}\n`;
  }
}
