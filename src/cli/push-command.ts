import { ImageError } from "../errors.ts";
import type { PushProgress } from "../push/types.ts";
import { remoteTarget } from "../reference/normalise.ts";
import { parseReference } from "../reference/parse-reference.ts";
import { type CommandContext, EXIT_FAILURE, reportError } from "./output.ts";
import type { ParsedArgs } from "./parser.ts";
import { processTerminal, type Terminal } from "./terminal.ts";

/**
 * `isula push NAME[:TAG]` (ours; iSulad has no push), printing what Docker prints on stdout:
 * `The push refers to repository [<host>/<repository>]`, one line per layer as it settles
 * (`<id>: Pushed`, `<id>: Layer already exists`, `<id>: Mounted from <repo>`), then
 * `<tag>: digest: sha256:... size: <n>`. A failure prints the service's message bare (as
 * `pull` does: `Failed to push image <arg> with error: <reason>`, `An image does not exist
 * locally with the tag: <arg>`) on stderr and exits 1. Ctrl-C cancels the push.
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
  // TODO(#7): on a terminal, draw each layer's upload bar in place as pull does.
  const printed = new Set<string>();
  const onProgress = (p: PushProgress) => {
    const line = settledLine(p);
    if (line === undefined || printed.has(p.id)) return;
    printed.add(p.id);
    ctx.io.out(`${line}\n`);
  };
  try {
    const r = await ctx.service.push({ name, signal: abort.signal, onProgress });
    ctx.io.out(`${r.reference}: digest: ${r.digest} size: ${r.size}\n`);
    return 0;
  } catch (err) {
    if (err instanceof ImageError) {
      ctx.io.err(`${err.message}\n`);
      if (ctx.debug && err.stack) ctx.io.err(`${err.stack}\n`);
    } else {
      reportError(ctx.io, err, ctx.debug);
    }
    return EXIT_FAILURE;
  } finally {
    stopListening();
  }
}

/** Docker's line for a layer's final state, or undefined while it is still moving. */
export function settledLine(p: PushProgress): string | undefined {
  switch (p.status) {
    case "pushed":
      return `${p.id}: Pushed`;
    case "exists":
      return `${p.id}: Layer already exists`;
    case "mounted":
      return `${p.id}: Mounted from ${p.from ?? ""}`;
    default:
      return undefined;
  }
}

function fail(ctx: CommandContext, message: string): number {
  ctx.io.err(`${message}\n`);
  return EXIT_FAILURE;
}
