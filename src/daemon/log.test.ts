import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import type { LogSettings } from "./config.ts";
import { openLogger, redact } from "./log.ts";

const root = mkdtempSync(join(tmpdir(), "isulad-log-"));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

function settings(over: Partial<LogSettings>): LogSettings {
  return {
    level: "INFO",
    driver: "file",
    path: join(root, `logs-${n++}`),
    maxFile: 3,
    maxSize: 1024,
    fileMode: 0o640,
    ...over,
  };
}

describe("daemon log", () => {
  test("openLogger drops messages below the level and keeps the rest", () => {
    const s = settings({ level: "WARN" });
    const log = openLogger(s);
    for (const level of ["TRACE", "debug", "INFO", "NOTICE", "warn", "ERROR", "FATAL"]) {
      log.log(level, `at ${level}`);
    }
    log.close();
    const text = readFileSync(join(s.path, "isulad.log"), "utf8");
    assert.deepEqual(
      text
        .trim()
        .split("\n")
        .map((l) => l.split("isulad: ")[1]),
      ["at warn", "at ERROR", "at FATAL"],
    );
    assert.match(text, / WARN {2}isulad: at warn/);
  });

  test("the file driver rotates by max-size and keeps max-file files, mode from log-file-mode", () => {
    const s = settings({ maxSize: 200, maxFile: 3 });
    const log = openLogger(s);
    for (let i = 0; i < 40; i++) log.log("INFO", `line ${String(i).padStart(3, "0")}`);
    log.close();
    const files = readdirSync(s.path).sort();
    assert.deepEqual(files, ["isulad.log", "isulad.log.1", "isulad.log.2"]);
    for (const f of files) {
      assert.ok(statSync(join(s.path, f)).size <= 200, `${f} over max-size`);
    }
    assert.equal(statSync(join(s.path, "isulad.log")).mode & 0o777, 0o640);
    assert.match(readFileSync(join(s.path, "isulad.log"), "utf8"), /line 039\n$/);
    const oldest = readFileSync(join(s.path, "isulad.log.2"), "utf8");
    assert.doesNotMatch(oldest, /line 000/, "the oldest lines were dropped");
  });

  test("max-file 1 cuts the live file instead of keeping rotated ones", () => {
    const s = settings({ maxSize: 100, maxFile: 1 });
    const log = openLogger(s);
    for (let i = 0; i < 20; i++) log.log("INFO", `line ${i}`);
    log.close();
    assert.deepEqual(readdirSync(s.path), ["isulad.log"]);
    assert.ok(statSync(join(s.path, "isulad.log")).size <= 100);
  });

  test("redact hides passwords, auth blobs, tokens and Authorization values", () => {
    const cases = [
      ['login {"password":"s3cret!","username":"alice"}', "s3cret!"],
      ["Authorization: Basic YWxpY2U6czNjcmV0", "YWxpY2U6czNjcmV0"],
      ["authorization=Bearer eyJhbGciOi.abc", "eyJhbGciOi"],
      ['{"auth":"YWxpY2U6czNjcmV0"}', "YWxpY2U6czNjcmV0"],
      ["fetching https://alice:s3cret@reg/v2/", "s3cret"],
      ["token=abcdef123", "abcdef123"],
    ];
    for (const [text, secret] of cases) {
      const out = redact(text as string);
      assert.ok(!out.includes(secret as string), `${out} still holds ${secret}`);
    }
    assert.equal(redact("pulling busybox:latest"), "pulling busybox:latest");
  });
});
