import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { imageError } from "../errors.ts";
import type { ImageService } from "../service/types.ts";
import { bufferOutput } from "./output.ts";
import { runCli } from "./run.ts";
import { FakeService } from "./testing/fake-service.ts";

interface Opened {
  host?: string;
  debug: boolean;
  unpacksLayers?: boolean;
}

async function cli(
  argv: string[],
  opts: { env?: NodeJS.ProcessEnv; open?: () => Promise<ImageService> } = {},
) {
  const io = bufferOutput();
  const svc = new FakeService();
  const opened: Opened[] = [];
  const code = await runCli(argv, {
    io,
    env: opts.env ?? {},
    cwd: "/",
    openService: async (o) => {
      opened.push(o);
      return opts.open ? opts.open() : svc;
    },
  });
  return { code, stdout: io.stdout, stderr: io.stderr, opened, svc };
}

describe("runCli", () => {
  it("prints the command list for no arguments and for --help", async () => {
    for (const argv of [[], ["--help"]]) {
      const r = await cli(argv);
      assert.equal(r.code, 0);
      assert.match(r.stdout, /^USAGE:\n/);
      assert.match(
        r.stdout,
        /\tinspect\s*\tReturn low-level information on a container or image\n/,
      );
    }
  });

  it("prints a command's help for `--help CMD` and `CMD --help`", async () => {
    const a = await cli(["--help", "rmi"]);
    const b = await cli(["rmi", "-f", "--help", "x"]);
    assert.equal(a.stdout, b.stdout);
    assert.match(
      a.stdout,
      /^\nUsage: {2}isula rmi \[OPTIONS\] IMAGE \[IMAGE\.\.\.\]\n\nRemove one or more images\n\n/,
    );
    assert.equal(b.code, 0);
    assert.equal(b.opened.length, 0);
  });

  it("rejects an unknown command with exit 125", async () => {
    const r = await cli(["bogus"]);
    assert.deepEqual([r.code, r.stdout], [125, ""]);
    assert.equal(
      r.stderr,
      'isula: command "bogus" not found\nrun `isula --help` for a list of sub-commands\n',
    );
  });

  it("rejects an unknown flag with exit 125 and an extra blank line", async () => {
    const long = await cli(["images", "--xyz"]);
    assert.deepEqual(
      [long.code, long.stdout, long.stderr],
      [125, "", "Unknown flag found:'--xyz'\n\n"],
    );
    const short = await cli(["rmi", "-x", "a"]);
    assert.deepEqual([short.code, short.stderr], [125, "Unknown flag found:'x'\n"]);
  });

  it("exits with the command's usage code for other parse errors", async () => {
    const images = await cli(["images", "-f"]);
    assert.deepEqual([images.code, images.stderr], [1, "Flag needs an argument: --filter\n"]);
    const inspect = await cli(["inspect", "-t", "soon", "a"]);
    assert.deepEqual(
      [inspect.code, inspect.stderr],
      [125, 'Invalid value "soon" for flag --time\n'],
    );
    const host = await cli(["images", "-H", "tcp://nowhere"]);
    assert.deepEqual([host.code, host.stderr], [1, "Invalid socket name : tcp://nowhere\n"]);
  });

  it("opens the service only when a handler uses it, and closes it after", async () => {
    const usage = await cli(["tag", "a"]);
    assert.equal(usage.opened.length, 0);
    const r = await cli(["images", "-D"]);
    assert.equal(r.code, 0);
    assert.deepEqual(r.opened, [{ host: undefined, debug: true }]);
    assert.equal(r.svc.closed, true);
  });

  it("tells the service when the command will unpack layers (to start workers early)", async () => {
    const opens = async (argv: string[]) => (await cli(argv)).opened[0]?.unpacksLayers;
    const file = fileURLToPath(import.meta.url); // load and import look at it before the service
    assert.equal(await opens(["load", "-i", file]), true);
    assert.equal(await opens(["pull", "busybox"]), true);
    assert.equal(await opens(["import", file, "r:1"]), true);
    assert.equal(await opens(["load", "-i", file, "-t", "embedded"]), undefined);
    assert.equal(await opens(["rmi", "busybox"]), undefined);
  });

  it("takes the host from -H, else from a non-empty ISULAD_HOST", async () => {
    const flag = await cli(["images", "-H", "unix:///a.sock"], {
      env: { ISULAD_HOST: "unix:///b.sock" },
    });
    assert.equal(flag.opened[0]?.host, "unix:///a.sock");
    const env = await cli(["images"], { env: { ISULAD_HOST: "unix:///b.sock" } });
    assert.equal(env.opened[0]?.host, "unix:///b.sock");
    const empty = await cli(["images"], { env: { ISULAD_HOST: "" } });
    assert.equal(empty.opened[0]?.host, undefined);
  });

  it("prints a failure to open the service bare, without the daemon prefix", async () => {
    const message = "Can not connect with server.Is the iSulad daemon running on the host?";
    const r = await cli(["images"], {
      open: async () => Promise.reject(imageError("Unavailable", message)),
    });
    assert.deepEqual([r.code, r.stdout, r.stderr], [1, "", `${message}\n`]);
  });

  it("prints an unexpected error's message without a stack, unless -D", async () => {
    const boom = new FakeService();
    boom.failWith.set("list", new TypeError("boom"));
    const quiet = await cli(["images"], { open: async () => boom });
    assert.deepEqual([quiet.code, quiet.stderr], [1, "boom\n"]);
    const loud = await cli(["images", "-D"], { open: async () => boom });
    assert.match(loud.stderr, /^boom\nTypeError: boom\n\s+at /);
  });

  it("prints version lines for `version` and `--version`", async () => {
    for (const argv of [["version"], ["--version"]]) {
      const r = await cli(argv);
      assert.equal(r.code, 0);
      assert.match(
        r.stdout,
        /^Client:\n {2}Version:\t\d+\.\d+\.\d+\n {2}Git commit:\t\S+\n {2}Build time:\t\S+\n/,
      );
    }
  });
});
