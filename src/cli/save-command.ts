import { resolve } from "node:path";
import { statQuietly } from "./file-checks.ts";
import { type CommandContext, EXIT_FAILURE, reportError } from "./output.ts";
import { type ParsedArgs, stringOption } from "./parser.ts";

/**
 * `isula save -o FILE IMAGE...` (ours; iSulad has no save): writes a docker-archive of the named
 * images to FILE, resolved against the current directory. Docker streams to stdout without
 * `-o`; we do not yet, so `-o` is required. Success prints nothing; every failure exits 1.
 */
export async function runSave(parsed: ParsedArgs, ctx: CommandContext): Promise<number> {
  const names = parsed.args;
  if (names.length === 0) return fail(ctx, `"save" requires at least 1 argument.`);
  const given = stringOption(parsed, "output");
  if (given === undefined || given === "") {
    return fail(ctx, "missing output file, use -o,--output option");
  }

  const output = resolve(ctx.cwd, given);
  if (statQuietly(output)?.isDirectory()) {
    return fail(ctx, `Save file is a directory: ${output}`);
  }
  try {
    await ctx.service.save({ names, output });
  } catch (err) {
    reportError(ctx.io, err, ctx.debug);
    return EXIT_FAILURE;
  }
  return 0;
}

function fail(ctx: CommandContext, message: string): number {
  ctx.io.err(`${message}\n`);
  return EXIT_FAILURE;
}
