import { ImageError } from "../errors.ts";
import type { HistoryItem } from "../service/types.ts";
import { createdAt, createdSince, humanSize } from "./docker-units.ts";
import { compileRowFormat, type RowFormat, renderRows } from "./format-option.ts";
import { type CommandContext, EXIT_FAILURE, reportError } from "./output.ts";
import { boolOption, type ParsedArgs, stringOption } from "./parser.ts";
import { parseRfc3339 } from "./time-format.ts";

/** The fields of `isula history --format`, named as Docker names them. */
export interface HistoryFields {
  /** The image's short ID on the newest row (`sha256:<hex>` with `--no-trunc`), else `<missing>`. */
  ID: string;
  CreatedSince: string;
  CreatedAt: string;
  /** Tabs turned to spaces; cut to 45 characters with `…` unless `--no-trunc`. */
  CreatedBy: string;
  /** Decimal units, 3 significant digits (`5.58MB`, `0B`). */
  Size: string;
  Comment: string;
}

const TITLES: HistoryFields = {
  ID: "IMAGE",
  CreatedSince: "CREATED",
  CreatedAt: "CREATED AT",
  CreatedBy: "CREATED BY",
  Size: "SIZE",
  Comment: "COMMENT",
};

/** Docker's default `history` table. */
export const DEFAULT_HISTORY_TABLE =
  "{{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}";

const CREATED_BY_WIDTH = 45;

/**
 * `isula history [--no-trunc] [-q] [--format FORMAT] IMAGE`: the image's history, newest first,
 * as Docker's table (or its IDs with `-q`, or the rows through a template). Exactly one image;
 * every failure exits 1.
 */
export async function runHistory(parsed: ParsedArgs, ctx: CommandContext): Promise<number> {
  if (parsed.args.length !== 1) return fail(ctx, `"history" requires exactly 1 argument.`);
  const name = parsed.args[0] as string;
  const trunc = !boolOption(parsed, "no-trunc");
  let format: RowFormat;
  try {
    format = compileRowFormat(stringOption(parsed, "format") ?? "table", {
      defaultTable: DEFAULT_HISTORY_TABLE,
      escapes: true,
    });
  } catch (err) {
    return templateFailure(ctx, err);
  }

  let items: HistoryItem[];
  try {
    items = await ctx.service.history(name);
  } catch (err) {
    reportError(ctx.io, err, ctx.debug);
    return EXIT_FAILURE;
  }

  const rows = historyRows(items, { trunc });
  if (boolOption(parsed, "quiet")) {
    ctx.io.out(rows.map((r) => `${r.ID}\n`).join(""));
    return 0;
  }
  try {
    ctx.io.out(renderRows(format, rows, TITLES));
  } catch (err) {
    return templateFailure(ctx, err);
  }
  return 0;
}

/** The rows of `history` for `items` (newest first); `now` (ms) is what ages count from. */
export function historyRows(
  items: readonly HistoryItem[],
  opts: { trunc: boolean; now?: number },
): HistoryFields[] {
  return items.map((item) => {
    const seconds = item.created ? parseRfc3339(item.created)?.seconds : undefined;
    const createdBy = item.createdBy.replaceAll("\t", " ");
    return {
      ID:
        item.id === undefined
          ? "<missing>"
          : opts.trunc
            ? item.id.slice(0, 12)
            : `sha256:${item.id}`,
      CreatedSince: createdSince(seconds, opts.now),
      CreatedAt: createdAt(seconds),
      CreatedBy: opts.trunc ? ellipsis(createdBy, CREATED_BY_WIDTH) : createdBy,
      Size: humanSize(item.size, 3),
      Comment: item.comment,
    };
  });
}

/** `s` cut to `width` characters, the last one `…`, when it is longer (Docker's `Ellipsis`). */
export function ellipsis(s: string, width: number): string {
  const chars = [...s];
  if (chars.length <= width) return s;
  return `${chars.slice(0, width - 1).join("")}…`;
}

function templateFailure(ctx: CommandContext, err: unknown): number {
  if (!(err instanceof ImageError)) throw err;
  return fail(ctx, err.message);
}

function fail(ctx: CommandContext, message: string): number {
  ctx.io.err(`${message}\n`);
  return EXIT_FAILURE;
}
