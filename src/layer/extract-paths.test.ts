import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { ImageError } from "../errors.ts";
import { cleanEntryPath, isCleanPath } from "./extract-paths.ts";

/**
 * What a cleaned name must be, written independently of the code under test: the components of
 * `name` without empty ones and `.`, `..` applied; undefined when it climbs above the root or
 * breaks a Linux limit (NUL, a component over 255 bytes, a path over 4095 bytes).
 */
function reference(name: string): string | undefined {
  if (name.includes("\0") || Buffer.byteLength(name) > 4095) return undefined;
  const out: string[] = [];
  for (const part of name.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (out.length === 0) return undefined;
      out.pop();
    } else if (Buffer.byteLength(part) > 255) return undefined;
    else out.push(part);
  }
  return out.join("/");
}

/** Names built from the pieces that matter to cleaning, including multi-byte and long ones. */
const names = fc
  .array(
    fc.constantFrom(
      "a",
      "bin",
      "é",
      "😀",
      "/",
      ".",
      "..",
      ".wh.x",
      "\0",
      "x".repeat(86),
      "€".repeat(90),
    ),
    { maxLength: 12 },
  )
  .map((parts) => parts.join(""));

describe("cleanEntryPath", () => {
  it("cleanEntryPath returns what the reference cleaning gives, or refuses what it refuses", () => {
    fc.assert(
      fc.property(names, (name) => {
        const want = reference(name);
        if (want === undefined) {
          assert.throws(() => cleanEntryPath(name), ImageError);
        } else {
          assert.equal(cleanEntryPath(name), want);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it("isCleanPath accepts only names that cleaning leaves unchanged", () => {
    fc.assert(
      fc.property(names, (name) => {
        if (isCleanPath(name)) assert.equal(reference(name), name);
      }),
      { numRuns: 2000 },
    );
  });

  it("isCleanPath takes the common layer names and leaves the rest to the long way", () => {
    for (const name of ["usr/bin/env", "etc/.wh.passwd", "a/..b/.c", "dir-3/file-0042.bin"]) {
      assert.equal(isCleanPath(name), true, name);
    }
    const long = "x".repeat(86);
    for (const name of ["", "/etc", "etc/", "a//b", "./a", "a/./b", "a/..", "..", "a\0b", long]) {
      assert.equal(isCleanPath(name), false, JSON.stringify(name));
    }
    assert.equal(cleanEntryPath(`d/${long}`), `d/${long}`);
    assert.equal(cleanEntryPath("./etc//passwd/"), "etc/passwd");
  });
});
