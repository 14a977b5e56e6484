/**
 * The option parser of every `isula` sub-command, table-driven like iSulad's `command_parser.c`
 * and printing its messages (reference §1.1, libraries.md §0):
 *
 * - options come before arguments: parsing stops at the first argument that is not an option
 *   (`-` alone counts as an argument) and after `--`;
 * - short flags cluster (`-qf x`); a value option takes the rest of its cluster (`-fx`, `-f=x`)
 *   or else the next argument. iSulad takes the next argument and then trips over the rest of the
 *   cluster (`-qfx y` → `Unknown flag found:'x'`); we read `-fx` as getopt and pflag do;
 * - long options take `--opt=value` or `--opt value`; a long name matches exactly;
 * - bool flags accept `--x=true|false` (and `1 t T TRUE True`, `0 f F FALSE False`);
 * - `--help` stops parsing and asks for the help text.
 */

/** How an option takes its value. `list` options repeat and keep every value in order. */
export type OptionKind = "bool" | "string" | "list" | "int";

/** One row of a command's option table. */
export interface OptionSpec {
  /** Long name without dashes, the key of the parsed value. */
  long: string;
  /** One-character short name, if any. */
  short?: string;
  kind: OptionKind;
  /** Help text, printed as is. */
  description: string;
  /** Checks a value as soon as it is read; returns the message to print, or undefined. */
  check?: (value: string) => string | undefined;
}

/** A parsed value: `true`/`false` for bool, the last string, every string of a list, an int. */
export type OptionValue = boolean | string | string[] | number;

/** The result of a successful parse. */
export interface ParsedArgs {
  /** Values by long name; options not given are absent. */
  values: Map<string, OptionValue>;
  /** Positional arguments, in order. */
  args: string[];
  /** `--help` was given: print the help text and stop. */
  help: boolean;
}

/**
 * A command-line mistake. `unknownFlag` errors always exit 125 (iSulad exits from inside its
 * parser); other parse errors exit with the command's own usage code.
 */
export class UsageError extends Error {
  readonly unknownFlag: boolean;

  constructor(message: string, unknownFlag = false) {
    super(message);
    this.name = "UsageError";
    this.unknownFlag = unknownFlag;
  }
}

const TRUE_WORDS = new Set(["1", "t", "T", "true", "TRUE", "True"]);
const FALSE_WORDS = new Set(["0", "f", "F", "false", "FALSE", "False"]);

/** Parses a bool the way iSulad's `util_str_to_bool` does; undefined when not a bool word. */
export function parseBoolWord(word: string): boolean | undefined {
  if (TRUE_WORDS.has(word)) return true;
  if (FALSE_WORDS.has(word)) return false;
  return undefined;
}

/**
 * Parses `argv` (the words after the command name) against `options`. Throws `UsageError` with
 * iSulad's message on an unknown flag, a missing value or a bad value.
 */
export function parseArgs(options: readonly OptionSpec[], argv: readonly string[]): ParsedArgs {
  const state = { values: new Map<string, OptionValue>(), i: 0 };

  for (; state.i < argv.length; state.i++) {
    const word = argv[state.i] as string;
    if (!word.startsWith("-") || word === "-") break;
    if (word === "--") {
      state.i++;
      break;
    }
    const help = word.startsWith("--")
      ? parseLong(options, word.slice(2), argv, state)
      : parseCluster(options, word.slice(1), argv, state);
    if (help) return { values: state.values, args: [], help: true };
  }

  return { values: state.values, args: argv.slice(state.i), help: false };
}

interface ParseState {
  values: Map<string, OptionValue>;
  i: number;
}

