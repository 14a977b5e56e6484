import type { TlsFlags } from "../service/client-tls.ts";
import type { ImageService } from "../service/types.ts";
import {
  COMMANDS,
  type CommandSpec,
  findCommand,
  findImageCommand,
  IMAGE_GROUP,
  imageCommandList,
} from "./commands.ts";
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
  /**
   * Opens the service for `-H`/`ISULAD_HOST` (undefined: the default) and `-D`; `tls` holds
   * the TLS flags given, absent when none was.
   */
  openService: (opts: {
    host?: string;
    debug: boolean;
    tls?: TlsFlags;
    unpacksLayers?: boolean;
  }) => Promise<ImageService>;
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
  if (name === undefined) return print(cli.io, renderGlobalHelp(commandList(), PROGNAME));
  if (name === "--help") return globalHelp(cli.io, rest);
  if (name === IMAGE_GROUP.name) return runImageGroup(rest, cli);
  if (name === "--version") return runCommand(findCommand("version") as CommandSpec, [], cli);

  const spec = findCommand(name);
  if (spec === undefined) {
    cli.io.err(`${PROGNAME}: command "${name}" not found\n`);
    cli.io.err(`run \`${PROGNAME} --help\` for a list of sub-commands\n`);
    return EXIT_USAGE;
  }
  return runCommand(spec, rest, cli);
}

/** iSulad's commands plus Docker's `image` group. */
function commandList() {
  return [...COMMANDS, IMAGE_GROUP];
}

/**
 * `isula image <command>`: Docker's group; `prune` lives only here, `ls`/`rm` are `images`/`rmi`,
 * and the other image commands run as their flat forms.
 */
function runImageGroup(rest: readonly string[], cli: CliEnvironment): Promise<number> | number {
  const [sub, ...args] = rest;
  if (sub === undefined || sub === "--help") {
    return print(cli.io, renderGlobalHelp(imageCommandList(), `${PROGNAME} image`));
  }
  const spec = findImageCommand(sub);
  if (spec === undefined) {
    cli.io.err(`${PROGNAME} image: command "${sub}" not found\n`);
    cli.io.err(`run \`${PROGNAME} image --help\` for a list of sub-commands\n`);
    return EXIT_USAGE;
  }
  return runCommand(spec, args, cli);
}

function globalHelp(io: Output, rest: readonly string[]): number {
  if (rest.length === 0) return print(io, renderGlobalHelp(commandList(), PROGNAME));
  if (rest.length === 1 && rest[0] === IMAGE_GROUP.name) {
    return print(io, renderGlobalHelp(imageCommandList(), `${PROGNAME} image`));
  }
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
  const tls = tlsFlags(parsed);
  const unpacksLayers = spec.unpacksLayers?.(parsed) ?? false;
  const service = lazyService(() =>
    cli.openService({
      host,
      debug,
      ...(unpacksLayers ? { unpacksLayers } : {}),
      ...(tls ? { tls } : {}),
    }),
  );
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

/** The `--tls*` flags given on the command line, or undefined when none was. */
function tlsFlags(parsed: ParsedArgs): TlsFlags | undefined {
  const flags: TlsFlags = {};
  for (const name of ["tls", "tlsverify"] as const) {
    const v = parsed.values.get(name);
    if (typeof v === "boolean") flags[name] = v;
  }
  for (const name of ["tlscacert", "tlscert", "tlskey"] as const) {
    const v = stringOption(parsed, name);
    if (v !== undefined) flags[name] = v;
  }
  return Object.keys(flags).length > 0 ? flags : undefined;
}

function print(io: Output, text: string): number {
  io.out(text);
  return 0;
}
