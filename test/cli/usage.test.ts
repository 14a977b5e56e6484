// `isula` run as a user would, for everything that needs no image store: help, version, usage
// errors and their exit codes. Needs `npm run build` first.
import assert from "node:assert/strict";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { assertBuilt, isula, makeSandbox } from "./harness.ts";

before(assertBuilt);
const box = makeSandbox();

describe("isula (no store needed)", () => {
  it("prints the command list for --help and exits 0", () => {
    const r = isula(box, ["--help"]);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^USAGE:\n\tisula <command> \[args\.\.\.\]\n\nCOMMANDS:\n/);
    assert.equal(r.stderr, "");
  });

  it("prints a command's help on stdout in iSulad's layout", () => {
    const r = isula(box, ["rmi", "--help"]);
    assert.equal(r.code, 0);
    assert.equal(
      r.stdout,
      "\nUsage:  isula rmi [OPTIONS] IMAGE [IMAGE...]\n\nRemove one or more images\n\n" +
        "  -D, --debug        Enable debug mode\n" +
        "  -f, --force        Force removal of the image\n" +
        "      --help         Print usage\n" +
        "  -H, --host         Daemon socket(s) to connect to\n" +
        "      --tls          Use TLS; implied by --tlsverify\n" +
        '      --tlscacert    Trust certs signed only by this CA (default "$HOME/.iSulad/ca.pem")\n' +
        '      --tlscert      Path to TLS certificate file (default "$HOME/.iSulad/cert.pem")\n' +
        '      --tlskey       Path to TLS key file (default "$HOME/.iSulad/key.pem")\n' +
        "      --tlsverify    Use TLS and verify the remote\n\n",
    );
  });

  it("prints version lines", () => {
    const r = isula(box, ["version"]);
    assert.equal(r.code, 0);
    assert.match(
      r.stdout,
      /^Client:\n {2}Version:\t\S+\n {2}Git commit:\t\S+\n {2}Build time:\t\S+\n/,
    );
  });

  const cases: [string[], number, string][] = [
    [
      ["bogus"],
      125,
      'isula: command "bogus" not found\nrun `isula --help` for a list of sub-commands\n',
    ],
    [["images", "--xyz"], 125, "Unknown flag found:'--xyz'\n\n"],
    [["images", "-qx"], 125, "Unknown flag found:'x'\n"],
    [["images", "-f"], 1, "Flag needs an argument: --filter\n"],
    [["images", "--quiet=maybe"], 1, 'Invalid boolean value "maybe" for flag --quiet\n'],
    [["images", "-f", "dangling"], 1, "Bad format of filter 'dangling', (expected name=value)\n"],
    [["images", "-H", "unix://relative"], 1, "Invalid socket name : unix://relative\n"],
    [["load"], 1, "missing image input, use -i,--input option\n"],
    [["load", "-i", "x.tar", "extra"], 1, 'isula: "load" requires 0 arguments.\n'],
    [
      ["load", "-i", "x", "-t", "oci"],
      1,
      "Invalid image type: image type must be embedded or docker, got oci\n",
    ],
    [
      ["load", "-i", "x", "-t", "embedded", "--tag", "a"],
      1,
      "Option --tag can be used only when type is docker\n",
    ],
    [["load", "-i", "/nonexistent/x.tar"], 1, "File /nonexistent/x.tar is not exist\n"],
    [["inspect"], 125, '"inspect" requires a minimum of 1 argument.\n'],
    [["inspect", "-t", "x", "a"], 125, 'Invalid value "x" for flag --time\n'],
    [["inspect", "-f", "", "a"], 125, "Inspect format parameter invalid: \n"],
    [["rmi"], 1, '"rmi" requires at least 1 image names\n'],
    [
      ["rmi", "none"],
      1,
      "Can not remove image 'none', image name 'none' or 'none:latest' is reserved\n",
    ],
    [["tag", "a"], 1, '"tag" requires exactly 2 arguments.\n'],
    [["tag", "A", "b"], 1, "A is not a valid image name\n"],
    [["tag", "a", "sha256:1"], 1, "sha256:1 is not a valid tag\n"],
    [["save", "-o", "x.tar"], 1, '"save" requires at least 1 argument.\n'],
    [["save", "a"], 1, "missing output file, use -o,--output option\n"],
    [["pull"], 1, "pull requires 1 argument.\n"],
  ];
  for (const [args, code, stderr] of cases) {
    it(`isula ${args.join(" ")} → exit ${code}: ${stderr.split("\n")[0]}`, () => {
      const r = isula(box, args);
      assert.deepEqual(r, { code, stdout: "", stderr });
    });
  }

  it("reports a directory given to load", () => {
    const r = isula(box, ["load", "-i", "."]);
    assert.deepEqual(r, {
      code: 1,
      stdout: "",
      stderr: `Load file is a directory: ${join(box.dir, "work")}/.\n`,
    });
  });

  it("pull, login and logout answer without a registry where iSulad does", () => {
    assert.deepEqual(isula(box, ["pull", "Bad/Name"]), {
      code: 1,
      stdout: "",
      stderr: 'Image "Bad/Name" pulling\nInvalid image name: Bad/Name\n',
    });
    assert.deepEqual(isula(box, ["login", "-u", "a", "r.example.com"]), {
      code: 1,
      stdout: "",
      stderr: "Error: Cannot perform an interactive login from a non TTY device\n",
    });
    assert.deepEqual(isula(box, ["logout", "r.example.com"]), {
      code: 0,
      stdout: "",
      stderr: "Logout Succeeded\n",
    });
  });

  it("prints iSulad's connection error when ISULAD_HOST names a daemon that does not answer", () => {
    const r = isula(box, ["images"], { env: { ISULAD_HOST: `unix://${box.dir}/none.sock` } });
    assert.deepEqual(r, {
      code: 1,
      stdout: "",
      stderr: "Can not connect with server.Is the iSulad daemon running on the host?\n",
    });
  });
});
