import { parseJson } from "../digest/bounded-read.ts";
import { imageError } from "../errors.ts";

/** The parts of an image config the store records. */
export interface ConfigFacts {
  /** `created`, verbatim; "" when absent or not a string. */
  created: string;
  /** `config.Labels` with string values only; `{}` when none. */
  labels: Record<string, string>;
  /** `rootfs.diff_ids`, when the config has them. */
  diffIds?: string[];
}

/** Reads {@link ConfigFacts} from config bytes; `InvalidArgument` when they are not a JSON object. */
export function readConfigFacts(config: Buffer): ConfigFacts {
  const doc = parseJson(config, "image config");
  if (!isObject(doc)) throw imageError("InvalidArgument", "image config is not a JSON object");

  const labels: Record<string, string> = {};
  const raw = isObject(doc.config) ? doc.config.Labels : undefined;
  if (isObject(raw)) {
    for (const [k, v] of Object.entries(raw)) if (typeof v === "string") labels[k] = v;
  }
  const facts: ConfigFacts = {
    created: typeof doc.created === "string" ? doc.created : "",
    labels,
  };
  const diffIds = isObject(doc.rootfs) ? doc.rootfs.diff_ids : undefined;
  if (Array.isArray(diffIds)) facts.diffIds = diffIds.map(String);
  return facts;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

const anchorMs = BigInt(Date.now());
const anchorHr = process.hrtime.bigint();

/**
 * Now, as RFC 3339 UTC with nanoseconds (`2026-12-03T17:01:02.123456789Z`), like iSulad's
 * `loaded`. The digits below the millisecond come from the monotonic clock, anchored to the wall
 * clock once per process.
 */
export function nowRfc3339Nano(): string {
  const ns = anchorMs * 1_000_000n + (process.hrtime.bigint() - anchorHr);
  const ms = Number(ns / 1_000_000n);
  const seconds = new Date(ms).toISOString().slice(0, 19);
  return `${seconds}.${(ns % 1_000_000_000n).toString().padStart(9, "0")}Z`;
}
