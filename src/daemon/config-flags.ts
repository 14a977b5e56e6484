import { imageError } from "../errors.ts";

/** How a flag takes its value. `list` and `map` may repeat; `bool` takes none or `=true|false`. */
type FlagKind = "string" | "list" | "bool" | "map" | "int";

interface FlagSpec {
  long: string;
  short?: string;
  /** The daemon.json key it sets (or our own name for flag-only settings). */
  key: string;
  kind: FlagKind;
  help: string;
}

/** `isulad`'s flags for images (isulad-behaviour §8), plus TLS, config file, help, version. */
export const FLAGS: readonly FlagSpec[] = [
  { long: "config-file", key: "config-file", kind: "string", help: "daemon.json to read" },
  { long: "graph", short: "g", key: "graph", kind: "string", help: "Root directory of storage" },
  { long: "state", short: "S", key: "state", kind: "string", help: "Root directory for state" },
  { long: "host", short: "H", key: "hosts", kind: "list", help: "Socket(s) to listen on" },
  { long: "group", short: "G", key: "group", kind: "string", help: "Group of the unix socket(s)" },
  { long: "pidfile", short: "p", key: "pidfile", kind: "string", help: "Path of the pid file" },
  { long: "registry-mirrors", key: "registry-mirrors", kind: "list", help: "Registry mirror" },
  {
    long: "insecure-registry",
    key: "insecure-registries",
    kind: "list",
    help: "Registry allowed over HTTP or without TLS verification",
  },
  {
    long: "insecure-skip-verify-enforce",
    key: "insecure-skip-verify-enforce",
    kind: "bool",
    help: "Skip TLS verification for every registry",
  },
  {
    long: "use-decrypted-key",
    key: "use-decrypted-key",
    kind: "bool",
    help: "Accepted for compatibility; has no effect",
  },
  {
    long: "image-layer-check",
    key: "image-layer-check",
    kind: "bool",
    help: "Verify stored layers after an unclean shutdown",
  },
  { long: "storage-driver", key: "storage-driver", kind: "string", help: "overlay2 or overlay" },
  { long: "storage-opt", short: "s", key: "storage-opts", kind: "list", help: "Storage option" },
  { long: "log-level", short: "l", key: "log-level", kind: "string", help: "FATAL..TRACE" },
  { long: "log-driver", key: "log-driver", kind: "string", help: "file or stdout" },
  { long: "log-opt", key: "log-opts", kind: "map", help: "Log option k=v" },
  {
    long: "max-concurrent-downloads",
    key: "max-concurrent-downloads",
    kind: "int",
    help: "Layers downloaded at once per pull",
  },
  {
    long: "pull-timeout",
    key: "pull-timeout",
    kind: "string",
    help: "Longest time one pull may take (90s, 10m; 0: no limit)",
  },
  { long: "tls", key: "tls", kind: "bool", help: "Use TLS on tcp hosts" },
  { long: "tlsverify", key: "tls-verify", kind: "bool", help: "Use TLS and verify clients" },
  { long: "tlscacert", key: "tls-ca", kind: "string", help: "CA clients must be signed by" },
  { long: "tlscert", key: "tls-cert", kind: "string", help: "TLS certificate file" },
  { long: "tlskey", key: "tls-key", kind: "string", help: "TLS key file" },
  { long: "help", key: "help", kind: "bool", help: "Print usage" },
  { long: "version", short: "v", key: "version", kind: "bool", help: "Print version" },
];

/** Flag values by key (daemon.json key names), plus the flag each came from for messages. */
export interface ParsedFlags {
  values: Record<string, string | string[] | boolean | number | Record<string, string>>;
  /** key → the flag as the user spelled it, e.g. `--log-level`. */
  spelled: Record<string, string>;
}

const byLong = new Map(FLAGS.map((f) => [f.long, f]));
const byShort = new Map(FLAGS.filter((f) => f.short).map((f) => [f.short as string, f]));

/**
 * Parses `isulad`'s argv (without node and script). Accepts `--name value`, `--name=value`,
 * `-x value`; repeats of list and map flags accumulate. Throws `InvalidArgument` naming the flag
 * for an unknown flag, a missing value, a positional argument, a bad boolean or integer, or a
 * `--log-opt` without `=`.
 */
export function parseFlags(argv: readonly string[]): ParsedFlags {
  const out: ParsedFlags = { values: {}, spelled: {} };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const { spec, name, inline } = lookup(arg);
    let value = inline;
    if (spec.kind !== "bool" && value === undefined) {
      value = argv[++i];
      if (value === undefined) throw imageError("InvalidArgument", `flag ${name} needs a value`);
    }
    out.spelled[spec.key] = name;
    store(out.values, spec, name, value);
  }
  return out;
}

function lookup(arg: string): { spec: FlagSpec; name: string; inline?: string } {
  let name = arg;
  let inline: string | undefined;
  if (arg.startsWith("--")) {
    const eq = arg.indexOf("=");
    if (eq > 0) [name, inline] = [arg.slice(0, eq), arg.slice(eq + 1)];
  } else if (/^-[A-Za-z]./.test(arg)) {
    [name, inline] = [arg.slice(0, 2), arg.slice(2)];
  }
  const spec = name.startsWith("--")
    ? byLong.get(name.slice(2))
    : name.startsWith("-")
      ? byShort.get(name.slice(1))
      : undefined;
  if (spec === undefined) {
    const what = arg.startsWith("-") ? `unknown flag: ${name}` : `unexpected argument "${arg}"`;
    throw imageError("InvalidArgument", what);
  }
  return inline === undefined ? { spec, name } : { spec, name, inline };
}

function store(
  values: ParsedFlags["values"],
  spec: FlagSpec,
  name: string,
  value: string | undefined,
): void {
  switch (spec.kind) {
    case "bool":
      if (value !== undefined && value !== "true" && value !== "false") {
        throw imageError("InvalidArgument", `flag ${name} takes true or false, not "${value}"`);
      }
      values[spec.key] = value !== "false";
      return;
    case "int":
      if (!/^[0-9]+$/.test(value as string)) {
        throw imageError("InvalidArgument", `flag ${name} needs an integer, not "${value}"`);
      }
      values[spec.key] = Number(value);
      return;
    case "list":
      values[spec.key] = [...((values[spec.key] as string[]) ?? []), value as string];
      return;
    case "map": {
      const eq = (value as string).indexOf("=");
      if (eq <= 0) throw imageError("InvalidArgument", `flag ${name} needs key=value`);
      const map = (values[spec.key] as Record<string, string>) ?? {};
      map[(value as string).slice(0, eq)] = (value as string).slice(eq + 1);
      values[spec.key] = map;
      return;
    }
    default:
      values[spec.key] = value as string;
  }
}

/** The text of `isulad --help`. */
export function renderHelp(): string {
  const rows = FLAGS.map((f) => {
    const names = f.short ? `-${f.short}, --${f.long}` : `    --${f.long}`;
    return `  ${names.padEnd(36)}${f.help}`;
  });
  return `Usage:  isulad [OPTIONS]\n\nisulad-ts image daemon\n\nOptions:\n${rows.join("\n")}\n`;
}
