import type { ImageSummary } from "../service/types.ts";
import { createdAt, createdSince } from "./docker-units.ts";
import { compileRowFormat, type RowFormat, renderRows } from "./format-option.ts";
import { imageRows, shortImageId, splitRowName } from "./images-table.ts";
import { formatImageSize } from "./size-format.ts";

/** The fields `isula images --format` offers, named as Docker names them. */
export interface ImageFields {
  /** The 12-hex short ID. */
  ID: string;
  Repository: string;
  Tag: string;
  /** The manifest digest of this row's repository (`sha256:...`), or `<none>`. */
  Digest: string;
  /** Go's `time.String()` of the creation time, local zone: `2020-01-02 03:04:05 +0000 UTC`. */
  CreatedAt: string;
  /** Docker's age: `4 years ago`. */
  CreatedSince: string;
  /** As the SIZE column of `isula images` (1024-based, `1.309MB`). */
  Size: string;
}

/** Docker's column titles (`table` header row). */
export const IMAGE_FIELD_TITLES: ImageFields = {
  ID: "IMAGE ID",
  Repository: "REPOSITORY",
  Tag: "TAG",
  Digest: "DIGEST",
  CreatedAt: "CREATED AT",
  CreatedSince: "CREATED",
  Size: "SIZE",
};

/** What `--format table` alone prints: Docker's default `images` columns. */
export const DEFAULT_IMAGES_TABLE =
  "{{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}";

/** Compiles `images --format` (Docker's rules: `table`, `\t` escapes, one line per row). */
export function compileImagesFormat(source: string): RowFormat {
  return compileRowFormat(source, { defaultTable: DEFAULT_IMAGES_TABLE, escapes: true });
}

/**
 * One `ImageFields` per row of `isula images` (one per tag, newest first; see `imageRows`).
 * `now` (ms) is what `CreatedSince` counts from.
 */
export function imageFieldRows(images: readonly ImageSummary[], now = Date.now()): ImageFields[] {
  const byId = new Map(images.map((i) => [i.id, i]));
  return imageRows(images).map((row) => {
    const [repository, tag] = splitRowName(row.name);
    const summary = byId.get(row.id);
    return {
      ID: shortImageId(row.id) ?? "<none>",
      Repository: repository,
      Tag: tag,
      Digest: digestOf(summary, row.name === undefined ? undefined : repository),
      CreatedAt: createdAt(row.created?.seconds),
      CreatedSince: createdSince(row.created?.seconds, now),
      Size: formatImageSize(row.size),
    };
  });
}

/** The digest part of the image's repo digest for `repository`, else `<none>`. */
function digestOf(summary: ImageSummary | undefined, repository: string | undefined): string {
  if (summary === undefined || repository === undefined) return "<none>";
  const found = summary.repoDigests.find((d) => d.slice(0, d.indexOf("@")) === repository);
  return found === undefined ? "<none>" : found.slice(found.indexOf("@") + 1);
}

/** The `images --format` output for `images`. */
export function renderImagesFormat(
  format: RowFormat,
  images: readonly ImageSummary[],
  now = Date.now(),
): string {
  return renderRows(format, imageFieldRows(images, now), IMAGE_FIELD_TITLES);
}
