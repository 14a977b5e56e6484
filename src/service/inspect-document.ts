import type { ImageRecord } from "../image/types.ts";
import type { ImageConfig } from "../oci/types.ts";
import { repoDigests, repoTags } from "./names.ts";

// The config keys iSulad's inspect schema keeps, in its order; anything else (Docker's
// container_config, docker_version, ...) is dropped, as iSulad does (reference §3.1).
const SPEC_KEYS = ["created", "author", "architecture", "variant", "os", "os.version"] as const;
const CONFIG_KEYS = [
  "User",
  "ExposedPorts",
  "Env",
  "Entrypoint",
  "Cmd",
  "Volumes",
  "WorkingDir",
  "Labels",
  "StopSignal",
  "ArgsEscaped",
  "Healthcheck",
] as const;
const HISTORY_KEYS = ["created", "author", "created_by", "comment", "empty_layer"] as const;

function pick(source: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of keys) if (source[k] !== undefined) out[k] = source[k];
  return out;
}

/** The config as iSulad's inspect shows it under `Spec`: schema keys only, in schema order. */
export function inspectSpec(config: ImageConfig): Record<string, unknown> {
  const spec = pick(config, SPEC_KEYS);
  if (config.config) spec.config = pick(config.config, CONFIG_KEYS);
  spec.rootfs = { diff_ids: config.rootfs?.diff_ids ?? [], type: config.rootfs?.type ?? "layers" };
  if (Array.isArray(config.history)) {
    spec.history = config.history.map((h) => pick(h as Record<string, unknown>, HISTORY_KEYS));
  }
  return spec;
}

/** `uid` or `username` from the config's `User` ("1000:1000" → uid 1000; "nobody" → username). */
function userFields(user: string | undefined): Record<string, unknown> {
  const name = (user ?? "").split(":")[0] ?? "";
  if (name === "") return {};
  if (/^\d+$/.test(name)) return { uid: { value: Number(name) } };
  return { username: name };
}

function healthcheck(config: ImageConfig): Record<string, unknown> | undefined {
  const hc = config.config?.Healthcheck as Record<string, unknown> | undefined;
  if (!hc || !Array.isArray(hc.Test) || hc.Test.length === 0) return undefined;
  return {
    Test: hc.Test,
    Interval: hc.Interval ?? 0,
    Timeout: hc.Timeout ?? 0,
    StartPeriod: hc.StartPeriod ?? 0,
    Retries: hc.Retries ?? 0,
    ExitOnUnhealthy: hc.ExitOnUnhealthy ?? false,
  };
}

/**
 * The document `isula inspect` prints for an OCI image: `{"image": {...}}` with iSulad's keys
 * and order (reference §3.1). `size` has no off-by-one (DESIGN §5).
 */
export function inspectDocument(image: ImageRecord, config: ImageConfig): { image: unknown } {
  const doc: Record<string, unknown> = {
    id: image.id,
    repo_tags: repoTags(image),
    repo_digests: repoDigests(image),
  };
  if (image.topLayer) doc.top_layer = image.topLayer;
  doc.size = image.size;
  if (image.created) doc.created = image.created;
  doc.loaded = image.loaded;
  Object.assign(doc, userFields(config.config?.User));
  doc.Spec = inspectSpec(config);
  const hc = healthcheck(config);
  if (hc) doc.Healthcheck = hc;
  return { image: doc };
}
