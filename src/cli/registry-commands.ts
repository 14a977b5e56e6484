import { type CommandContext, EXIT_FAILURE } from "./output.ts";
import type { ParsedArgs } from "./parser.ts";

// The registry commands parse their options and check their argument count as iSulad does,
// then stop: the registry client does not exist yet. A user reaching them gets a plain sentence
// and exit 1, never a silent success.

function notYet(ctx: CommandContext, what: string): number {
  ctx.io.err(`${what} is not implemented yet in isulad-ts (issue #3)\n`);
  return EXIT_FAILURE;
}

/** `isula pull NAME[:TAG]`: argument check, then not implemented. */
export async function runPull(parsed: ParsedArgs, ctx: CommandContext): Promise<number> {
  if (parsed.args.length !== 1) return fail(ctx, "pull requires 1 argument.");
  // TODO(#3): pull through the registry client, drawing progress on a TTY (reference §1.4).
  return notYet(ctx, "Pulling images from a registry");
}

/** `isula login [-u USER] [-p PASS | --password-stdin] SERVER`: checks, then not implemented. */
export async function runLogin(parsed: ParsedArgs, ctx: CommandContext): Promise<number> {
  if (parsed.args.length !== 1) return fail(ctx, "login requires 1 argument.");
  // TODO(#3): prompts, --password-stdin and the auths.json store (reference §1.2, §4).
  return notYet(ctx, "Logging in to a registry");
}

/** `isula logout SERVER`: argument check, then not implemented. */
export async function runLogout(parsed: ParsedArgs, ctx: CommandContext): Promise<number> {
  if (parsed.args.length !== 1) return fail(ctx, "logout requires 1 argument.");
  // TODO(#3): remove the server's entry from auths.json (reference §1.3, §4.4).
  return notYet(ctx, "Logging out of a registry");
}

function fail(ctx: CommandContext, message: string): number {
  ctx.io.err(`${message}\n`);
  return EXIT_FAILURE;
}
