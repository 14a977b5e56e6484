import type { OptionSpec } from "./parser.ts";

/** What the help text of one command needs. */
export interface HelpSubject {
  usage: string;
  description: string;
  options: readonly OptionSpec[];
}

/**
 * The `--help` text of a command, laid out as iSulad's `command_help` does:
 * `\nUsage:  isula <usage>\n\n<description>\n\n`, then one line per option sorted by long name
 * (byte order), `  -s, --long` or `      --long`, padded so that descriptions start four columns
 * after the longest option, then a blank line.
 */
export function renderCommandHelp(subject: HelpSubject, progname = "isula"): string {
  const options = [...subject.options].sort((a, b) => compareBytes(a.long, b.long));
  const longest = Math.max(0, ...options.map((o) => o.long.length));
  const column = longest + 12;

  let text = `\nUsage:  ${progname} ${subject.usage}\n\n${subject.description}\n\n`;
  for (const o of options) {
    const head = o.short ? `  -${o.short}, --${o.long}` : `      --${o.long}`;
    text += `${head.padEnd(column)}${o.description}\n`;
  }
  return `${text}\n`;
}

/** One entry of the global command list. */
export interface CommandSummary {
  name: string;
  description: string;
}

/**
 * `isula --help`: the commands in name order, tab-separated as iSulad prints them, then the
 * options `isula` itself takes.
 */
export function renderGlobalHelp(commands: readonly CommandSummary[], progname = "isula"): string {
  const sorted = [...commands].sort((a, b) => compareBytes(a.name, b.name));
  const width = Math.max(0, ...sorted.map((c) => c.name.length));

  let text = `USAGE:\n\t${progname} <command> [args...]\n\nCOMMANDS:\n`;
  for (const c of sorted) text += `\t${c.name.padEnd(width)}\t${c.description}\n`;
  text += "\nOPTIONS:\n";
  text += "  --help       Print usage\n";
  text += "  --version    Print version information and quit\n";
  text += `\nRun '${progname} COMMAND --help' for more information on a command.\n`;
  return text;
}

function compareBytes(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
