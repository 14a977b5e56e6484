import type { SearchResult } from "../registry/registry-search.ts";
import { compileRowFormat, type RowFormat, renderRows } from "./format-option.ts";
import { type CommandContext, EXIT_FAILURE, reportError } from "./output.ts";
import { boolOption, intOption, listOption, type ParsedArgs, stringOption } from "./parser.ts";

/** `--limit` when not given (iSulad and Docker). */
export const DEFAULT_SEARCH_LIMIT = 25;
/** Descriptions longer than this are cut (with `...`) unless `--no-trunc`. */
const DESCRIPTION_WIDTH = 45;

const DEFAULT_TABLE =
  "{{.Name}}\t{{.Description}}\t{{.StarCount}}\t{{.IsOfficial}}\t{{.IsAutomated}}";
const HEADER = {
  Name: "NAME",
  Description: "DESCRIPTION",
  StarCount: "STARS",
  IsOfficial: "OFFICIAL",
  IsAutomated: "AUTOMATED",
};

/**
 * `isula search [--limit N] [-f filter] [--no-trunc] [--format FMT] TERM` (reference §1.9):
 * the table `NAME DESCRIPTION STARS OFFICIAL AUTOMATED` on stdout (`[OK]` for true flags,
 * descriptions cut at 45 characters unless `--no-trunc`), or one line per result rendered with
 * `--format` (`.Name .Description .StarCount .IsOfficial .IsAutomated`; a `table` prefix adds
 * the header). Filters are `key=value`; the service checks their keys and values. Failures
 * print `Error response from daemon: <message>` and exit 1.
 */
export async function runSearch(parsed: ParsedArgs, ctx: CommandContext): Promise<number> {
  if (parsed.args.length !== 1) return fail(ctx, `"search" requires exactly 1 argument.`);
  const term = parsed.args[0] as string;
  const filters: Record<string, string[]> = {};
  for (const f of listOption(parsed, "filter")) {
    const eq = f.indexOf("=");
    if (eq <= 0) return fail(ctx, `Bad format of filter '${f}', expected name=value`);
    const key = f.slice(0, eq).trim().toLowerCase();
    filters[key] = [...(filters[key] ?? []), f.slice(eq + 1).trim()];
  }
  let format: RowFormat;
  try {
    format = compileRowFormat(stringOption(parsed, "format") ?? "table", {
      defaultTable: DEFAULT_TABLE,
      escapes: true,
    });
  } catch (err) {
    return fail(ctx, err instanceof Error ? err.message : String(err));
  }
  const trunc = !boolOption(parsed, "no-trunc");
  let results: SearchResult[];
  try {
    const limit = intOption(parsed, "limit", DEFAULT_SEARCH_LIMIT);
    results = await ctx.service.search({ term, limit, filters });
  } catch (err) {
    reportError(ctx.io, err, ctx.debug);
    return EXIT_FAILURE;
  }
  try {
    ctx.io.out(
      renderRows(
        format,
        results.map((r) => searchRow(r, trunc)),
        HEADER,
      ),
    );
  } catch (err) {
    return fail(ctx, err instanceof Error ? err.message : String(err));
  }
  return 0;
}

/** The fields a `--format` template sees for one result, as Docker's search formatter shows them. */
export function searchRow(r: SearchResult, trunc: boolean) {
  const description = r.description.replace(/[\r\n]+/g, " ");
  const chars = [...description];
  return {
    Name: r.name,
    Description:
      trunc && chars.length > DESCRIPTION_WIDTH
        ? `${chars.slice(0, DESCRIPTION_WIDTH - 3).join("")}...`
        : description,
    StarCount: String(r.starCount),
    IsOfficial: r.isOfficial ? "[OK]" : "",
    IsAutomated: r.isAutomated ? "[OK]" : "",
  };
}

function fail(ctx: CommandContext, message: string): number {
  ctx.io.err(`${message}\n`);
  return EXIT_FAILURE;
}
