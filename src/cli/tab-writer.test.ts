import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { alignTabs } from "./tab-writer.ts";

describe("alignTabs", () => {
  it("pads each tab-ended cell to the widest cell plus 3, at least 10, and leaves the last cell bare", () => {
    const text = "IMAGE ID\tREPOSITORY\tSIZE\nabc\tregistry.example.com/team/app\t1.2MB\n";
    assert.equal(
      alignTabs(text),
      "IMAGE ID   REPOSITORY                      SIZE\n" +
        "abc        registry.example.com/team/app   1.2MB\n",
    );
  });

  it("pads empty cells too, so a line may end with spaces when its last cell is empty", () => {
    assert.equal(alignTabs("A\tB\n\t\n"), "A         B\n          \n");
  });

  it("aligns only the consecutive lines that share a column", () => {
    const text = "a\tb\nplain line\nlonger-cell-here\tc\n";
    assert.equal(alignTabs(text), "a         b\nplain line\nlonger-cell-here   c\n");
  });

  it("counts characters, not bytes, and keeps text without tabs or final newline as is", () => {
    assert.equal(alignTabs("é…\tx\n"), "é…        x\n");
    assert.equal(alignTabs("no tabs"), "no tabs");
    assert.equal(alignTabs(""), "");
  });

  it("honours other settings", () => {
    assert.equal(alignTabs("a\tb\n", { minWidth: 0, padding: 1 }), "a b\n");
  });
});
