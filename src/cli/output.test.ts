import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { imageError } from "../errors.ts";
import { CANNOT_CONNECT } from "../service/open.ts";
import { bufferOutput, reportError } from "./output.ts";

describe("reportError", () => {
  it("prints a service error as iSulad's daemon response", () => {
    const io = bufferOutput();
    reportError(io, imageError("NotFound", "No such image:x"), false);
    assert.equal(io.stderr, "Error response from daemon: No such image:x\n");
    assert.equal(io.stdout, "");
  });

  it("prints an unreachable daemon bare, as iSulad does, even mid-call", () => {
    const io = bufferOutput();
    reportError(io, imageError("Unavailable", CANNOT_CONNECT), false);
    assert.equal(io.stderr, `${CANNOT_CONNECT}\n`);
  });

  it("prints other errors by message alone, with stacks only under -D", () => {
    const quiet = bufferOutput();
    reportError(quiet, new Error("boom"), false);
    assert.equal(quiet.stderr, "boom\n");
    const loud = bufferOutput();
    reportError(loud, new Error("boom", { cause: new Error("root") }), true);
    assert.match(loud.stderr, /^boom\nError: boom\n[\s\S]*Caused by: Error: root/);
  });
});
