import type { PushProgress } from "../push/types.ts";
import { remoteTarget } from "../reference/normalise.ts";
import { parseReference } from "../reference/parse-reference.ts";
import { type CommandContext, EXIT_FAILURE, reportError } from "./output.ts";
import type { ParsedArgs } from "./parser.ts";
import { ProgressView } from "./pull-progress.ts";
import { pushLine, settledLine } from "./push-progress.ts";
import { processTerminal, type Terminal } from "./terminal.ts";

/**
 * `isula push NAME[:TAG]` (ours; iSulad has no push), printing what Docker prints on stdout:
 * `The push refers to repository [<host>/<repository>]`, then per layer: on a terminal, one
 * line each redrawn in place (`Preparing`, `Waiting`, `Pushing [==>  ] cur/total`, then the
 * final state); otherwise one line per layer as it settles (`<id>: Pushed`, `<id>: Layer
 * already exists`, `<id>: Mounted from <repo>`); then `<tag>: digest: sha256:... size: <n>`.
 * A failure prints the service's message bare (as `pull` does: `Failed to push image <arg>
 * with error: <reason>`, `An image does not exist locally with the tag: <arg>`) on stderr and
 * exits 1. Ctrl-C cancels the push.
 */
export async function runPush(
  parsed: ParsedArgs,
  ctx: CommandContext & { terminal?: Terminal },
): Promise<number> {
  if (parsed.args.length !== 1) return fail(ctx, "push requires 1 argument.");
  const name = parsed.args[0] as string;
  let repository: string;
  try {
    const t = remoteTarget(parseReference(name));
    repository = `${t.host}/${t.repository}`;
  } catch {
    return fail(ctx, `Invalid image name: ${name}`);
  }
  const terminal = ctx.terminal ?? processTerminal();
  const abort = new AbortController();
  const stopListening = terminal.onInterrupt(() => abort.abort());
  ctx.io.out(`The push refers to repository [${repository}]\n`);
  const view = terminal.stdoutIsTTY
    ? new ProgressView<PushProgress>({
        write: (t) => ctx.io.out(t),
        columns: () => terminal.columns(),
        line: pushLine,
      })
    : undefined;
  const onProgress = view ? (p: PushProgress) => view.update(p) : settledPrinter(ctx);
  try {
    const r = await ctx.service.push({ name, signal: abort.signal, onProgress });
    view?.finish();
    ctx.io.out(`${r.reference}: digest: ${r.digest} size: ${r.size}\n`);
    return 0;
  } catch (err) {
    view?.finish();
    reportError(ctx.io, err, ctx.debug, { bare: true });
    return EXIT_FAILURE;
  } finally {
    stopListening();
  }
}

/** Not on a terminal: each layer's final state once, as it settles. */
function settledPrinter(ctx: CommandContext): (p: PushProgress) => void {
  const printed = new Set<string>();
  return (p) => {
    const line = settledLine(p);
    if (line === undefined || printed.has(p.id)) return;
    printed.add(p.id);
    ctx.io.out(`${line}\n`);
  };
}

function fail(ctx: CommandContext, message: string): number {
  ctx.io.err(`${message}\n`);
  return EXIT_FAILURE;
}
