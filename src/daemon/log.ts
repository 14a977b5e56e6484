import { redactSecrets } from "../auth/redact.ts";
import type { LogSettings } from "./config.ts";
import { LOG_LEVELS, type LogLevel } from "./config-defaults.ts";
import { LogFile } from "./log-file.ts";

/** The daemon's logger: `log(level, message)` with iSulad's levels; what is below the set level is dropped. */
export interface DaemonLog {
  log(level: string, message: string): void;
  /** True when a message at `level` would be written (to skip building debug text). */
  enabled(level: string): boolean;
  /** Where lines go: the log file's path, or "stdout". */
  readonly destination: string;
  close(): void;
}

const RANK = new Map<string, number>(LOG_LEVELS.map((l, i) => [l, i]));
const ALIASES: Record<string, LogLevel> = { WARNING: "WARN", CRITICAL: "CRIT", ERR: "ERROR" };

/** `debug`, `Warning`, `CRIT` → iSulad's level name; unknown names count as INFO. */
export function normaliseLevel(level: string): LogLevel {
  const up = level.toUpperCase();
  return ALIASES[up] ?? (RANK.has(up) ? (up as LogLevel) : "INFO");
}

/** Hides credentials, tokens and `Authorization` values in a log message (see `redactSecrets`). */
export function redact(message: string): string {
  return redactSecrets(message);
}

/** One log line: `2024-05-06T07:08:09.123Z INFO  isulad: message`, secrets redacted. */
export function formatLine(level: LogLevel, message: string, now = new Date()): string {
  const oneLine = redact(message).replace(/\r?\n/g, "\\n");
  return `${now.toISOString()} ${level.padEnd(6)}isulad: ${oneLine}\n`;
}

/**
 * Opens the logger the settings ask for: the `file` driver writes `<path>/isulad.log` with
 * rotation (see `LogFile`); `stdout` writes to the process's stdout. The caller closes it.
 */
export function openLogger(settings: LogSettings): DaemonLog {
  const max = RANK.get(settings.level) ?? RANK.get("INFO") ?? 6;
  const file =
    settings.driver === "file"
      ? new LogFile({
          dir: settings.path,
          maxFile: settings.maxFile,
          maxSize: settings.maxSize,
          mode: settings.fileMode,
        })
      : undefined;
  const enabled = (level: string) => (RANK.get(normaliseLevel(level)) ?? 6) <= max;
  return {
    destination: file?.path ?? "stdout",
    enabled,
    log(level, message) {
      if (!enabled(level)) return;
      const line = formatLine(normaliseLevel(level), message);
      if (file) file.write(line);
      else process.stdout.write(line);
    },
    close() {
      file?.close();
    },
  };
}
