import { createWriteStream } from "node:fs";
import { chmod, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { isValidTagTarget } from "../reference/parse-reference.ts";
import { statQuietly } from "./file-checks.ts";
import { type Interrupt, interruptExitCode, listenForInterrupt } from "./interrupt.ts";
import { absoluteInput } from "./load-command.ts";
import { type CommandContext, EXIT_FAILURE, reportError } from "./output.ts";
import type { ParsedArgs } from "./parser.ts";

/** A command context that may carry its own stdin (tests); `main` uses the process's. */
export type ImportContext = CommandContext & { stdin?: AsyncIterable<Uint8Array> };

/**
 * `isula import FILE|- REPOSITORY[:TAG]`: a one-layer image from a rootfs tarball (plain, gzip,
 * xz or zstd), `sha256:<id>` on stdout. `-` reads the tarball from stdin: it is copied to a
 * temporary file first, which the service (in daemon mode, the daemon) reads like any path and
 * which is removed afterwards. Failures print the reason, then iSulad's
 * `Import tarball "<file>" to "<name>" failed`; every failure exits 1. SIGINT or SIGTERM
 * cancels the copy and the import (the daemon's too): one line, exit 130 or 143.
 */
export async function runImport(parsed: ParsedArgs, ctx: ImportContext): Promise<number> {
  if (parsed.args.length !== 2) return fail(ctx, `"import" requires exactly 2 arguments.`);
  const [input, name] = parsed.args as [string, string];
  if (!isValidTagTarget(name)) return fail(ctx, `${name} is not a valid image name`);

  const interrupt = listenForInterrupt();
  try {
    return await importWith(input, name, ctx, interrupt);
  } finally {
    interrupt.stop();
  }
}

async function importWith(
  input: string,
  name: string,
  ctx: ImportContext,
  interrupt: Interrupt,
): Promise<number> {
  const cancelled = () => {
    const got = interrupt.received();
    if (got === undefined) return undefined;
    ctx.io.err(`Import tarball "${input}" to "${name}" cancelled by ${got}\n`);
    return interruptExitCode(got);
  };
  let file: string;
  let cleanup = async () => {};
  if (input === "-") {
    try {
      ({ file, cleanup } = await copyStdin(ctx.stdin ?? process.stdin, interrupt.signal));
    } catch (err) {
      const code = cancelled();
      if (code !== undefined) return code;
      ctx.io.err(`reading the tarball from stdin: ${(err as Error).message}\n`);
      return fail(ctx, `Import tarball "-" to "${name}" failed`);
    }
  } else {
    file = absoluteInput(input, ctx.cwd);
    const stat = statQuietly(file);
    if (stat === undefined) return fail(ctx, `File ${file} is not exist`);
    if (stat.isDirectory()) return fail(ctx, `Import file is a directory: ${file}`);
  }

  try {
    const { id } = await ctx.service.importImage({ file, name, signal: interrupt.signal });
    ctx.io.out(`sha256:${id}\n`);
    return 0;
  } catch (err) {
    const code = cancelled();
    if (code !== undefined) return code;
    reportError(ctx.io, err, ctx.debug);
    return fail(ctx, `Import tarball "${input}" to "${name}" failed`);
  } finally {
    await cleanup();
  }
}

/**
 * Copies stdin into a new temporary directory. The directory is 0711 and the file 0644 so that a
 * daemon running as another user can read it by its (unguessable) name; both go in `cleanup`.
 */
async function copyStdin(
  stdin: AsyncIterable<Uint8Array>,
  signal: AbortSignal,
): Promise<{ file: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), "isula-import-"));
  const cleanup = () => rm(dir, { recursive: true, force: true });
  try {
    await chmod(dir, 0o711);
    const file = join(dir, "rootfs.tar");
    await pipeline(stdin, createWriteStream(file, { mode: 0o644, flags: "wx" }), { signal });
    return { file, cleanup };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

function fail(ctx: CommandContext, message: string): number {
  ctx.io.err(`${message}\n`);
  return EXIT_FAILURE;
}
