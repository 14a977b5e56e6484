import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { imageError } from "../errors.ts";
import { findCommand } from "./commands.ts";
import { bufferOutput } from "./output.ts";
import { parseArgs } from "./parser.ts";
import { FakeService } from "./testing/fake-service.ts";

const dir = mkdtempSync(join(tmpdir(), "import-cmd-"));
writeFileSync(join(dir, "rootfs.tar"), "tar bytes");
after(() => rmSync(dir, { recursive: true, force: true }));

async function runImport(argv: string[], svc: FakeService, stdin?: AsyncIterable<Uint8Array>) {
  const spec = findCommand("import");
  assert.ok(spec);
  const io = bufferOutput();
  const ctx = { service: svc, io, cwd: dir, debug: false, ...(stdin ? { stdin } : {}) };
  const code = await (await spec.handler())(parseArgs(spec.options, argv), ctx);
  return { code, stdout: io.stdout, stderr: io.stderr };
}

describe("isula import", () => {
  it("passes the absolute path and the name, and prints sha256:<id>", async () => {
    const svc = new FakeService();
    const r = await runImport(["rootfs.tar", "app:1"], svc);
    assert.deepEqual(r, { code: 0, stdout: `sha256:${"e".repeat(64)}\n`, stderr: "" });
    const signal = (svc.calls[0]?.args[0] as { signal?: unknown } | undefined)?.signal;
    assert.ok(signal instanceof AbortSignal);
    assert.deepEqual(svc.calls[0]?.args, [
      { file: join(dir, "rootfs.tar"), name: "app:1", signal },
    ]);
  });

  it("copies stdin for `-` into a file the service reads, removed afterwards", async () => {
    const svc = new FakeService();
    let seen = "";
    let path = "";
    svc.importImage = async (req) => {
      path = req.file;
      seen = readFileSync(req.file, "utf8");
      return { id: "1".repeat(64) };
    };
    async function* stdin() {
      yield Buffer.from("piped ");
      yield Buffer.from("tarball");
    }
    const r = await runImport(["-", "app:2"], svc, stdin());
    assert.equal(r.code, 0);
    assert.equal(seen, "piped tarball");
    assert.ok(path !== "" && !existsSync(path));
  });

  it("checks its arguments before asking the service", async () => {
    const svc = new FakeService();
    const cases: [string[], string][] = [
      [["rootfs.tar"], `"import" requires exactly 2 arguments.\n`],
      [["rootfs.tar", "Bad:Name"], "Bad:Name is not a valid image name\n"],
      [
        ["rootfs.tar", `a@sha256:${"0".repeat(64)}`],
        `a@sha256:${"0".repeat(64)} is not a valid image name\n`,
      ],
      [["missing.tar", "a"], `File ${dir}/missing.tar is not exist\n`],
      [[".", "a"], `Import file is a directory: ${dir}/.\n`],
    ];
    for (const [argv, stderr] of cases) {
      assert.deepEqual(await runImport(argv, svc), { code: 1, stdout: "", stderr }, argv.join(" "));
    }
    assert.equal(svc.calls.length, 0);
  });

  it("prints the reason, then iSulad's failure line", async () => {
    const svc = new FakeService();
    svc.failWith.set(
      "importImage",
      imageError("InvalidArgument", "importing rootfs tarball: the archive is empty"),
    );
    const r = await runImport(["rootfs.tar", "app:1"], svc);
    assert.deepEqual(r, {
      code: 1,
      stdout: "",
      stderr:
        "Error response from daemon: importing rootfs tarball: the archive is empty\n" +
        'Import tarball "rootfs.tar" to "app:1" failed\n',
    });
  });
});
