import type { Digest } from "../digest/digest.ts";
import type { ImageSummary, ListRequest, PullProgress } from "../service/types.ts";
import type { Timestamp } from "./gen/google/protobuf/timestamp.ts";
import type { Image, ListImagesRequest } from "./gen/images.ts";

/**
 * The rows of `images.ImagesService/List` for one image: one per name as iSulad sends them
 * (repo tags, else repo digests, else one unnamed row), each also carrying the whole summary
 * in the isulad-ts fields (100+) so that our client rebuilds it exactly.
 */
export function summaryToRows(s: ImageSummary): Image[] {
  const names =
    s.repoTags.length > 0 ? s.repoTags : s.repoDigests.length > 0 ? s.repoDigests : [""];
  const createdAt = timestampOf(s.created);
  return names.map((name) => ({
    name,
    labels: {},
    target: { mediaType: "", digest: `sha256:${s.id}`, size: BigInt(s.size) },
    ...(createdAt ? { createdAt } : {}),
    id: s.id,
    repoTags: s.repoTags,
    repoDigests: s.repoDigests,
    created: s.created,
    manifestDigest: s.digest ?? "",
    imageType: s.type ?? "",
  }));
}

/** The summaries behind `rows`, in first-seen order (rows of one image share its `id`). */
export function rowsToSummaries(rows: Image[]): ImageSummary[] {
  const byId = new Map<string, ImageSummary>();
  for (const row of rows) {
    const id = row.id || (row.target?.digest ?? "").replace(/^sha256:/, "");
    if (byId.has(id)) continue;
    byId.set(id, {
      id,
      repoTags: row.repoTags,
      repoDigests: row.repoDigests,
      created: row.created,
      size: Number(row.target?.size ?? 0n),
      ...(row.manifestDigest ? { digest: row.manifestDigest as Digest } : {}),
      ...(row.imageType === "oci" || row.imageType === "embedded" ? { type: row.imageType } : {}),
    });
  }
  return [...byId.values()];
}

/**
 * The summaries as `ListImagesResponse.summaries_json` carries them (isulad-ts, asked for by
 * `want_summaries_json`): one JSON array, which the client reads with one `JSON.parse` instead of
 * decoding a protobuf message per image (issue #4: 1,000 images cost ~25 ms of decoding).
 */
export function summariesToJson(summaries: ImageSummary[]): Uint8Array {
  return Buffer.from(JSON.stringify(summaries), "utf8");
}

/**
 * Reads `summaries_json`; throws a plain `Error` (the caller words it) when it is not an array of
 * summaries. Only the fields the CLI relies on are checked, not every value.
 */
export function summariesFromJson(bytes: Uint8Array): ImageSummary[] {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString("utf8");
  const value: unknown = JSON.parse(text);
  if (!Array.isArray(value)) throw new Error("summaries_json is not an array");
  for (const s of value as Partial<ImageSummary>[]) {
    const ok =
      typeof s?.id === "string" &&
      Array.isArray(s.repoTags) &&
      Array.isArray(s.repoDigests) &&
      typeof s.created === "string" &&
      typeof s.size === "number";
    if (!ok) throw new Error("summaries_json holds an entry that is not an image summary");
  }
  return value as ImageSummary[];
}

/** `ListRequest` filters on the wire: iSulad's one-value map plus every value (isulad-ts). */
export function filtersToWire(
  filters: ListRequest["filters"],
): Pick<ListImagesRequest, "filters" | "filterValues"> {
  const map: Record<string, string> = {};
  for (const [key, values] of Object.entries(filters)) {
    if (values[0] !== undefined) map[key] = values[0];
  }
  const filterValues = Object.entries(filters).map(([key, values]) => ({ key, values }));
  return { filters: map, filterValues };
}

/** The filters of a `List` request; an iSulad client sends only the map. */
export function filtersFromWire(
  req: Pick<ListImagesRequest, "filters" | "filterValues">,
): ListRequest["filters"] {
  const out: ListRequest["filters"] = {};
  if (req.filterValues.length > 0) {
    for (const f of req.filterValues) out[f.key.toLowerCase()] = [...f.values];
    return out;
  }
  for (const [key, value] of Object.entries(req.filters)) out[key.toLowerCase()] = [value];
  return out;
}

/** An RFC 3339 time (any fraction up to nanoseconds) as a protobuf Timestamp. */
export function timestampOf(rfc3339: string): Timestamp | undefined {
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/i.exec(rfc3339);
  if (!m) return undefined;
  const ms = Date.parse(`${m[1]}${m[3]}`);
  if (Number.isNaN(ms)) return undefined;
  return { seconds: BigInt(Math.floor(ms / 1000)), nanos: Number((m[2] ?? "").padEnd(9, "0")) };
}

/** The `progress_data` JSON of reference §2.2, plus each layer's `status` (isulad-ts). */
export interface ProgressData {
  image?: string;
  progresses: { id: string; total: number; current: number; status?: PullProgress["status"] }[];
}

const STATUSES = new Set(["exists", "waiting", "downloading", "done"]);

/** Parses `progress_data`; anything malformed yields no progresses rather than failing a pull. */
export function parseProgressData(bytes: Uint8Array): ProgressData {
  if (bytes.length === 0) return { progresses: [] };
  try {
    const value = JSON.parse(Buffer.from(bytes).toString("utf8")) as Partial<ProgressData>;
    const progresses = Array.isArray(value.progresses) ? value.progresses : [];
    return {
      ...(typeof value.image === "string" ? { image: value.image } : {}),
      progresses: progresses.filter(
        (p) => typeof p?.id === "string" && Number.isFinite(p.total) && Number.isFinite(p.current),
      ),
    };
  } catch {
    return { progresses: [] };
  }
}

/** A wire progress entry as the service's event; no status means bytes are arriving. */
export function progressEvent(p: ProgressData["progresses"][number]): PullProgress {
  const status = p.status !== undefined && STATUSES.has(p.status) ? p.status : "downloading";
  return { id: p.id, current: p.current, total: p.total, status };
}
