import { imageError } from "../errors.ts";
import type { ImageRecord } from "../image/types.ts";
import { repositoryOf, repoTags } from "./names.ts";

/** One image as the filters see it; `created` is compared as nanoseconds since the epoch. */
export interface FilterSubject {
  record: ImageRecord;
  createdNs: bigint;
}

export type ImagePredicate = (s: FilterSubject) => boolean;

const KEYS = new Set(["dangling", "label", "before", "since", "reference"]);

/** `*` and `?` wildcards as an anchored RegExp; every other character is literal. */
export function wildcardRegExp(pattern: string): RegExp {
  const body = pattern.replace(/[.+^${}()|[\]\\*?]/g, (c) => {
    if (c === "*") return ".*";
    if (c === "?") return ".";
    return `\\${c}`;
  });
  return new RegExp(`^${body}$`);
}

/** Nanoseconds since the epoch of an RFC 3339 time; 0n for "" or an unparsable value. */
export function rfc3339Nanos(time: string): bigint {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/i.exec(time);
  if (!m) return 0n;
  const ms = Date.parse(`${m[1]}${m[3]}`);
  if (Number.isNaN(ms)) return 0n;
  const frac = (m[2] ?? "").padEnd(9, "0");
  return BigInt(ms) * 1_000_000n + BigInt(frac);
}

function invalid(key: string): never {
  throw imageError("InvalidArgument", `Invalid filter '${key}'`);
}

function labelPredicate(value: string): ImagePredicate {
  const eq = value.indexOf("=");
  const key = eq < 0 ? value : value.slice(0, eq);
  const want = eq < 0 ? undefined : value.slice(eq + 1);
  return ({ record }) => {
    if (!Object.hasOwn(record.labels, key)) return false;
    return want === undefined || record.labels[key] === want;
  };
}

/**
 * The tags that `reference` filters let through, or undefined when there is none: `images`
 * shows only the matching names of a matching image, as Docker does. iSulad matches the pattern
 * against `repo:tag` only; we also accept a match of the repository alone, so
 * `reference=busybox` finds `busybox:latest` as it does in Docker.
 */
export function referenceTagMatcher(
  filters: Record<string, string[]>,
): ((tag: string) => boolean) | undefined {
  const patterns = filters.reference?.map(wildcardRegExp);
  if (!patterns) return undefined;
  return (tag) => patterns.some((re) => re.test(tag) || re.test(repositoryOf(tag)));
}

function referencePredicate(value: string): ImagePredicate {
  const matches = referenceTagMatcher({ reference: [value] }) as (tag: string) => boolean;
  return ({ record }) => repoTags(record).some(matches);
}

/**
 * Builds the predicate for `isula images -f` filters: values of one key are alternatives (any may
 * match), different keys must all match. `before`/`since` name an image, resolved by `resolve`
 * (which throws `NotFound`). Unknown keys and bad values are `InvalidArgument`
 * (`Invalid filter '<key>'`, iSulad's text).
 */
export function buildImageFilter(
  filters: Record<string, string[]>,
  resolve: (name: string) => FilterSubject,
): ImagePredicate {
  const all: ImagePredicate[] = [];
  for (const [key, values] of Object.entries(filters)) {
    if (!KEYS.has(key) || values.length === 0) invalid(key);
    const alternatives = values.map((value): ImagePredicate => {
      switch (key) {
        case "dangling": {
          if (value !== "true" && value !== "false") invalid(key);
          const want = value === "true";
          return ({ record }) => (repoTags(record).length === 0) === want;
        }
        case "label":
          if (value === "") invalid(key);
          return labelPredicate(value);
        case "before": {
          const pivot = resolve(value).createdNs;
          return ({ createdNs }) => createdNs < pivot;
        }
        case "since": {
          const pivot = resolve(value).createdNs;
          return ({ createdNs }) => createdNs > pivot;
        }
        default:
          return referencePredicate(value);
      }
    });
    all.push((s) => alternatives.some((p) => p(s)));
  }
  return (s) => all.every((p) => p(s));
}
