import { compileTemplate, type Template } from "../template/template.ts";
import { alignTabs } from "./tab-writer.ts";

/**
 * A `--format` value as Docker's CLI reads it: a leading `table` asks for a header row and
 * aligned columns (`table` alone: the command's default columns); the rest is a template of
 * src/template rendered once per row, each row followed by a newline.
 */
export interface RowFormat {
  readonly table: boolean;
  readonly template: Template;
}

/**
 * Compiles a `--format` value. `escapes`: `\t` and `\n` written as two characters become a tab
 * and a newline, as Docker does for list commands (shells rarely pass real tabs). Throws the
 * template's `InvalidArgument` (its message is the user-facing line).
 */
export function compileRowFormat(
  source: string,
  opts: { defaultTable: string; escapes: boolean },
): RowFormat {
  const table = source.startsWith("table");
  let body = table ? source.slice("table".length).replace(/^ +| +$/g, "") : source;
  if (table && body === "") body = opts.defaultTable;
  if (opts.escapes) body = body.replaceAll("\\t", "\t").replaceAll("\\n", "\n");
  return { table, template: compileTemplate(body, { isuladForm: !table && !opts.escapes }) };
}

/**
 * Renders `rows`; a table gets its header row first, made by rendering the template over
 * `header` (the row shape with each field replaced by its column title), and its columns
 * aligned as Docker aligns them. The header is printed even when there are no rows. Throws the
 * template's `InvalidArgument` when a row does not fit the template.
 */
export function renderRows(format: RowFormat, rows: readonly unknown[], header: unknown): string {
  let text = format.table ? format.template.execute(header) : "";
  for (const row of rows) text += format.template.execute(row);
  return format.table ? alignTabs(text) : text;
}

/**
 * The column title Docker would give a field name: words split at `_`, `-`, `.` and lower-to-
 * upper case changes, upper-cased and joined by spaces (`repo_tags` → `REPO TAGS`,
 * `CreatedAt` → `CREATED AT`, `id` → `ID`).
 */
export function columnTitle(key: string): string {
  return key
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .split(/[\s_.-]+/)
    .filter((w) => w !== "")
    .join(" ")
    .toUpperCase();
}

/**
 * A header document for a table over JSON documents shaped like `sample` (the first one):
 * every object keeps its keys, every scalar becomes its key's column title, and every array a
 * one-element array of it, so `{{.image.id}}`, `{{index .image.repo_tags 0}}`,
 * `{{join .image.repo_tags ","}}` and `{{range}}` all print the title.
 */
export function headerDocument(sample: unknown, key = ""): unknown {
  if (Array.isArray(sample)) return [columnTitle(key)];
  if (sample !== null && typeof sample === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(sample)) out[k] = headerDocument(v, k);
    return out;
  }
  return columnTitle(key);
}
