import { isAbsolute } from "node:path";
import { z } from "zod";
import { LOG_LEVELS, MAX_HOSTS } from "./config-defaults.ts";
import { parseHost } from "./hosts.ts";

/** True for an address the server can listen on (`hosts.ts`: `unix:///path`, `tcp://h:p`). */
export function isListenAddress(address: string): boolean {
  try {
    parseHost(address);
    return true;
  } catch {
    return false;
  }
}

/** `1MB`, `30KB`, `10m`, `512` (bytes) → bytes; undefined when malformed or zero. */
export function parseSize(text: string): number | undefined {
  const m = /^([0-9]+)\s*([kmg]?)i?b?$/i.exec(text.trim());
  if (!m) return undefined;
  const unit = { "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[(m[2] as string).toLowerCase()];
  const n = Number(m[1]) * (unit as number);
  return n > 0 ? n : undefined;
}

const absolutePath = z.string().refine(isAbsolute, { error: "must be an absolute path" });
const nonEmpty = z.string().trim().min(1, { error: "must not be empty" });

const STORAGE_OPT = /^(overlay2?)\.(override_kernel_check|size|basesize|skip_mount_home|mountopt)=/;

/** The `log-opts` keys iSulad knows for the daemon log; values are strings, as in daemon.json. */
export const logOptsSchema = z.strictObject({
  "log-path": absolutePath.optional(),
  "max-file": z
    .string()
    .regex(/^[1-9][0-9]*$/, { error: "must be a positive integer" })
    .optional(),
  "max-size": z
    .string()
    .refine((s) => parseSize(s) !== undefined, { error: 'must be a size such as "1MB" or "30KB"' })
    .optional(),
  "log-file-mode": z
    .string()
    .regex(/^0?[0-7]{3}$/, { error: 'must be an octal mode such as "0600"' })
    .optional(),
});

/**
 * daemon.json keys of an image daemon: iSulad's for images (isulad-behaviour §8), `tls*` for tcp
 * hosts, and `max-concurrent-downloads`. The registry keys are typed `unknown` here because
 * `config/registry-config.ts` checks them (the CLI reads them too). Unknown keys are errors.
 */
export const daemonJsonSchema = z.strictObject({
  graph: z.unknown().optional(), // checked by config/paths.ts
  state: z.unknown().optional(), // checked by config/paths.ts
  hosts: z
    .array(
      z
        .string()
        .refine(isListenAddress, { error: "must be unix:///<absolute path> or tcp://host:port" }),
    )
    .max(MAX_HOSTS, { error: `must list at most ${MAX_HOSTS} hosts` })
    .optional(),
  group: nonEmpty.optional(),
  pidfile: absolutePath.optional(),
  "registry-mirrors": z.unknown().optional(),
  "insecure-registries": z.unknown().optional(),
  "insecure-skip-verify-enforce": z.unknown().optional(),
  "max-concurrent-downloads": z.unknown().optional(),
  "pull-timeout": z.unknown().optional(),
  "use-decrypted-key": z.boolean({ error: "must be true or false" }).optional(),
  "image-layer-check": z.boolean({ error: "must be true or false" }).optional(),
  "storage-driver": z
    .enum(["overlay2", "overlay"], { error: 'must be "overlay2" or "overlay"' })
    .optional(),
  "storage-opts": z
    .array(z.string().regex(STORAGE_OPT, { error: "is not an overlay2 option" }))
    .optional(),
  "log-level": z
    .string()
    .transform((s) => s.toUpperCase())
    .pipe(z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(", ")}` }))
    .optional(),
  "log-driver": z.enum(["file", "stdout"], { error: 'must be "file" or "stdout"' }).optional(),
  "log-opts": logOptsSchema.optional(),
  tls: z.boolean({ error: "must be true or false" }).optional(),
  "tls-verify": z.boolean({ error: "must be true or false" }).optional(),
  "tls-config": z
    .strictObject({
      CAFile: absolutePath.optional(),
      CertFile: absolutePath.optional(),
      KeyFile: absolutePath.optional(),
    })
    .optional(),
});

export type DaemonJson = z.infer<typeof daemonJsonSchema>;

/**
 * Keys of iSulad's daemon.json that concern containers, not images: accepted so that an
 * existing iSulad daemon.json works, and ignored (the daemon logs which at start).
 */
export const CONTAINER_KEYS = new Set([
  "default-runtime",
  "engine",
  "hook-spec",
  "start-timeout",
  "container-log",
  "native.umask",
  "network-plugin",
  "cni-bin-dir",
  "cni-conf-dir",
  "pod-sandbox-image",
  "runtimes",
  "cgroup-parent",
  "default-ulimits",
  "websocket-server-listening-port",
  "selinux-enabled",
  "systemd-cgroup",
  "cri-runtimes",
  "enable-pod-events",
  "storage-enable-remote-layer",
  "userns-remap",
  "image-server-sock-addr",
]);

/** One line per zod issue: `"log-opts.max-file" in "<file>" must be a positive integer`. */
export function describeIssues(issues: z.core.$ZodIssue[], where: string): string {
  return issues
    .map((issue) => {
      if (issue.code === "unrecognized_keys") {
        const prefix = issue.path.length > 0 ? `${issue.path.join(".")}.` : "";
        return issue.keys.map((k) => `unknown key "${prefix}${k}" in ${where}`).join("\n");
      }
      return `"${issue.path.join(".")}" in ${where} ${issue.message}`;
    })
    .join("\n");
}
