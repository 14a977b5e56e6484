import type { PruneResult } from "../service/types.ts";
import { humanSize } from "./docker-units.ts";
import { type CommandContext, EXIT_FAILURE, reportError } from "./output.ts";
import { boolOption, type ParsedArgs } from "./parser.ts";
import { processTerminal, type Terminal } from "./terminal.ts";

/** A command context that may carry its own terminal (tests); `main` uses the process's. */
export type PruneContext = CommandContext & { terminal?: Terminal };

const WARN_DANGLING = "WARNING! This will remove all dangling images.";
const WARN_ALL =
  "WARNING! This will remove all images without at least one container associated to them.";

/**
 * `isula image prune [-a] [-f]`: removes dangling images (with `-a`, every image: there are no
 * containers here). Without `-f` it asks Docker's question on a terminal and goes on only on
 * `y`/`yes` (anything else: nothing happens, exit 0); with no terminal on stdin and no `-f` it
 * refuses (exit 1), since nobody can answer. Prints Docker's report on stdout.
 */
export async function runPrune(parsed: ParsedArgs, ctx: PruneContext): Promise<number> {
  if (parsed.args.length > 0) return fail(ctx, `"image prune" accepts no arguments.`);
  const all = boolOption(parsed, "all");
  if (!boolOption(parsed, "force")) {
    const terminal = ctx.terminal ?? processTerminal();
    if (!terminal.stdinIsTTY) {
      return fail(ctx, "image prune needs confirmation: use -f to prune without a terminal");
    }
    ctx.io.out(`${all ? WARN_ALL : WARN_DANGLING}\nAre you sure you want to continue? [y/N] `);
    const answer = (await terminal.readLine({ echo: true, max: 16 })).trim().toLowerCase();
    if (answer !== "y" && answer !== "yes") return 0;
  }

  let result: PruneResult;
  try {
    result = await ctx.service.prune({ all });
  } catch (err) {
    reportError(ctx.io, err, ctx.debug);
    return EXIT_FAILURE;
  }
  ctx.io.out(renderPruneReport(result));
  return 0;
}

/**
 * Docker's report: `Deleted Images:` and one `untagged: NAME` / `deleted: sha256:ID` line per
 * item, a blank line, then `Total reclaimed space: SIZE` (decimal units, 4 digits); only the
 * total when nothing was deleted.
 */
export function renderPruneReport(result: PruneResult): string {
  let text = "";
  if (result.items.length > 0) {
    text += "Deleted Images:\n";
    for (const item of result.items) {
      text +=
        "untagged" in item ? `untagged: ${item.untagged}\n` : `deleted: sha256:${item.deleted}\n`;
    }
    text += "\n";
  }
  return `${text}Total reclaimed space: ${humanSize(result.reclaimed)}\n`;
}

function fail(ctx: CommandContext, message: string): number {
  ctx.io.err(`${message}\n`);
  return EXIT_FAILURE;
}
