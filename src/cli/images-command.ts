import { ImageError } from "../errors.ts";
import type { RowFormat } from "./format-option.ts";
import { compileImagesFormat, renderImagesFormat } from "./images-format.ts";
import { imageRows, renderImagesTable, renderQuietIds } from "./images-table.ts";
import { type CommandContext, EXIT_FAILURE, reportError } from "./output.ts";
import { boolOption, listOption, type ParsedArgs, stringOption } from "./parser.ts";

/**
 * Turns `-f key=value` words into the service's filter map: split at the first `=`, key trimmed
 * and lowercased, value kept as given. Unlike iSulad (a protobuf map where the last value of a
 * key wins) every value is kept, in order: `-f reference=a* -f reference=b*` sends both and the
 * service decides how they combine. Returns the offending word as an error message otherwise.
 */
export function parseFilters(words: readonly string[]): Record<string, string[]> | string {
  const filters: Record<string, string[]> = {};
  for (const word of words) {
    const eq = word.indexOf("=");
    if (eq < 0) return `Bad format of filter '${word}', (expected name=value)`;
    const key = word.slice(0, eq).trim().toLowerCase();
    if (!Object.hasOwn(filters, key)) filters[key] = [];
    filters[key]?.push(word.slice(eq + 1));
  }
  return filters;
}

/**
 * `isula images [-q] [-f key=value]... [--format FORMAT]`: the table (or short IDs, or the rows
 * through the template, see images-format.ts) on stdout; a bad filter, a bad template or a
 * service error on stderr, exit 1. `-q` wins over `--format`. Extra arguments are ignored, as
 * iSulad does.
 */
export async function runImages(parsed: ParsedArgs, ctx: CommandContext): Promise<number> {
  const filters = parseFilters(listOption(parsed, "filter"));
  if (typeof filters === "string") {
    ctx.io.err(`${filters}\n`);
    return EXIT_FAILURE;
  }
  const quiet = boolOption(parsed, "quiet");
  const source = stringOption(parsed, "format");
  let format: RowFormat | undefined;
  if (source !== undefined && !quiet) {
    try {
      format = compileImagesFormat(source);
    } catch (err) {
      return templateFailure(ctx, err);
    }
  }

  let images: Awaited<ReturnType<typeof ctx.service.list>>;
  try {
    images = await ctx.service.list({ filters });
  } catch (err) {
    reportError(ctx.io, err, ctx.debug);
    return EXIT_FAILURE;
  }

  if (format !== undefined) {
    let text: string;
    try {
      text = renderImagesFormat(format, images);
    } catch (err) {
      return templateFailure(ctx, err);
    }
    ctx.io.out(text);
    return 0;
  }
  const rows = imageRows(images);
  ctx.io.out(quiet ? renderQuietIds(rows) : renderImagesTable(rows));
  return 0;
}

/** Template errors are user-facing lines of their own: printed verbatim, exit 1. */
function templateFailure(ctx: CommandContext, err: unknown): number {
  if (!(err instanceof ImageError)) throw err;
  ctx.io.err(`${err.message}\n`);
  return EXIT_FAILURE;
}
