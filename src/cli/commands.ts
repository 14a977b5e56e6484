import { checkHost } from "./host-option.ts";
import type { CommandHandler } from "./output.ts";
import type { OptionSpec, ParsedArgs } from "./parser.ts";

/** One `isula` sub-command: its help, its option table and its lazily loaded handler. */
export interface CommandSpec {
  name: string;
  /** Usage line after `isula `, as `--help` prints it. */
  usage: string;
  description: string;
  options: readonly OptionSpec[];
  /**
   * Exit code of a parse error other than an unknown flag (which is always 125): iSulad's
   * `inspect` exits 125, the other image commands 1.
   */
  usageExit: number;
  /** Loads the handler module on demand, so start-up only parses what one command needs. */
  handler: () => Promise<CommandHandler>;
  /**
   * Whether this invocation will unpack layers: in direct mode their worker threads then start
   * as the service opens, and boot while the store is opened and the input read.
   */
  unpacksLayers?: (parsed: ParsedArgs) => boolean;
}

const HOST: OptionSpec = {
  long: "host",
  short: "H",
  kind: "string",
  description: "Daemon socket(s) to connect to",
  check: checkHost,
};
const DEBUG: OptionSpec = {
  long: "debug",
  short: "D",
  kind: "bool",
  description: "Enable debug mode",
};
const HELP: OptionSpec = { long: "help", kind: "bool", description: "Print usage" };

/** The client TLS options of iSulad's remote-connect builds, for `-H tcp://` (cli/tls-options.ts). */
export const TLS_OPTIONS: readonly OptionSpec[] = [
  { long: "tls", kind: "bool", description: "Use TLS; implied by --tlsverify" },
  { long: "tlsverify", kind: "bool", description: "Use TLS and verify the remote" },
  {
    long: "tlscacert",
    kind: "string",
    description: 'Trust certs signed only by this CA (default "$HOME/.iSulad/ca.pem")',
  },
  {
    long: "tlscert",
    kind: "string",
    description: 'Path to TLS certificate file (default "$HOME/.iSulad/cert.pem")',
  },
  {
    long: "tlskey",
    kind: "string",
    description: 'Path to TLS key file (default "$HOME/.iSulad/key.pem")',
  },
];

/** `-D`, `-H`, `--help` and the TLS options, which every image command takes (login has no `-D`). */
export const COMMON_OPTIONS: readonly OptionSpec[] = [DEBUG, HOST, HELP, ...TLS_OPTIONS];

