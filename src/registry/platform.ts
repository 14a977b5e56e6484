import { readFileSync } from "node:fs";
import { machine, type } from "node:os";
import { imageError } from "../errors.ts";
import type { Descriptor, Platform } from "../oci/types.ts";

/** iSulad's mapping of `uname -m` to an OCI architecture (behaviour reference §5.4). */
const ARCH_OF_MACHINE: Record<string, string> = {
  i386: "386",
  x86_64: "amd64",
  "x86-64": "amd64",
  aarch64: "arm64",
  armhf: "arm",
  armel: "arm",
  mips64el: "mips64le",
  mips64le: "mips64le",
  loongarch64: "loong64",
};

/** The OCI architecture iSulad derives from a `uname -m` value; unknown values pass through. */
export function architectureOfMachine(unameMachine: string): string {
  if (/^armv\d/.test(unameMachine)) return "arm";
  return ARCH_OF_MACHINE[unameMachine] ?? unameMachine;
}

/**
 * The platform of this host as iSulad computes it: OS from `uname` (lower-cased), architecture
 * mapped from `uname -m`, variant only on arm (from `/proc/cpuinfo`, default `v7`).
 */
export function platformOfThisHost(): Platform {
  const os = type().toLowerCase();
  const architecture = architectureOfMachine(machine());
  if (architecture !== "arm") return { os, architecture };
  return { os, architecture, variant: armVariant() };
}

function armVariant(): string {
  try {
    const cpuinfo = readFileSync("/proc/cpuinfo", "utf8");
    const m = /^CPU architecture\s*:\s*(\d+)/m.exec(cpuinfo);
    if (m?.[1]) return `v${m[1]}`;
  } catch {
    // No /proc/cpuinfo (a container without /proc): iSulad's default below.
  }
  return "v7";
}

/**
 * Parses `os/arch[/variant]` as `--platform` takes it. Throws `InvalidArgument` for anything
 * else (empty parts, more than three parts).
 */
export function parsePlatform(s: string): Platform {
  const parts = s.split("/");
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => p.length === 0))
    throw imageError("InvalidArgument", `invalid platform "${s}": want os/arch[/variant]`);
  const [os, architecture, variant] = parts.map((p) => p.toLowerCase()) as [
    string,
    string,
    string?,
  ];
  return variant === undefined ? { os, architecture } : { os, architecture, variant };
}

/** `os/arch[/variant]` of a platform, as users write it. */
export function formatPlatform(p: Platform): string {
  const base = `${p.os}/${p.architecture}`;
  return p.variant ? `${base}/${p.variant}` : base;
}

/** arm64 reports variant v8, which iSulad treats as no variant; arm's `7` means `v7`. */
function normalVariant(p: Platform): string | undefined {
  let v = p.variant?.toLowerCase();
  if (v === undefined || v === "") return undefined;
  if (/^\d+$/.test(v)) v = `v${v}`;
  if (p.architecture.toLowerCase() === "arm64" && v === "v8") return undefined;
  return v;
}

/**
 * True when an index entry's platform matches the wanted one the way iSulad compares them: OS
 * and architecture equal ignoring case; variants compared only when both sides have one.
 */
export function platformMatches(entry: Platform, want: Platform): boolean {
  if (entry.os.toLowerCase() !== want.os.toLowerCase()) return false;
  if (entry.architecture.toLowerCase() !== want.architecture.toLowerCase()) return false;
  const a = normalVariant(entry);
  const b = normalVariant(want);
  return a === undefined || b === undefined || a === b;
}

/**
 * Picks the manifest for `want` from an index's entries: the first entry whose platform matches
 * (entries without a platform are skipped). Throws `NotFound` listing the platforms offered.
 */
export function selectManifest(entries: Descriptor[], want: Platform, what: string): Descriptor {
  const found = entries.find((e) => e.platform !== undefined && platformMatches(e.platform, want));
  if (found) return found;
  const offered = entries.flatMap((e) => (e.platform ? [formatPlatform(e.platform)] : []));
  const list = offered.length > 0 ? offered.join(", ") : "none";
  throw imageError(
    "NotFound",
    `${what} has no manifest for platform ${formatPlatform(want)} (offered: ${list})`,
  );
}
