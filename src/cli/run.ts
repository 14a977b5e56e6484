import type { ImageService } from "../service/types.ts";
import { COMMANDS, type CommandSpec, findCommand } from "./commands.ts";
import { renderCommandHelp, renderGlobalHelp } from "./help.ts";
import { resolveHost } from "./host-option.ts";
import { lazyService } from "./lazy-service.ts";
import { EXIT_FAILURE, EXIT_USAGE, type Output, reportError } from "./output.ts";
import { boolOption, type ParsedArgs, parseArgs, stringOption, UsageError } from "./parser.ts";

/** What `runCli` needs from its surroundings; `main` passes the process's, tests their own. */
export interface CliEnvironment {
  io: Output;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Opens the service for `-H`/`ISULAD_HOST` (undefined: the default) and `-D`. */
  openService: (opts: { host?: string; debug: boolean }) => Promise<ImageService>;
}

const PROGNAME = "isula";

/**
 * Runs one `isula` invocation and returns its exit code: global help and version, then the
 * sub-command's option parsing (usage errors: the message on stderr, 125 for an unknown flag,
 * else the command's usage code), `--help`, and the handler. The service is opened only when
 * the handler first calls it, and closed here. Nothing escapes as an exception: an unexpected
 * error prints its message (and with `-D` its stack) and exits 1.
 */
export async function runCli(argv: readonly string[], cli: CliEnvironment): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) return print(cli.io, renderGlobalHelp(COMMANDS, PROGNAME));
  if (name === "--help") return globalHelp(cli.io, rest);
  if (name === "--version") return runCommand(findCommand("version") as CommandSpec, [], cli);

  const spec = findCommand(name);
  if (spec === undefined) {
    cli.io.err(`${PROGNAME}: command "${name}" not found\n`);
    cli.io.err(`run \`${PROGNAME} --help\` for a list of sub-commands\n`);
    return EXIT_USAGE;
  }
  return runCommand(spec, rest, cli);
}

function globalHelp(io: Output, rest: readonly string[]): number {
  if (rest.length === 0) return print(io, renderGlobalHelp(COMMANDS, PROGNAME));
  const spec = findCommand(rest[0] as string);
  if (rest.length > 1 || spec === undefined) {
    const what =
      rest.length > 1
        ? `unrecognized argument: "${rest[1]}"`
        : `sub-command "${rest[0]}" not found`;
    io.err(`${PROGNAME}: ${what}\nrun \`${PROGNAME} --help\` for a list of sub-commands\n`);
    return EXIT_USAGE;
  }
  return print(io, renderCommandHelp(spec, PROGNAME));
}

async function runCommand(spec: CommandSpec, argv: readonly string[], cli: CliEnvironment) {
  let parsed: ParsedArgs;
  try {
    parsed = parseArgs(spec.options, argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    cli.io.err(`${err.message}\n`);
    return err.unknownFlag ? EXIT_USAGE : spec.usageExit;
  }
  if (parsed.help) return print(cli.io, renderCommandHelp(spec, PROGNAME));

  const debug = boolOption(parsed, "debug");
  const host = resolveHost(stringOption(parsed, "host"), cli.env);
  const service = lazyService(() => cli.openService({ host, debug }));
  const ctx = { service, io: cli.io, cwd: cli.cwd, debug };
  let code: number;
  try {
    const handler = await spec.handler();
    code = await handler(parsed, ctx);
  } catch (err) {
    reportError(cli.io, err, debug);
    code = EXIT_FAILURE;
  }
  try {
    await service.close();
  } catch (err) {
    reportError(cli.io, err, debug);
    code = EXIT_FAILURE;
  }
  return code;
}

function print(io: Output, text: string): number {
  io.out(text);
  return 0;
}
