import type { PullProgress } from "../service/types.ts";
import { formatFixed } from "./size-format.ts";

/** Width from which iSulad draws a bar (`<id>: [====>  ] cur/total`), else `<id>:  cur/total`. */
export const BAR_MIN_COLUMNS = 110;
const BAR_WIDTH = 50;
const KB = 1024;
const MB = KB * 1024;
const GB = MB * 1024;

/** iSulad's progress sizes: binary units, used when strictly greater than one unit. */
export function formatProgressSize(n: number): string {
  if (n > GB) return `${formatFixed(n / GB, 2)}GB`;
  if (n > MB) return `${formatFixed(n / MB, 2)}MB`;
  if (n > KB) return `${formatFixed(n / KB, 2)}KB`;
  return `${n}B`;
}

/** One layer's line, without the newline. */
export function progressLine(p: Pick<PullProgress, "id" | "current" | "total">, columns: number) {
  return `${p.id}: ${progressBar(p, columns)}`;
}

/** `[====>   ] cur/total` from BAR_MIN_COLUMNS columns on, else ` cur/total`. */
export function progressBar(p: Pick<PullProgress, "current" | "total">, columns: number): string {
  const sizes = `${formatProgressSize(p.current)}/${formatProgressSize(p.total)}`;
  if (columns < BAR_MIN_COLUMNS) return ` ${sizes}`;
  const filled =
    p.total > 0 ? Math.min(BAR_WIDTH, Math.floor((p.current * BAR_WIDTH) / p.total)) : 0;
  const bar =
    filled === 0
      ? " ".repeat(BAR_WIDTH)
      : filled === BAR_WIDTH
        ? "=".repeat(BAR_WIDTH)
        : `${"=".repeat(filled - 1)}>${" ".repeat(BAR_WIDTH - filled)}`;
  return `[${bar}] ${sizes}`;
}

/** What a `ProgressView` draws from: one event per layer, keyed by `id`. */
export interface ProgressViewOptions<T> {
  write: (text: string) => void;
  columns: () => number;
  intervalMs?: number;
  /** One layer's line without the newline (pull's `progressLine` by default). */
  line?: (p: T, columns: number) => string;
}

/**
 * Draws the per-layer progress of a pull (or, with its own `line`, a push) on a terminal,
 * redrawn in place: the cursor goes back up over the lines drawn last time (`ESC[<n>A`), clears
 * to the end of the screen (`ESC[J`) and writes every line again, in the order layers first
 * appeared. Redraws at most every `intervalMs` (iSulad's daemon sends a snapshot about every
 * 100 ms); `finish` draws the last state. Only for a TTY: callers draw nothing otherwise.
 */
export class ProgressView<T extends { id: string } = PullProgress> {
  readonly #lines = new Map<string, T>();
  readonly #write: (text: string) => void;
  readonly #columns: () => number;
  readonly #intervalMs: number;
  readonly #line: (p: T, columns: number) => string;
  #drawn = 0;
  #last = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(opts: ProgressViewOptions<T>) {
    this.#write = opts.write;
    this.#columns = opts.columns;
    this.#intervalMs = opts.intervalMs ?? 100;
    // Without `line`, T is pull's event (the default type argument), which progressLine draws.
    this.#line = opts.line ?? (progressLine as unknown as (p: T, columns: number) => string);
  }

  /** Records an event; draws now if the last draw is old enough, else soon. */
  update(p: T): void {
    this.#lines.set(p.id, p);
    const wait = this.#last + this.#intervalMs - Date.now();
    if (wait <= 0) this.#draw();
    else this.#timer ??= setTimeout(() => this.#draw(), wait);
  }

  /** Draws the final state (if anything was shown) and stops the timer. */
  finish(): void {
    if (this.#lines.size > 0) this.#draw();
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #draw(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#last = Date.now();
    const columns = this.#columns();
    let text = this.#drawn > 0 ? `\x1b[${this.#drawn}A\x1b[J` : "";
    for (const p of this.#lines.values()) text += `${this.#line(p, columns)}\n`;
    this.#drawn = this.#lines.size;
    this.#write(text);
  }
}
