import { isValidImageName, isValidTagTarget } from "../reference/parse-reference.ts";
import { type CommandContext, EXIT_FAILURE, reportError } from "./output.ts";
import type { ParsedArgs } from "./parser.ts";

/**
 * `isula tag SOURCE TARGET`: exactly two arguments, a valid source name and a valid target
 * (no digest, not an ID). A service failure prints the error, then
 * `Tag image "<src>" to "<dst>" failed`. Success prints nothing; every failure exits 1.
 */
export async function runTag(parsed: ParsedArgs, ctx: CommandContext): Promise<number> {
  if (parsed.args.length !== 2) return fail(ctx, `"tag" requires exactly 2 arguments.`);
  const [source, target] = parsed.args as [string, string];
  if (!isValidImageName(source)) return fail(ctx, `${source} is not a valid image name`);
  if (!isValidTagTarget(target)) return fail(ctx, `${target} is not a valid tag`);

  try {
    await ctx.service.tag(source, target);
  } catch (err) {
    reportError(ctx.io, err, ctx.debug);
    return fail(ctx, `Tag image "${source}" to "${target}" failed`);
  }
  return 0;
}

function fail(ctx: CommandContext, message: string): number {
  ctx.io.err(`${message}\n`);
  return EXIT_FAILURE;
}