function parseLong(
  options: readonly OptionSpec[],
  body: string,
  argv: readonly string[],
  state: ParseState,
): boolean {
  const eq = body.indexOf("=");
  const name = eq < 0 ? body : body.slice(0, eq);
  const inline = eq < 0 ? undefined : body.slice(eq + 1);

  if (name === "help") {
    if (inline === undefined) return true;
    const on = parseBoolWord(inline);
    if (on === undefined) throw new UsageError(`Invalid boolean value "${inline}" for flag --help`);
    return on;
  }

  const spec = options.find((o) => o.long === name);
  // iSulad's message carries a trailing newline of its own: an extra blank line follows.
  if (!spec) throw new UsageError(`Unknown flag found:'--${body}'\n`, true);
  if (spec.kind === "bool") {
    setBool(state.values, spec, inline);
    return false;
  }
  let value = inline;
  if (value === undefined) {
    if (state.i + 1 >= argv.length) throw new UsageError(`Flag needs an argument: --${spec.long}`);
    state.i++;
    value = argv[state.i] as string;
  }
  setValue(state.values, spec, value);
  return false;
}

function parseCluster(
  options: readonly OptionSpec[],
  cluster: string,
  argv: readonly string[],
  state: ParseState,
): boolean {
  for (let k = 0; k < cluster.length; k++) {
    const letter = cluster[k] as string;
    const spec = options.find((o) => o.short === letter);
    if (!spec) throw new UsageError(`Unknown flag found:'${letter}'`, true);
    const rest = cluster.slice(k + 1);
    const inline = rest.startsWith("=") ? rest.slice(1) : undefined;

    if (spec.kind === "bool") {
      setBool(state.values, spec, inline);
      if (inline !== undefined) return false;
      continue;
    }
    let value = inline ?? (rest === "" ? undefined : rest);
    if (value === undefined) {
      if (state.i + 1 >= argv.length)
        throw new UsageError(`Flag needs an argument: --${spec.long}`);
      state.i++;
      value = argv[state.i] as string;
    }
    setValue(state.values, spec, value);
    return false;
  }
  return false;
}

function setBool(values: Map<string, OptionValue>, spec: OptionSpec, inline?: string): void {
  if (inline === undefined) {
    values.set(spec.long, true);
    return;
  }
  const on = parseBoolWord(inline);
  if (on === undefined) {
    throw new UsageError(`Invalid boolean value "${inline}" for flag --${spec.long}`);
  }
  values.set(spec.long, on);
}

function setValue(values: Map<string, OptionValue>, spec: OptionSpec, value: string): void {
  const problem = spec.check?.(value);
  if (problem !== undefined) throw new UsageError(problem);

  if (spec.kind === "int") {
    values.set(spec.long, parseIntValue(spec, value));
  } else if (spec.kind === "list") {
    const list = values.get(spec.long);
    if (Array.isArray(list)) list.push(value);
    else values.set(spec.long, [value]);
  } else {
    values.set(spec.long, value);
  }
}

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

/** A decimal 32-bit integer, as iSulad's `util_safe_int` accepts for `-t` and friends. */
function parseIntValue(spec: OptionSpec, value: string): number {
  const n = /^[+-]?\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
  if (!Number.isInteger(n) || n < INT32_MIN || n > INT32_MAX) {
    throw new UsageError(`Invalid value "${value}" for flag --${spec.long}`);
  }
  return n;
}

/** The last string given for `name`, or undefined. */
export function stringOption(parsed: ParsedArgs, name: string): string | undefined {
  const v = parsed.values.get(name);
  return typeof v === "string" ? v : undefined;
}

/** True when the bool flag `name` was given and not set to false. */
export function boolOption(parsed: ParsedArgs, name: string): boolean {
  return parsed.values.get(name) === true;
}

/** Every value given for the list option `name` (empty when none). */
export function listOption(parsed: ParsedArgs, name: string): string[] {
  const v = parsed.values.get(name);
  return Array.isArray(v) ? v : [];
}

/** The int given for `name`, or `fallback`. */
export function intOption(parsed: ParsedArgs, name: string, fallback: number): number {
  const v = parsed.values.get(name);
  return typeof v === "number" ? v : fallback;
}
