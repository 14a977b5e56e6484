import { ImageError } from "../errors.ts";
import { formatInspectDocuments } from "../template/json-printer.ts";
import { compileTemplate, type Template } from "../template/template.ts";
import { compileRowFormat, headerDocument, type RowFormat } from "./format-option.ts";
import { type CommandContext, EXIT_FAILURE, EXIT_USAGE, reportError } from "./output.ts";
import { type ParsedArgs, stringOption } from "./parser.ts";
import { MAX_CLIENT_ARGS } from "./rmi-command.ts";
import { alignTabs } from "./tab-writer.ts";

/**
 * `isula inspect [-f FORMAT] [-t N] NAME...`. Names are inspected in order and output is held
 * back until all succeed: the first failure prints the error, then
 * `Inspect error: No such object:<name>`, and exits 1 with nothing on stdout. Without `-f` the
 * documents print as iSulad's pretty-printed list; with `-f` the template (compiled once) is
 * rendered per document, each result ending with a newline. Template errors print verbatim
 * (exit 1); an empty format is a usage error (125). `-t` is accepted and unused: it only
 * matters for containers. A format starting with `table` prints a header row (each field's
 * key as a column title, see `headerDocument`) and aligns tab-separated columns as Docker does.
 */
export async function runInspect(parsed: ParsedArgs, ctx: CommandContext): Promise<number> {
  const names = parsed.args;
  if (names.length === 0)
    return fail(ctx, `"inspect" requires a minimum of 1 argument.`, EXIT_USAGE);
  if (names.length >= MAX_CLIENT_ARGS)
    return fail(ctx, "You specify too many arguments.", EXIT_USAGE);

  const format = stringOption(parsed, "format");
  let template: Template | undefined;
  let table: RowFormat | undefined;
  if (format !== undefined) {
    if (format.trim() === "" || format.trim() === "table")
      return fail(ctx, `Inspect format parameter invalid: ${format}`, EXIT_USAGE);
    try {
      if (format.startsWith("table")) {
        table = compileRowFormat(format, { defaultTable: "", escapes: true });
        template = table.template;
      } else template = compileTemplate(format);
    } catch (err) {
      return failTemplate(ctx, err);
    }
  }

  const docs: unknown[] = [];
  let text = "";
  for (const name of names) {
    let doc: unknown;
    try {
      doc = await ctx.service.inspect(name);
    } catch (err) {
      reportError(ctx.io, err, ctx.debug);
      return noSuchObject(ctx, name);
    }
    if (template === undefined) {
      docs.push(doc);
      continue;
    }
    try {
      if (table !== undefined && text === "") text = template.execute(headerDocument(doc));
      text += template.execute(doc);
    } catch (err) {
      failTemplate(ctx, err);
      return noSuchObject(ctx, name);
    }
  }

  if (table !== undefined) text = alignTabs(text);
  ctx.io.out(template === undefined ? formatInspectDocuments(docs) : text);
  return 0;
}

/** Template errors are user-facing texts of their own (iSulad's wording): printed verbatim. */
function failTemplate(ctx: CommandContext, err: unknown): number {
  if (!(err instanceof ImageError)) throw err;
  ctx.io.err(`${err.message}\n`);
  return EXIT_FAILURE;
}

function noSuchObject(ctx: CommandContext, name: string): number {
  return fail(ctx, `Inspect error: No such object:${name}`, EXIT_FAILURE);
}

function fail(ctx: CommandContext, message: string, code: number): number {
  ctx.io.err(`${message}\n`);
  return code;
}
