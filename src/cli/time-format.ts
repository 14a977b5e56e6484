/** A point in time with nanosecond precision: seconds since the epoch (UTC) and nanoseconds. */
export interface Timestamp {
  seconds: number;
  nanos: number;
}

const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

/**
 * Parses an RFC 3339 timestamp (`2019-06-15T00:19:54.402459069Z`, `...+08:00`) without losing
 * the nanoseconds `Date.parse` drops; fractions beyond 9 digits are truncated. Works for any
 * 4-digit year (no 2038 limit). Returns undefined for anything else, including impossible dates.
 */
export function parseRfc3339(text: string): Timestamp | undefined {
  const m = RFC3339.exec(text);
  if (!m) return undefined;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const hour = Number(m[4]);
  const minute = Number(m[5]);
  const second = Number(m[6]);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 60) return undefined;

  let offset = 0;
  if (!m[8]) {
    const oh = Number(m[10]);
    const om = Number(m[11]);
    if (oh > 23 || om > 59) return undefined;
    offset = (m[9] === "-" ? -1 : 1) * (oh * 3600 + om * 60);
  }
  const fraction = m[7] ?? "";
  const nanos = fraction === "" ? 0 : Number(fraction.slice(0, 9).padEnd(9, "0"));
  const days = daysFromCivil(year, month, day);
  return { seconds: days * 86400 + hour * 3600 + minute * 60 + second - offset, nanos };
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysInMonth(year: number, month: number): number {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return month === 2 && leap ? 29 : (DAYS_IN_MONTH[month - 1] ?? 0);
}

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const dayOfEra =
    yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146097 + dayOfEra - 719468;
}

/**
 * `YYYY-MM-DD HH:MM:SS` in the process's local time zone (`TZ`), as `isula images` prints the
 * CREATED column. Returns undefined when the time is outside what `Date` can represent.
 */
export function formatLocalTime(seconds: number): string | undefined {
  const utc = new Date(Math.floor(seconds) * 1000);
  if (Number.isNaN(utc.getTime())) return undefined;
  // One time-zone lookup per value (each local getter would do its own), then UTC fields of
  // the shifted instant.
  const local = new Date(utc.getTime() - utc.getTimezoneOffset() * 60_000);
  if (Number.isNaN(local.getTime())) return undefined;
  const year = String(local.getUTCFullYear()).padStart(4, "0");
  const day = `${year}-${two(local.getUTCMonth() + 1)}-${two(local.getUTCDate())}`;
  return `${day} ${two(local.getUTCHours())}:${two(local.getUTCMinutes())}:${two(local.getUTCSeconds())}`;
}

function two(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** Orders timestamps newest first; nanoseconds break ties of equal seconds. Infinities work. */
export function compareNewestFirst(a: Timestamp, b: Timestamp): number {
  if (a.seconds !== b.seconds) return a.seconds < b.seconds ? 1 : -1;
  return b.nanos - a.nanos;
}
