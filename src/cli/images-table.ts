import { isFullId, shortId } from "../reference/grammar.ts";
import { splitRepoTag } from "../reference/normalise.ts";
import type { ImageSummary } from "../service/types.ts";
import { formatImageSize, imageSizeWidth } from "./size-format.ts";
import {
  compareNewestFirst,
  formatLocalTime,
  parseRfc3339,
  type Timestamp,
} from "./time-format.ts";

/** One line of `isula images`: an image under one of its names. */
export interface ImageRow {
  /** `repo:tag`, a digest name's repository, or undefined for an image with no name at all. */
  name?: string;
  /** 64 hex image ID, as the service gave it. */
  id: string;
  /** Creation time, undefined when the image has none or it does not parse. */
  created?: Timestamp;
  size: number;
}

/**
 * Expands images into rows the way iSulad does: one row per repo tag; an image without tags
 * shows the repository of its first repo digest, or no name at all. Rows are sorted newest
 * first (nanoseconds break ties; images without a time go last; equal times keep their order).
 */
export function imageRows(images: readonly ImageSummary[]): ImageRow[] {
  const rows: ImageRow[] = [];
  for (const image of images) {
    const created = image.created ? parseRfc3339(image.created) : undefined;
    if (image.repoTags.length > 0) {
      for (const name of image.repoTags) rows.push(row(image, created, name));
    } else {
      const digestName = image.repoDigests[0];
      rows.push(row(image, created, digestName ? digestName.split("@")[0] : undefined));
    }
  }
  return rows.sort(byCreatedNewestFirst);
}

function row(image: ImageSummary, created: Timestamp | undefined, name?: string): ImageRow {
  return { name, id: image.id, created, size: image.size };
}

const NEVER: Timestamp = { seconds: Number.NEGATIVE_INFINITY, nanos: 0 };

function byCreatedNewestFirst(a: ImageRow, b: ImageRow): number {
  return compareNewestFirst(a.created ?? NEVER, b.created ?? NEVER);
}

/**
 * REPOSITORY and TAG of a row: the name split at the last `:` that has no `/` after it
 * (`localhost:5000/app` has no tag, shown `<none>`); `<none> <none>` for a nameless image.
 */
export function splitRowName(name: string | undefined): [string, string] {
  if (name === undefined) return ["<none>", "<none>"];
  const { repository, tag } = splitRepoTag(name);
  return [repository, tag ?? "<none>"];
}

/** The 12-hex short form of an image ID (`sha256:` optional), or undefined if it is not one. */
export function shortImageId(id: string): string | undefined {
  return isFullId(id.startsWith("sha256:") ? id.slice(7) : id) ? shortId(id) : undefined;
}

const MIN_WIDTHS = { repository: 30, tag: 10, id: 20, created: 20, size: 10 };

/**
 * The `isula images` table: header, then one line per row; each cell is left-aligned, padded
 * to its column width and followed by one space, so every line ends with a space. REPOSITORY,
 * TAG (and, past ~10 TiB, SIZE) grow to fit; IMAGE ID and CREATED stay at 20.
 */
export function renderImagesTable(rows: readonly ImageRow[]): string {
  let repoWidth = MIN_WIDTHS.repository;
  let tagWidth = MIN_WIDTHS.tag;
  let sizeWidth = MIN_WIDTHS.size;
  const cells: string[][] = new Array(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i] as ImageRow;
    const [repository, tag] = splitRowName(row.name);
    if (row.name !== undefined) {
      if (repository.length > repoWidth) repoWidth = repository.length;
      if (tag.length > tagWidth) tagWidth = tag.length;
    }
    const width = imageSizeWidth(row.size);
    if (width > sizeWidth) sizeWidth = width;
    const created = row.created ? formatLocalTime(row.created.seconds) : undefined;
    cells[i] = [
      repository,
      tag,
      shortImageId(row.id) ?? "-",
      created ?? "-",
      formatImageSize(row.size),
    ];
  }

  const widths = [repoWidth, tagWidth, MIN_WIDTHS.id, MIN_WIDTHS.created, sizeWidth];
  let text = formatLine(["REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"], widths);
  for (const values of cells) text += formatLine(values, widths);
  return text;
}

/** `%-*s ` for each cell, then a newline. */
function formatLine(values: readonly string[], widths: readonly number[]): string {
  let line = "";
  for (let i = 0; i < values.length; i++) {
    line += `${(values[i] as string).padEnd(widths[i] as number)} `;
  }
  return `${line}\n`;
}

/** `isula images -q`: the short ID of every row (IDs repeat for several tags), padded to 12. */
export function renderQuietIds(rows: readonly ImageRow[]): string {
  return rows.map((row) => `${(shortImageId(row.id) ?? "<none>").padEnd(12)}\n`).join("");
}
