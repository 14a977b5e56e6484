import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import { compareNewestFirst, formatLocalTime, parseRfc3339 } from "./time-format.ts";

const savedTz = process.env.TZ;
afterEach(() => {
  process.env.TZ = savedTz;
});

describe("parseRfc3339", () => {
  it("keeps the nanoseconds Date.parse drops", () => {
    assert.deepEqual(parseRfc3339("2019-06-15T00:19:54.402459069Z"), {
      seconds: Date.UTC(2019, 5, 15, 0, 19, 54) / 1000,
      nanos: 402459069,
    });
  });
  it("pads short fractions and truncates long ones", () => {
    assert.equal(parseRfc3339("2020-01-01T00:00:00.5Z")?.nanos, 500000000);
    assert.equal(parseRfc3339("2020-01-01T00:00:00.1234567891Z")?.nanos, 123456789);
    assert.equal(parseRfc3339("2020-01-01T00:00:00Z")?.nanos, 0);
  });
  it("applies a numeric offset", () => {
    const utc = parseRfc3339("2020-01-01T00:00:00Z");
    assert.equal(parseRfc3339("2020-01-01T08:00:00+08:00")?.seconds, utc?.seconds);
    assert.equal(parseRfc3339("2019-12-31T19:30:00-04:30")?.seconds, utc?.seconds);
  });
  it("handles dates after 2038 and years before 100 literally", () => {
    assert.equal(parseRfc3339("2040-02-29T12:00:00Z")?.seconds, Date.UTC(2040, 1, 29, 12) / 1000);
    assert.equal(parseRfc3339("9999-12-31T23:59:59Z")?.seconds, 253402300799);
    assert.equal(parseRfc3339("0001-01-01T00:00:00Z")?.seconds, -62135596800);
  });
  it("rejects what is not an RFC 3339 time", () => {
    for (const bad of [
      "",
      "2020-01-01",
      "2020-13-01T00:00:00Z",
      "2021-02-29T00:00:00Z",
      "2020-01-01T24:00:00Z",
      "2020-01-01T00:00:00",
      "2020-01-01T00:00:00+0800",
      "yesterday",
    ]) {
      assert.equal(parseRfc3339(bad), undefined, bad);
    }
  });
});

describe("formatLocalTime", () => {
  it("prints YYYY-MM-DD HH:MM:SS in UTC when TZ is UTC", () => {
    process.env.TZ = "UTC";
    assert.equal(formatLocalTime(Date.UTC(2019, 5, 15, 0, 19, 54) / 1000), "2019-06-15 00:19:54");
  });
  it("follows TZ", () => {
    process.env.TZ = "Asia/Shanghai";
    assert.equal(formatLocalTime(Date.UTC(2019, 5, 15, 0, 19, 54) / 1000), "2019-06-15 08:19:54");
  });
  it("prints dates after 2038", () => {
    process.env.TZ = "UTC";
    assert.equal(formatLocalTime(Date.UTC(2100, 0, 2, 3, 4, 5) / 1000), "2100-01-02 03:04:05");
  });
  it("gives undefined outside what Date can hold", () => {
    assert.equal(formatLocalTime(1e17), undefined);
  });
});

describe("compareNewestFirst", () => {
  it("sorts by seconds, then nanoseconds, newest first", () => {
    const list = [
      { seconds: 10, nanos: 5 },
      { seconds: 11, nanos: 0 },
      { seconds: 10, nanos: 7 },
      { seconds: Number.NEGATIVE_INFINITY, nanos: 0 },
    ];
    assert.deepEqual(list.sort(compareNewestFirst), [
      { seconds: 11, nanos: 0 },
      { seconds: 10, nanos: 7 },
      { seconds: 10, nanos: 5 },
      { seconds: Number.NEGATIVE_INFINITY, nanos: 0 },
    ]);
  });
});
