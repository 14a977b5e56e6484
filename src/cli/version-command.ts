import { readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { CommandContext } from "./output.ts";
import type { ParsedArgs } from "./parser.ts";

/** What `isula version` reports about the running client. */
export interface VersionInfo {
  version: string;
  commit: string;
  buildTime: string;
}

/**
 * Finds the version of the running client: `version` of the nearest `package.json` named
 * `isulad-ts` above this file (the bundle or the source), the commit `HEAD` points to when a
 * `.git` folder sits beside it, and the modification time of the running file as build time.
 * Missing pieces read `unknown`; never throws.
 */
export function readVersionInfo(moduleUrl: string = import.meta.url): VersionInfo {
  const file = fileURLToPath(moduleUrl);
  const info: VersionInfo = { version: "unknown", commit: "unknown", buildTime: "unknown" };
  try {
    info.buildTime = statSync(file).mtime.toISOString();
  } catch {}

  for (let dir = dirname(file), depth = 0; depth < 5; dir = dirname(dir), depth++) {
    const pkg = readJson(join(dir, "package.json"));
    if (pkg?.name !== "isulad-ts") continue;
    if (typeof pkg.version === "string") info.version = pkg.version;
    info.commit = readGitCommit(join(dir, ".git")) ?? "unknown";
    break;
  }
  return info;
}

function readJson(path: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(readFileSync(path, "utf8"));
  } catch {
    return undefined;
  }
}

function readGitCommit(gitDir: string): string | undefined {
  try {
    const head = readFileSync(join(gitDir, "HEAD"), "utf8").trim();
    if (!head.startsWith("ref: ")) return head.slice(0, 12);
    const ref = head.slice(5);
    try {
      return readFileSync(join(gitDir, ref), "utf8").trim().slice(0, 12);
    } catch {
      const packed = readFileSync(join(gitDir, "packed-refs"), "utf8");
      const line = packed.split("\n").find((l) => l.endsWith(` ${ref}`));
      return line?.slice(0, 12);
    }
  } catch {
    return undefined;
  }
}

/** The lines of `isula version` (and `isula --version`). */
export function renderVersion(info: VersionInfo): string {
  return (
    "Client:\n" +
    `  Version:\t${info.version}\n` +
    `  Git commit:\t${info.commit}\n` +
    `  Build time:\t${info.buildTime}\n` +
    `  Node.js:\t${process.version}\n`
  );
}

/** `isula version`: the client's version lines on stdout; never fails. */
export async function runVersion(_parsed: ParsedArgs, ctx: CommandContext): Promise<number> {
  ctx.io.out(renderVersion(readVersionInfo()));
  return 0;
}
