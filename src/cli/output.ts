import { ImageError } from "../errors.ts";
import { CANNOT_CONNECT } from "../service/open.ts";
import type { ImageService } from "../service/types.ts";
import type { ParsedArgs } from "./parser.ts";

/** Where a command writes. Strings are written as given: callers add their own `\n`. */
export interface Output {
  out(text: string): void;
  err(text: string): void;
}

/** What a command handler receives besides its parsed options. */
export interface CommandContext {
  /** The service; in `main` it opens on first use, so argument checks never touch the store. */
  service: ImageService;
  io: Output;
  /** Directory relative paths are resolved against. */
  cwd: string;
  /** `-D`: print stack traces of unexpected errors. */
  debug: boolean;
}

/** A sub-command: parsed options in, exit code out. Never throws for expected failures. */
export type CommandHandler = (parsed: ParsedArgs, ctx: CommandContext) => Promise<number>;

/** Exit codes of iSulad (`ECOMMON`, `EINVALIDARGS`). */
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 125;

/**
 * An error raised before any request reached the service: the daemon could not be reached, or
 * the direct-mode store could not be opened. Printed bare, without the daemon prefix.
 */
export class ConnectError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ConnectError";
  }
}

/**
 * Prints a failure of a service call: the one place that turns errors into text.
 *
 * An `ImageError` prints as `Error response from daemon: <message>`. That is iSulad's wording
 * for a failure the daemon reported; we keep it in direct mode too, so that scripts see the same
 * line whether or not a daemon served the request. Anything else is a bug or an environment
 * problem: its message alone. With `-D` the stack follows, for both.
 */
export function reportError(
  io: Output,
  err: unknown,
  debug: boolean,
  opts: { bare?: boolean } = {},
): void {
  // A daemon that cannot be reached did not respond: iSulad prints its text bare, also when
  // the connection is lost in the middle of a call (a tcp:// daemon's line may add why).
  // `bare`: the streaming commands (pull, push) print the daemon's message with no prefix.
  if (err instanceof ImageError && !opts.bare && !err.message.startsWith(CANNOT_CONNECT)) {
    io.err(`Error response from daemon: ${err.message}\n`);
  } else if (err instanceof Error) {
    io.err(`${err.message}\n`);
  } else {
    io.err(`${String(err)}\n`);
  }
  if (debug) printStacks(io, err);
}

/** `-D`: the stack of `err`, then of each error in its `cause` chain. */
function printStacks(io: Output, err: unknown): void {
  let prefix = "";
  for (let e = err, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    if (e.stack) io.err(`${prefix}${e.stack}\n`);
    prefix = "Caused by: ";
  }
}

/** An `Output` that collects text, for tests and for commands that print all or nothing. */
export function bufferOutput(): Output & { stdout: string; stderr: string } {
  const buf = {
    stdout: "",
    stderr: "",
    out(text: string) {
      buf.stdout += text;
    },
    err(text: string) {
      buf.stderr += text;
    },
  };
  return buf;
}
