/**
 * How Docker's CLI prints sizes and ages (its `go-units` helpers), for the commands and fields
 * that come from Docker rather than iSulad: `history`, `image prune`, and the `CreatedSince` /
 * `CreatedAt` fields of `images --format`.
 */

const DECIMAL_UNITS = ["B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"];

/**
 * A size in decimal units with `precision` significant digits, as Go's `%.*g` prints it: no
 * space before the unit, trailing zeros dropped (`8.11kB`, `5MB`, `0B`), and Go's exponent
 * form where `%g` uses it (999,999 bytes at 3 digits is `1e+03kB`, as Docker prints it).
 * `history` uses 3 digits, `prune`'s total 4.
 */
export function humanSize(bytes: number, precision = 4): string {
  let size = bytes;
  let unit = 0;
  while (size >= 1000 && unit < DECIMAL_UNITS.length - 1) {
    size /= 1000;
    unit++;
  }
  return `${formatG(size, precision)}${DECIMAL_UNITS[unit]}`;
}

/** Go's `%.*g`: `precision` significant digits, trailing zeros removed, `e+NN` exponents. */
function formatG(x: number, precision: number): string {
  if (x === 0) return "0";
  const text = x.toPrecision(precision);
  const [mantissa, exponent] = text.split("e") as [string, string | undefined];
  const trimmed = mantissa.includes(".") ? mantissa.replace(/\.?0+$/, "") : mantissa;
  if (exponent === undefined) return trimmed;
  const sign = exponent.startsWith("-") ? "-" : "+";
  return `${trimmed}e${sign}${exponent.replace(/^[+-]/, "").padStart(2, "0")}`;
}

/**
 * A duration in words as Docker prints ages (`units.HumanDuration`): "Less than a second",
 * "5 seconds", "About a minute", "3 hours", "9 days", "3 weeks", "4 months", "2 years".
 */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / 1000);
  if (seconds < 1) return "Less than a second";
  if (seconds === 1) return "1 second";
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.trunc(seconds / 60);
  if (minutes === 1) return "About a minute";
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.round(ms / 3_600_000);
  if (hours === 1) return "About an hour";
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.trunc(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.trunc(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24 / 30)} months`;
  return `${Math.trunc(ms / 3_600_000 / 24 / 365)} years`;
}

/** "N units ago" for a time in epoch seconds, against `now` (ms); "N/A" when unknown. */
export function createdSince(seconds: number | undefined, now = Date.now()): string {
  if (seconds === undefined || !Number.isFinite(seconds)) return "N/A";
  return `${humanDuration(now - seconds * 1000)} ago`;
}

/**
 * Go's `time.Time.String()` in the local zone, as Docker's `CreatedAt` prints it:
 * `2020-01-02 03:04:05 +0000 UTC` (the zone's short name as `Intl` knows it). "N/A" when unknown.
 */
export function createdAt(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds)) return "N/A";
  const utc = new Date(Math.floor(seconds) * 1000);
  if (Number.isNaN(utc.getTime())) return "N/A";
  const offsetMinutes = -utc.getTimezoneOffset();
  const local = new Date(utc.getTime() + offsetMinutes * 60_000);
  const iso = local.toISOString();
  const sign = offsetMinutes < 0 ? "-" : "+";
  const abs = Math.abs(offsetMinutes);
  const offset = `${sign}${two(Math.trunc(abs / 60))}${two(abs % 60)}`;
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)} ${offset} ${zoneName(utc)}`;
}

function zoneName(at: Date): string {
  const parts = new Intl.DateTimeFormat("en-US", { timeZoneName: "short" }).formatToParts(at);
  return parts.find((p) => p.type === "timeZoneName")?.value ?? "UTC";
}

function two(n: number): string {
  return String(n).padStart(2, "0");
}
