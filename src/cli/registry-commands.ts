import { formatDurationMs, parseDurationMs } from "../config/duration.ts";
import { type CommandContext, EXIT_FAILURE, reportError } from "./output.ts";
import { boolOption, type ParsedArgs, stringOption } from "./parser.ts";
import { ProgressView } from "./pull-progress.ts";
import { processTerminal, type Terminal } from "./terminal.ts";

/** A command context that may carry its own terminal (tests); `main` uses the process's. */
export type RegistryContext = CommandContext & { terminal?: Terminal };

/** iSulad's `LOGIN_USERNAME_LEN` / `LOGIN_PASSWORD_LEN`. */
const MAX_CREDENTIAL = 255;

/**
 * `isula pull [--platform os/arch[/variant]] NAME`: `Image "<arg>" pulling` (stderr), per-layer
 * progress redrawn in place when stdout is a terminal (nothing otherwise), then
 * `Image "<normalised name>" pulled` (stderr). A failure prints the service's message bare, as
 * iSulad's streaming pull does (`Failed to pull image <arg> with error: <reason>`,
 * `Invalid image name: <arg>`), and exits 1. Ctrl-C cancels the pull, which then cleans up;
 * so does `--timeout DURATION` once that long has passed (in daemon mode the RPC is cancelled,
 * and the daemon cleans up).
 */
export async function runPull(parsed: ParsedArgs, ctx: RegistryContext): Promise<number> {
  if (parsed.args.length !== 1) return fail(ctx, "pull requires 1 argument.");
  const name = parsed.args[0] as string;
  const terminal = ctx.terminal ?? processTerminal();
  const platform = stringOption(parsed, "platform");
  const timeoutText = stringOption(parsed, "timeout");
  const timeoutMs = timeoutText === undefined ? 0 : parseDurationMs(timeoutText);
  if (timeoutMs === undefined) {
    return fail(ctx, `invalid --timeout "${timeoutText}": give seconds or a duration such as 10m`);
  }

  ctx.io.err(`Image "${name}" pulling\n`);
  const view = terminal.stdoutIsTTY
    ? new ProgressView({ write: (t) => ctx.io.out(t), columns: () => terminal.columns() })
    : undefined;
  const abort = new AbortController();
  const stopListening = terminal.onInterrupt(() => abort.abort());
  let timedOut = false;
  const timer =
    timeoutMs > 0
      ? setTimeout(() => {
          timedOut = true;
          abort.abort();
        }, timeoutMs)
      : undefined;
  try {
    const result = await ctx.service.pull({
      name,
      ...(platform !== undefined ? { platform } : {}),
      signal: abort.signal,
      ...(view ? { onProgress: (p) => view.update(p) } : {}),
    });
    view?.finish();
    ctx.io.err(`Image "${result.name}" pulled\n`);
    return 0;
  } catch (err) {
    view?.finish();
    if (timedOut) {
      const after = formatDurationMs(timeoutMs);
      ctx.io.err(`Failed to pull image ${name} with error: timed out after ${after} (--timeout)\n`);
    } else {
      reportError(ctx.io, err, ctx.debug, { bare: true });
    }
    return EXIT_FAILURE;
  } finally {
    clearTimeout(timer);
    stopListening();
  }
}

/**
 * `isula login [-u USER] [-p PASS | --password-stdin] SERVER`, with iSulad's checks in its order
 * and its texts (reference §1.2): the `-p` warning and the mutual-exclusion message on stdout,
 * prompts on stdout (the password without echo), `Login Succeeded` on stderr. A password is
 * never printed, logged or put in an error message.
 */
export async function runLogin(parsed: ParsedArgs, ctx: RegistryContext): Promise<number> {
  if (parsed.args.length !== 1) return fail(ctx, "login requires 1 argument.");
  const server = parsed.args[0] as string;
  const terminal = ctx.terminal ?? processTerminal();
  let username = stringOption(parsed, "username");
  let password = stringOption(parsed, "password");
  const fromStdin = boolOption(parsed, "password-stdin");

  if (fromStdin && username === undefined) {
    return fail(ctx, "Must provide --username with --password-stdin");
  }
  if (password !== undefined) {
    ctx.io.out("WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n");
    if (fromStdin) {
      ctx.io.out("--password and --password-stdin are mutually exclusive\n");
      return EXIT_FAILURE;
    }
  }
  if (fromStdin) {
    password = stripLineEnd(await terminal.readAll(MAX_CREDENTIAL));
    if (password === "") return fail(ctx, "Error: Password Required");
  }
  if (username === undefined || password === undefined) {
    if (!terminal.stdinIsTTY) {
      return fail(ctx, "Error: Cannot perform an interactive login from a non TTY device");
    }
    if (username === undefined) {
      ctx.io.out("Username: ");
      username = await terminal.readLine({ echo: true, max: MAX_CREDENTIAL });
      // iSulad exits 1 silently on an empty name ("Non-null Username Required" is debug only).
      if (username === "") return EXIT_FAILURE;
    }
    if (password === undefined) {
      ctx.io.out("Password: ");
      password = await terminal.readLine({ echo: false, max: MAX_CREDENTIAL });
      ctx.io.out("\n");
      if (password === "") return EXIT_FAILURE;
    }
  }

  try {
    await ctx.service.login({ server, username, password });
  } catch (err) {
    reportError(ctx.io, err, ctx.debug);
    return EXIT_FAILURE;
  }
  ctx.io.err("Login Succeeded\n");
  return 0;
}

/** `isula logout SERVER`: `Logout Succeeded` (stderr), also when nothing was stored. */
export async function runLogout(parsed: ParsedArgs, ctx: CommandContext): Promise<number> {
  if (parsed.args.length !== 1) return fail(ctx, "logout requires 1 argument.");
  try {
    await ctx.service.logout({ server: parsed.args[0] as string });
  } catch (err) {
    reportError(ctx.io, err, ctx.debug);
    return EXIT_FAILURE;
  }
  ctx.io.err("Logout Succeeded\n");
  return 0;
}

/** `--password-stdin`: one trailing `\n`, then one trailing `\r`, are dropped (iSulad's order). */
export function stripLineEnd(text: string): string {
  let s = text;
  if (s.endsWith("\n")) s = s.slice(0, -1);
  if (s.endsWith("\r")) s = s.slice(0, -1);
  return s;
}

function fail(ctx: CommandContext, message: string): number {
  ctx.io.err(`${message}\n`);
  return EXIT_FAILURE;
}
