/**
 * The parsed form of a `--format` template, and the two error shapes users see. Error messages
 * here are user-facing and printed verbatim by the CLI, so they follow iSulad's wording (a
 * capital letter, sometimes a trailing period) rather than this project's lowercase fragments.
 */
import { type ImageError, imageError } from "../errors.ts";

/** One node of a template body. */
export type Node =
  | { readonly kind: "text"; readonly text: string }
  | { readonly kind: "output"; readonly pipe: Pipeline }
  | {
      readonly kind: "if" | "with" | "range";
      readonly pipe: Pipeline;
      readonly body: readonly Node[];
      readonly otherwise: readonly Node[];
    };

/** `[$a[, $b] :=] command | command ...`: declared variables, then the commands in order. */
export interface Pipeline {
  readonly source: string;
  readonly decl: readonly string[];
  readonly commands: readonly Command[];
}

/** A function call (`printf "%s" .a`) or a single operand (`.a.b`). */
export interface Command {
  readonly source: string;
  readonly args: readonly Operand[];
}

/** An argument or the head of a command. */
export type Operand =
  /** `.a.b` (base `.`), `$` / `$.a` (base `$`), `$x.a` (base `$x`); `.` alone has an empty path. */
  | {
      readonly kind: "field";
      readonly text: string;
      readonly base: string;
      readonly path: readonly string[];
    }
  | {
      readonly kind: "literal";
      readonly text: string;
      readonly value: string | number | boolean | null;
    }
  | { readonly kind: "function"; readonly text: string; readonly name: string }
  | { readonly kind: "pipeline"; readonly text: string; readonly pipe: Pipeline };

/** iSulad's message for an action that is not closed or holds a stray brace. */
export const UNBALANCED_BRACES_MESSAGE = `Unexpected "{" or "}" in operand, should be "{{ ... }}".`;

/**
 * A template that cannot be parsed. `detail` says what is wrong, `offset` is the 0-based
 * position in the template source: `Template parsing error: <detail> (at offset <n>)`.
 */
export function parseError(detail: string, offset: number): ImageError {
  return imageError("InvalidArgument", `Template parsing error: ${detail} (at offset ${offset})`);
}

/**
 * A failure while executing a template, in iSulad's form:
 * `Executing "" at <.image.nosuch>: map has no entry for key "image"`.
 */
export function executeError(at: string, detail: string): ImageError {
  return imageError("InvalidArgument", `Executing "" at <${at}>: ${detail}`);
}

/** iSulad's text for a function given the wrong number of arguments (note the final period). */
export function arityError(name: string, want: string, got: number): ImageError {
  return executeError(name, `wrong number of args for ${name}: want ${want} got ${got}.`);
}