/** Every sub-command, in the order the command list is built (help sorts by name). */
export const COMMANDS: readonly CommandSpec[] = [
  {
    name: "history",
    usage: "history [OPTIONS] IMAGE",
    description: "Show the history of an image",
    options: [
      ...COMMON_OPTIONS,
      { long: "quiet", short: "q", kind: "bool", description: "Only show image IDs" },
      { long: "no-trunc", kind: "bool", description: "Don't truncate output" },
      {
        long: "format",
        kind: "string",
        description: "Format output using a custom template ('table' prefix for a header)",
      },
    ],
    usageExit: 1,
    handler: async () => (await import("./history-command.ts")).runHistory,
  },
  {
    name: "import",
    usage: "import file|- REPOSITORY[:TAG]",
    description: "Import the contents from a tarball to create a filesystem image",
    options: COMMON_OPTIONS,
    usageExit: 1,
    handler: async () => (await import("./import-command.ts")).runImport,
    unpacksLayers: () => true,
  },
  {
    name: "images",
    usage: "images [OPTIONS]",
    description: "List images",
    options: [
      ...COMMON_OPTIONS,
      { long: "quiet", short: "q", kind: "bool", description: "Only display image names" },
      {
        long: "filter",
        short: "f",
        kind: "list",
        description: "Filter output based on conditions provided",
      },
      {
        long: "format",
        kind: "string",
        description: "Format output using a custom template ('table' prefix for a header)",
      },
    ],
    usageExit: 1,
    handler: async () => (await import("./images-command.ts")).runImages,
  },
  {
    name: "inspect",
    usage: "inspect [OPTIONS] CONTAINER|IMAGE [CONTAINER|IMAGE...]",
    description: "Return low-level information on a container or image",
    options: [
      ...COMMON_OPTIONS,
      {
        long: "format",
        short: "f",
        kind: "string",
        description: "Format the output using the given go template",
      },
      {
        long: "time",
        short: "t",
        kind: "int",
        description: "Seconds to wait for inspect timeout (default 120)",
      },
    ],
    usageExit: 125,
    handler: async () => (await import("./inspect-command.ts")).runInspect,
  },
  {
    name: "load",
    usage: "load [OPTIONS] --input=FILE --type=TYPE",
    description: "load an image from a manifest or a tar archive",
    options: [
      ...COMMON_OPTIONS,
      {
        long: "input",
        short: "i",
        kind: "string",
        description: "Read from a manifest or an archive",
      },
      {
        long: "tag",
        kind: "string",
        description: "Name and optionally a tag in the 'name:tag' format, valid if type is docker",
      },
      {
        long: "type",
        short: "t",
        kind: "string",
        description: "Image type, embedded or docker(default)",
      },
    ],
    usageExit: 1,
    handler: async () => (await import("./load-command.ts")).runLoad,
    unpacksLayers: (parsed) => parsed.values.get("type") !== "embedded",
  },
  {
    name: "login",
    usage: "login [OPTIONS] SERVER",
    description: "Log in to a Docker registry",
    options: [
      HOST,
      HELP,
      ...TLS_OPTIONS,
      { long: "username", short: "u", kind: "string", description: "Username" },
      { long: "password", short: "p", kind: "string", description: "Password" },
      { long: "password-stdin", kind: "bool", description: "Take the password from stdin" },
    ],
    usageExit: 1,
    handler: async () => (await import("./registry-commands.ts")).runLogin,
  },
  {
    name: "logout",
    usage: "logout SERVER",
    description: "Log out from a Docker registry",
    options: COMMON_OPTIONS,
    usageExit: 1,
    handler: async () => (await import("./registry-commands.ts")).runLogout,
  },
  {
    name: "pull",
    usage: "pull [OPTIONS] NAME[:TAG]",
    description: "Pull an image or a repository from a registry",
    options: [
      ...COMMON_OPTIONS,
      {
        long: "platform",
        kind: "string",
        description: "Set platform if server is multi-platform capable (os/arch[/variant])",
      },
      {
        long: "timeout",
        kind: "string",
        description: "Give up the pull after this long (90s, 10m; default: no limit)",
      },
    ],
    usageExit: 1,
    handler: async () => (await import("./registry-commands.ts")).runPull,
    unpacksLayers: () => true,
  },
  {
    name: "push",
    usage: "push [OPTIONS] NAME[:TAG]",
    description: "Push an image or a repository to a registry",
    options: COMMON_OPTIONS,
    usageExit: 1,
    handler: async () => (await import("./push-command.ts")).runPush,
  },
  {
    name: "rmi",
    usage: "rmi [OPTIONS] IMAGE [IMAGE...]",
    description: "Remove one or more images",
    options: [
      ...COMMON_OPTIONS,
      { long: "force", short: "f", kind: "bool", description: "Force removal of the image" },
    ],
    usageExit: 1,
    handler: async () => (await import("./rmi-command.ts")).runRmi,
  },
  {
    name: "save",
    usage: "save [OPTIONS] IMAGE [IMAGE...]",
    description: "Save one or more images to a tar archive",
    options: [
      ...COMMON_OPTIONS,
      { long: "output", short: "o", kind: "string", description: "Write to a file" },
    ],
    usageExit: 1,
    handler: async () => (await import("./save-command.ts")).runSave,
  },
  {
    name: "search",
    usage: "search [OPTIONS] TERM",
    description: "Search the registry for images",
    options: [
      ...COMMON_OPTIONS,
      {
        long: "limit",
        kind: "int",
        description: "Max number of search results (default 25)",
        check: (v) =>
          /^\d+$/.test(v) && Number(v) >= 1 && Number(v) <= 100
            ? undefined
            : `Invalid value "${v}" for flag --limit`,
      },
      {
        long: "filter",
        short: "f",
        kind: "list",
        description: "Filter output based on conditions provided",
      },
      { long: "no-trunc", kind: "bool", description: "Don't truncate output" },
      {
        long: "format",
        kind: "string",
        description: "Pretty-print search using a Go template",
      },
    ],
    usageExit: 1,
    handler: async () => (await import("./search-command.ts")).runSearch,
  },
  {
    name: "tag",
    usage: "tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]",
    description: "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE",
    options: COMMON_OPTIONS,
    usageExit: 1,
    handler: async () => (await import("./tag-command.ts")).runTag,
  },
  {
    name: "version",
    usage: "version",
    description: "Display information about isula",
    options: COMMON_OPTIONS,
    usageExit: 1,
    handler: async () => (await import("./version-command.ts")).runVersion,
  },
];

/** The command called `name`, or undefined. */
export function findCommand(name: string): CommandSpec | undefined {
  return COMMANDS.find((c) => c.name === name);
}

/** `isula image`, Docker's command group, in the global command list. */
export const IMAGE_GROUP = { name: "image", description: "Manage images" };

/** Commands that exist only inside `isula image` (Docker's names). */
export const IMAGE_ONLY_COMMANDS: readonly CommandSpec[] = [
  {
    name: "prune",
    usage: "image prune [OPTIONS]",
    description: "Remove unused images",
    options: [
      ...COMMON_OPTIONS,
      {
        long: "all",
        short: "a",
        kind: "bool",
        description: "Remove all unused images, not just dangling ones",
      },
      { long: "force", short: "f", kind: "bool", description: "Do not prompt for confirmation" },
    ],
    usageExit: 1,
    handler: async () => (await import("./prune-command.ts")).runPrune,
  },
];

/** Docker's `image` sub-command names for iSulad's flat commands. */
const IMAGE_ALIASES: Readonly<Record<string, string>> = {
  ls: "images",
  list: "images",
  rm: "rmi",
  remove: "rmi",
};
const IMAGE_FLAT = ["history", "import", "inspect", "load", "pull", "push", "save", "tag"];

/**
 * The command `isula image <name>` runs: `prune`, Docker's aliases (`ls`, `rm`), or the flat
 * command of the same name (`image pull` is `pull`); undefined for anything else.
 */
export function findImageCommand(name: string): CommandSpec | undefined {
  const own = IMAGE_ONLY_COMMANDS.find((c) => c.name === name);
  if (own) return own;
  const flat = IMAGE_ALIASES[name] ?? (IMAGE_FLAT.includes(name) ? name : undefined);
  return flat === undefined ? undefined : findCommand(flat);
}

/** Every sub-command `isula image` takes, with its description, for `isula image --help`. */
export function imageCommandList(): { name: string; description: string }[] {
  const names = [...IMAGE_ONLY_COMMANDS.map((c) => c.name), ...Object.keys(IMAGE_ALIASES)];
  const list = names.map((name) => ({ name, description: findImageCommand(name)?.description }));
  for (const name of IMAGE_FLAT) {
    const spec = findCommand(name);
    if (spec) list.push({ name, description: spec.description });
  }
  return list.filter((c): c is { name: string; description: string } => !!c.description);
}
