/**
 * Column alignment of `--format 'table ...'` output, as Docker's CLI does it with Go's
 * `text/tabwriter` (minimum width 10, padding 3, spaces): every tab ends a cell, and the cells of
 * one column block (the consecutive lines that have that column) are padded to the widest cell
 * plus the padding, at least the minimum width. The text after a line's last tab is not a cell of
 * any column and is never padded, so lines carry no trailing spaces. Widths count code points.
 */
export interface TabOptions {
  minWidth: number;
  padding: number;
}

/** Docker's settings for table output. */
export const DOCKER_TABLE: TabOptions = { minWidth: 10, padding: 3 };

/** Aligns `text` (lines ending with `\n`; a last line without one is kept as is). */
export function alignTabs(text: string, opts: TabOptions = DOCKER_TABLE): string {
  const endsWithNewline = text.endsWith("\n");
  const lines = (endsWithNewline ? text.slice(0, -1) : text).split("\n").map((l) => l.split("\t"));
  const widths: number[] = [];
  const out: string[] = [];
  alignBlock(lines, 0, lines.length, widths, opts, out);
  return out.join("\n") + (endsWithNewline ? "\n" : "");
}

/**
 * Lays out lines `from`..`to` whose first `widths.length` columns are settled: each run of lines
 * that has a cell in the next column forms a block whose width is decided, then its own next
 * column is laid out the same way (recursively). Lines outside any run are written as they are.
 */
function alignBlock(
  lines: string[][],
  from: number,
  to: number,
  widths: number[],
  opts: TabOptions,
  out: string[],
): void {
  const column = widths.length;
  const hasCell = (i: number) => (lines[i] as string[]).length - 1 > column;
  let i = from;
  while (i < to) {
    if (!hasCell(i)) {
      out.push(render(lines[i] as string[], widths));
      i++;
      continue;
    }
    let end = i;
    let width = opts.minWidth;
    for (; end < to && hasCell(end); end++) {
      width = Math.max(width, cellWidth((lines[end] as string[])[column] as string) + opts.padding);
    }
    widths.push(width);
    alignBlock(lines, i, end, widths, opts, out);
    widths.pop();
    i = end;
  }
}

function render(cells: string[], widths: readonly number[]): string {
  let line = "";
  cells.forEach((cell, j) => {
    const width = widths[j];
    line += width === undefined || j === cells.length - 1 ? cell : padTo(cell, width);
  });
  return line;
}

function padTo(cell: string, width: number): string {
  return cell + " ".repeat(Math.max(0, width - cellWidth(cell)));
}

function cellWidth(cell: string): number {
  let n = 0;
  for (const _ of cell) n++;
  return n;
}
