import { statQuietly } from "./file-checks.ts";
import { interruptExitCode, listenForInterrupt } from "./interrupt.ts";
import { type CommandContext, EXIT_FAILURE, reportError } from "./output.ts";
import { type ParsedArgs, stringOption } from "./parser.ts";

/** iSulad's `PATH_MAX`: longer absolute paths are refused with `filename too long`. */
const PATH_MAX = 4096;

/**
 * The absolute form of `-i`, built as iSulad builds it: `<cwd>/<file>` without normalising, so
 * the success line shows the path the way the user typed it after the directory.
 */
export function absoluteInput(file: string, cwd: string): string {
  return file.startsWith("/") ? file : `${cwd}/${file}`;
}

type LoadType = "docker" | "embedded";

/** The argument checks of `load`, in iSulad's order; returns the message of the first failure. */
export function checkLoadArgs(parsed: ParsedArgs, progname = "isula"): string | undefined {
  if (parsed.args.length > 0) return `${progname}: "load" requires 0 arguments.`;
  if (stringOption(parsed, "input") === undefined) {
    return "missing image input, use -i,--input option";
  }
  const type = stringOption(parsed, "type");
  if (type !== undefined && type !== "docker" && type !== "embedded") {
    return `Invalid image type: image type must be embedded or docker, got ${type}`;
  }
  if (type === "embedded" && stringOption(parsed, "tag") !== undefined) {
    return "Option --tag can be used only when type is docker";
  }
  return undefined;
}

/**
 * `isula load -i FILE [--tag NAME] [-t docker|embedded]`. Every failure exits 1: argument
 * problems and a missing or directory input are found before the service is touched. Success
 * prints `Load image from "<abs>" success` on stdout. SIGINT or SIGTERM cancels the load (the
 * daemon's too): one line on stderr, exit 130 or 143, nothing stored.
 */
export async function runLoad(parsed: ParsedArgs, ctx: CommandContext): Promise<number> {
  const problem = checkLoadArgs(parsed);
  if (problem !== undefined) return fail(ctx, problem);

  const file = absoluteInput(stringOption(parsed, "input") as string, ctx.cwd);
  if (file.length >= PATH_MAX) return fail(ctx, "filename too long");
  const stat = statQuietly(file);
  if (stat === undefined) return fail(ctx, `File ${file} is not exist`);
  if (stat.isDirectory()) return fail(ctx, `Load file is a directory: ${file}`);

  const type = stringOption(parsed, "type") as LoadType | undefined;
  const interrupt = listenForInterrupt();
  try {
    await ctx.service.load({
      file,
      tag: stringOption(parsed, "tag"),
      type,
      signal: interrupt.signal,
    });
  } catch (err) {
    const got = interrupt.received();
    if (got !== undefined) {
      ctx.io.err(`Load image from "${file}" cancelled by ${got}\n`);
      return interruptExitCode(got);
    }
    reportError(ctx.io, err, ctx.debug);
    return EXIT_FAILURE;
  } finally {
    interrupt.stop();
  }
  ctx.io.out(`Load image from "${file}" success\n`);
  return 0;
}

function fail(ctx: CommandContext, message: string): number {
  ctx.io.err(`${message}\n`);
  return EXIT_FAILURE;
}
