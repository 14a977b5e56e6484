import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { imageError } from "../errors.ts";
import { stripLineEnd } from "./registry-commands.ts";
import { FakeService, FakeTerminal, runHandler } from "./testing/fake-service.ts";

const WARNING = "WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n";

/** The request of the first call the fake recorded. */
function argOf(svc: FakeService): Record<string, string> {
  return (svc.calls[0]?.args[0] ?? {}) as Record<string, string>;
}

function run(command: string, argv: string[], svc = new FakeService(), term = new FakeTerminal()) {
  return runHandler(command, argv, svc, "/work", term);
}

describe("argument counts", () => {
  for (const command of ["pull", "login", "logout"]) {
    it(`${command} requires exactly one argument`, async () => {
      for (const argv of [[], ["a", "b"]]) {
        const svc = new FakeService();
        const r = await run(command, argv, svc);
        assert.deepEqual(r, { code: 1, stdout: "", stderr: `${command} requires 1 argument.\n` });
        assert.equal(svc.calls.length, 0);
      }
    });
  }
});

describe("isula pull", () => {
  it("prints pulling and pulled lines on stderr and nothing on stdout off a TTY", async () => {
    const svc = new FakeService();
    svc.pullProgress = [{ id: "0123456789ab", current: 10, total: 20, status: "downloading" }];
    svc.pullResult = { name: "busybox:latest", id: "a".repeat(64) };
    const r = await run("pull", ["busybox"], svc);
    assert.deepEqual(r, {
      code: 0,
      stdout: "",
      stderr: 'Image "busybox" pulling\nImage "busybox:latest" pulled\n',
    });
    assert.equal(argOf(svc).name, "busybox");
  });

  it("draws progress on stdout when it is a TTY", async () => {
    const svc = new FakeService();
    svc.pullProgress = [
      { id: "0123456789ab", current: 0, total: 2048, status: "downloading" },
      { id: "0123456789ab", current: 2048, total: 2048, status: "done" },
    ];
    const r = await run(
      "pull",
      ["busybox"],
      svc,
      new FakeTerminal({ stdoutIsTTY: true, width: 80 }),
    );
    assert.equal(r.code, 0);
    assert.match(r.stdout, /0123456789ab: {2}2\.00KB\/2\.00KB\n$/);
  });

  it("passes --platform to the service", async () => {
    const svc = new FakeService();
    await run("pull", ["--platform", "linux/arm64", "busybox"], svc);
    assert.equal(argOf(svc).platform, "linux/arm64");
  });

  it("prints a failure bare, as iSulad's streaming pull does, and exits 1", async () => {
    const svc = new FakeService();
    const msg = "Failed to pull image nope with error: Image not found in registry";
    svc.failWith.set("pull", imageError("NotFound", msg));
    const r = await run("pull", ["nope"], svc);
    assert.deepEqual(r, { code: 1, stdout: "", stderr: `Image "nope" pulling\n${msg}\n` });
  });
});

describe("isula login", () => {
  it("--password-stdin without -u comes first", async () => {
    const r = await run("login", ["--password-stdin", "-p", "x", "srv"]);
    assert.deepEqual(r, {
      code: 1,
      stdout: "",
      stderr: "Must provide --username with --password-stdin\n",
    });
  });

  it("-p warns on stdout, and with --password-stdin is refused on stdout", async () => {
    const r = await run("login", ["-u", "u", "-p", "x", "--password-stdin", "srv"]);
    assert.deepEqual(r, {
      code: 1,
      stdout: `${WARNING}--password and --password-stdin are mutually exclusive\n`,
      stderr: "",
    });
  });

  it("-u and -p log in with a warning, then Login Succeeded on stderr", async () => {
    const svc = new FakeService();
    const r = await run("login", ["-u", "alice", "-p", "pw:with:colons", "reg:5000"], svc);
    assert.deepEqual(r, { code: 0, stdout: WARNING, stderr: "Login Succeeded\n" });
    assert.deepEqual(svc.calls[0]?.args[0], {
      server: "reg:5000",
      username: "alice",
      password: "pw:with:colons",
    });
  });

  it("--password-stdin strips one \\n then one \\r and keeps 255 characters", async () => {
    const svc = new FakeService();
    const term = new FakeTerminal({ stdin: "secret\r\n\n" });
    await run("login", ["-u", "u", "--password-stdin", "srv"], svc, term);
    assert.equal(argOf(svc).password, "secret\r\n");
    const long = new FakeTerminal({ stdin: `${"x".repeat(300)}\n` });
    const svc2 = new FakeService();
    await run("login", ["-u", "u", "--password-stdin", "srv"], svc2, long);
    assert.equal(argOf(svc2).password?.length, 255);
  });

  it("an empty --password-stdin is Error: Password Required", async () => {
    const term = new FakeTerminal({ stdin: "\n" });
    const r = await run("login", ["-u", "u", "--password-stdin", "srv"], new FakeService(), term);
    assert.deepEqual(r, { code: 1, stdout: "", stderr: "Error: Password Required\n" });
  });

  it("needs a TTY to prompt", async () => {
    const r = await run("login", ["-u", "u", "srv"]);
    assert.deepEqual(r, {
      code: 1,
      stdout: "",
      stderr: "Error: Cannot perform an interactive login from a non TTY device\n",
    });
  });

  it("prompts for the user name with echo and the password without", async () => {
    const svc = new FakeService();
    const term = new FakeTerminal({ stdinIsTTY: true, lines: ["bob", "hunter2"] });
    const r = await run("login", ["srv"], svc, term);
    assert.deepEqual(r, { code: 0, stdout: "Username: Password: \n", stderr: "Login Succeeded\n" });
    assert.deepEqual(term.reads, [{ echo: true }, { echo: false }]);
    assert.deepEqual(svc.calls[0]?.args[0], {
      server: "srv",
      username: "bob",
      password: "hunter2",
    });
  });

  it("an empty interactive user name exits 1 silently", async () => {
    const svc = new FakeService();
    const term = new FakeTerminal({ stdinIsTTY: true, lines: [""] });
    const r = await run("login", ["srv"], svc, term);
    assert.deepEqual(r, { code: 1, stdout: "Username: ", stderr: "" });
    assert.equal(svc.calls.length, 0);
  });

  it("reports a daemon failure with the daemon prefix and never the password", async () => {
    const svc = new FakeService();
    const msg =
      "Failed to login with error: login to registry for srv failed: invalid username/password";
    svc.failWith.set("login", imageError("Unauthenticated", msg));
    const r = await run("login", ["-u", "u", "-p", "topsecret", "srv"], svc);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, `Error response from daemon: ${msg}\n`);
    assert.ok(!`${r.stdout}${r.stderr}`.includes("topsecret"));
  });
});

describe("isula logout", () => {
  it("prints Logout Succeeded on stderr", async () => {
    const svc = new FakeService();
    const r = await run("logout", ["reg:5000"], svc);
    assert.deepEqual(r, { code: 0, stdout: "", stderr: "Logout Succeeded\n" });
    assert.deepEqual(svc.calls[0]?.args[0], { server: "reg:5000" });
  });
});

describe("stripLineEnd", () => {
  const table: [string, string][] = [
    ["pw\n", "pw"],
    ["pw\r\n", "pw"],
    ["pw\n\r", "pw\n"],
    ["pw\r", "pw"],
    ["pw\n\n", "pw\n"],
  ];
  for (const [input, want] of table) {
    it(`stripLineEnd(${JSON.stringify(input)}) is ${JSON.stringify(want)}`, () => {
      assert.equal(stripLineEnd(input), want);
    });
  }
});
