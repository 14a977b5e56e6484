/** Seconds in each unit a duration may use. */
const UNITS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600 };

/**
 * Parses a timeout as users write it: a whole number of seconds (`90`, as a JSON number or a
 * string), or Docker-style parts with units `ms`, `s`, `m`, `h` (`90s`, `10m`, `1h30m`).
 * Returns milliseconds; `0` means no limit. Undefined for anything else (a negative value, a
 * fraction of a millisecond, an unknown unit, more than 30 days), so the caller words the error.
 */
export function parseDurationMs(value: unknown): number | undefined {
  let ms: number;
  if (typeof value === "number") {
    ms = value * 1000;
  } else if (typeof value === "string" && /^\d+$/.test(value.trim())) {
    ms = Number(value.trim()) * 1000;
  } else if (typeof value === "string" && /^(\d+(\.\d+)?(ms|s|m|h))+$/.test(value.trim())) {
    ms = 0;
    for (const [, n, , unit] of value.trim().matchAll(/(\d+(\.\d+)?)(ms|s|m|h)/g)) {
      ms += Number(n) * (UNITS[unit as string] as number) * 1000;
    }
  } else {
    return undefined;
  }
  if (!Number.isFinite(ms) || ms < 0 || !Number.isInteger(ms) || ms > 30 * 86_400_000) {
    return undefined;
  }
  return ms;
}

/** `90000` → `1m30s`, `500` → `500ms`: a duration as the user would have written it. */
export function formatDurationMs(ms: number): string {
  if (ms < 1000 || ms % 1000 !== 0) return `${ms}ms`;
  let s = ms / 1000;
  let out = "";
  for (const [unit, size] of [
    ["h", 3600],
    ["m", 60],
  ] as const) {
    if (s >= size) {
      out += `${Math.floor(s / size)}${unit}`;
      s %= size;
    }
  }
  return s > 0 || out === "" ? `${out}${s}s` : out;
}
