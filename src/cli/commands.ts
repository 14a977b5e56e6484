import { checkHost } from "./host-option.ts";
import type { CommandHandler } from "./output.ts";
import type { OptionSpec } from "./parser.ts";

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

/** `-D`, `-H` and `--help`, which every image command takes (login has no `-D`). */
export const COMMON_OPTIONS: readonly OptionSpec[] = [DEBUG, HOST, HELP];

/** Every sub-command, in the order the command list is built (help sorts by name). */
export const COMMANDS: readonly CommandSpec[] = [
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
  },
  {
    name: "login",
    usage: "login [OPTIONS] SERVER",
    description: "Log in to a Docker registry",
    options: [
      HOST,
      HELP,
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
    ],
    usageExit: 1,
    handler: async () => (await import("./registry-commands.ts")).runPull,
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
