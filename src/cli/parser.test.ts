import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkHost } from "./host-option.ts";
import { type OptionSpec, parseArgs, UsageError } from "./parser.ts";

const OPTIONS: OptionSpec[] = [
  { long: "quiet", short: "q", kind: "bool", description: "" },
  { long: "filter", short: "f", kind: "list", description: "" },
  { long: "input", short: "i", kind: "string", description: "" },
  { long: "time", short: "t", kind: "int", description: "" },
  { long: "tag", kind: "string", description: "" },
  { long: "host", short: "H", kind: "string", description: "", check: checkHost },
];

function parse(...argv: string[]) {
  const p = parseArgs(OPTIONS, argv);
  return { values: Object.fromEntries(p.values), args: p.args, help: p.help };
}

function usageError(argv: string[]): UsageError {
  try {
    parseArgs(OPTIONS, argv);
  } catch (err) {
    assert.ok(err instanceof UsageError);
    return err;
  }
  assert.fail(`expected a usage error for ${argv.join(" ")}`);
}

describe("parseArgs", () => {
  const table: [string[], object][] = [
    [["-q"], { values: { quiet: true }, args: [], help: false }],
    [["-qf", "x"], { values: { quiet: true, filter: ["x"] }, args: [], help: false }],
    [["-qfx"], { values: { quiet: true, filter: ["x"] }, args: [], help: false }],
    [["-f=a=b"], { values: { filter: ["a=b"] }, args: [], help: false }],
    [["-f", "a", "-f", "b"], { values: { filter: ["a", "b"] }, args: [], help: false }],
    [["--filter=a", "--filter", "b"], { values: { filter: ["a", "b"] }, args: [], help: false }],
    [["--input", "x", "--input=y"], { values: { input: "y" }, args: [], help: false }],
    [["--input", "-q"], { values: { input: "-q" }, args: [], help: false }],
    [["-i", ""], { values: { input: "" }, args: [], help: false }],
    [["--quiet=false"], { values: { quiet: false }, args: [], help: false }],
    [["--quiet=True", "-q=0"], { values: { quiet: false }, args: [], help: false }],
    [["-t", "-5"], { values: { time: -5 }, args: [], help: false }],
    [["a", "-q"], { values: {}, args: ["a", "-q"], help: false }],
    [["-q", "--", "-f"], { values: { quiet: true }, args: ["-f"], help: false }],
    [["-q", "-", "b"], { values: { quiet: true }, args: ["-", "b"], help: false }],
    [["--help", "--bogus"], { values: {}, args: [], help: true }],
    [["-q", "--help=true"], { values: { quiet: true }, args: [], help: true }],
    [
      ["-H", "unix:///run/x.sock"],
      { values: { host: "unix:///run/x.sock" }, args: [], help: false },
    ],
  ];
  for (const [argv, want] of table) {
    it(`parses ${JSON.stringify(argv)}`, () => assert.deepEqual(parse(...argv), want));
  }

  it("stops at the first positional argument, leaving later flags as arguments", () => {
    assert.deepEqual(parse("busybox", "-H", "x").args, ["busybox", "-H", "x"]);
  });

  const errors: [string[], string, boolean][] = [
    [["--xyz"], "Unknown flag found:'--xyz'\n", true],
    [["--xyz=1"], "Unknown flag found:'--xyz=1'\n", true],
    [["--quie"], "Unknown flag found:'--quie'\n", true],
    [["-x"], "Unknown flag found:'x'", true],
    [["-qx"], "Unknown flag found:'x'", true],
    [["-h"], "Unknown flag found:'h'", true],
    [["--input"], "Flag needs an argument: --input", false],
    [["-i"], "Flag needs an argument: --input", false],
    [["-qf"], "Flag needs an argument: --filter", false],
    [["--tag"], "Flag needs an argument: --tag", false],
    [["--quiet=yes"], `Invalid boolean value "yes" for flag --quiet`, false],
    [["-q=on"], `Invalid boolean value "on" for flag --quiet`, false],
    [["-t", "abc"], `Invalid value "abc" for flag --time`, false],
    [["-t", "99999999999"], `Invalid value "99999999999" for flag --time`, false],
    [["-H", "/run/x.sock"], "Invalid socket name : /run/x.sock", false],
    [["-H", "unix://run/x.sock"], "Invalid socket name : unix://run/x.sock", false],
  ];
  for (const [argv, message, unknownFlag] of errors) {
    it(`rejects ${JSON.stringify(argv)} with "${message.trim()}"`, () => {
      const err = usageError(argv);
      assert.equal(err.message, message);
      assert.equal(err.unknownFlag, unknownFlag);
    });
  }
});

describe("checkHost", () => {
  const good = ["unix:///var/run/isulad.sock", "tcp://127.0.0.1:2375", "tcp://localhost:0"];
  const bad = ["unix://", "tcp://1.2.3.4", "tcp://1.2.3.4:65536", "http://x:1", "", "tcp://:1"];
  for (const host of good) it(`accepts ${host}`, () => assert.equal(checkHost(host), undefined));
  for (const host of bad) {
    it(`rejects "${host}"`, () => assert.equal(checkHost(host), `Invalid socket name : ${host}`));
  }
});
