import { type CommandContext, EXIT_FAILURE, reportError } from "./output.ts";
import { boolOption, type ParsedArgs } from "./parser.ts";

/** iSulad's `MAX_CLIENT_ARGS`: this many names or more are refused. */
export const MAX_CLIENT_ARGS = 1000;

/**
 * `isula rmi [-f] IMAGE...`: removes the names one at a time, in order, printing
 * `Image "<arg>" removed` on stdout for each success and the error on stderr for each failure,
 * and carries on. Exit 1 if any failed (also for no names, too many, or `none`).
 */
export async function runRmi(parsed: ParsedArgs, ctx: CommandContext): Promise<number> {
  const names = parsed.args;
  if (names.length === 0) return fail(ctx, `"rmi" requires at least 1 image names`);
  if (names.length >= MAX_CLIENT_ARGS) return fail(ctx, "You specify too many images to remove.");

  const force = boolOption(parsed, "force");
  let failed = false;
  for (const name of names) {
    if (name === "none" || name === "none:latest") {
      ctx.io.err(
        `Can not remove image '${name}', image name 'none' or 'none:latest' is reserved\n`,
      );
      failed = true;
      continue;
    }
    try {
      await ctx.service.remove({ name, force });
      ctx.io.out(`Image "${name}" removed\n`);
    } catch (err) {
      reportError(ctx.io, err, ctx.debug);
      failed = true;
    }
  }
  return failed ? EXIT_FAILURE : 0;
}

function fail(ctx: CommandContext, message: string): number {
  ctx.io.err(`${message}\n`);
  return EXIT_FAILURE;
}
