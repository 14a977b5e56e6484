import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { formatFixed, formatImageSize, imageSizeWidth } from "./size-format.ts";

describe("formatFixed", () => {
  const table: [number, number, string][] = [
    [1.0625, 3, "1.062"], // exact binary tie: even neighbour (JS toFixed says 1.063)
    [1.1875, 3, "1.188"],
    [1.3125, 3, "1.312"],
    [2.4375, 3, "2.438"],
    [0.5, 0, "0"],
    [1.5, 0, "2"],
    [2.5, 0, "2"],
    [2.675, 2, "2.67"], // 2.675 is really 2.67499999...
    [1.0005, 3, "1.000"], // 1.0005 is really 1.000499999...
    [0.1, 3, "0.100"],
    [0, 3, "0.000"],
    [1e21, 1, "1000000000000000000000.0"],
    [-1.0625, 3, "-1.062"],
    [5e-324, 3, "0.000"],
  ];
  for (const [x, digits, want] of table) {
    it(`prints ${x} with ${digits} decimals as C does: ${want}`, () => {
      assert.equal(formatFixed(x, digits), want);
    });
  }

  it("agrees with toFixed wherever the value is not an exact tie", () => {
    for (let i = 0; i < 2000; i++) {
      const x = (i * 7919) / 1024 + i / 3;
      const scaled = x * 1000;
      if (scaled - Math.floor(scaled) === 0.5) continue;
      assert.equal(formatFixed(x, 3), x.toFixed(3), `x=${x}`);
    }
  });
});

describe("formatImageSize", () => {
  const table: [number, string][] = [
    [0, "0B"],
    [1023, "1023B"],
    [1024, "1.000KB"],
    [2112, "2.062KB"], // 2.0625 KiB, a tie
    [1372806, "1.309MB"],
    [1114112, "1.062MB"], // 1.0625 MiB
    [1024 ** 3 - 1, "1024.000MB"],
    [1024 ** 3, "1.000GB"],
    [5 * 1024 ** 4, "5120.000GB"],
  ];
  for (const [bytes, want] of table) {
    it(`prints ${bytes} bytes as ${want}`, () => assert.equal(formatImageSize(bytes), want));
  }
});

describe("imageSizeWidth", () => {
  it("stays within the minimum of 10 for ordinary sizes", () => {
    assert.equal(imageSizeWidth(1372806), 4); // "1.31"
    assert.equal(imageSizeWidth(0), 4); // "0.00"
  });
  it("passes 10 only for sizes of about 10 TiB", () => {
    assert.equal(imageSizeWidth(9_000_000 * 1024 * 1024), 10);
    assert.equal(imageSizeWidth(10_000_000 * 1024 * 1024), 11);
  });
});
