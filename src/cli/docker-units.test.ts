import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createdAt, createdSince, humanDuration, humanSize } from "./docker-units.ts";

describe("humanSize", () => {
  it("prints decimal units with the given significant digits, as Go's %g does", () => {
    const cases: [number, number, string][] = [
      [0, 3, "0B"],
      [5, 3, "5B"],
      [999, 3, "999B"],
      [1000, 3, "1kB"],
      [8106, 3, "8.11kB"],
      [5_580_000, 3, "5.58MB"],
      [999_999, 3, "1e+03kB"],
      [1_844_674, 4, "1.845MB"],
      [20_480, 4, "20.48kB"],
      [3.2e12, 4, "3.2TB"],
    ];
    for (const [bytes, digits, text] of cases)
      assert.equal(humanSize(bytes, digits), text, String(bytes));
  });
});

describe("humanDuration", () => {
  it("words durations as Docker does", () => {
    const s = 1000;
    const h = 3600 * s;
    const cases: [number, string][] = [
      [500, "Less than a second"],
      [s, "1 second"],
      [42 * s, "42 seconds"],
      [60 * s, "About a minute"],
      [59 * 60 * s, "59 minutes"],
      [h, "About an hour"],
      [47 * h, "47 hours"],
      [13 * 24 * h, "13 days"],
      [15 * 24 * h, "2 weeks"],
      [100 * 24 * h, "3 months"],
      [800 * 24 * h, "2 years"],
    ];
    for (const [ms, text] of cases) assert.equal(humanDuration(ms), text, String(ms));
  });

  it("says ago, and N/A for an unknown time", () => {
    assert.equal(createdSince(0, 3 * 24 * 3600 * 1000), "3 days ago");
    assert.equal(createdSince(undefined), "N/A");
  });
});

describe("createdAt", () => {
  it("prints Go's time.String() in the local zone", () => {
    // The test runner's zone is whatever it is: compare with a UTC-only expectation when UTC.
    const text = createdAt(Date.UTC(2020, 0, 2, 3, 4, 5) / 1000);
    assert.match(text, /^2020-01-0[12] \d\d:\d\d:05 [+-]\d{4} \S+$/);
    if (new Date(0).getTimezoneOffset() === 0 && process.env.TZ === "UTC") {
      assert.equal(text, "2020-01-02 03:04:05 +0000 UTC");
    }
    assert.equal(createdAt(undefined), "N/A");
  });
});
