import assert from "node:assert/strict";
import {
  chmodSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { ImageError } from "../errors.ts";
import { AuthStore } from "./auth-store.ts";
import { readSecretFile, writeSecretFile } from "./secure-file.ts";

function savedStore(): AuthStore {
  const store = new AuthStore(join(mkdtempSync(join(tmpdir(), "secure-file-")), ".isulad"));
  store.save("reg.example", { username: "u", password: "pw-secret-1" });
  return store;
}

function refused(re: RegExp) {
  return (err: unknown) =>
    err instanceof ImageError &&
    err.kind === "PermissionDenied" &&
    re.test(err.message) &&
    !err.message.includes("pw-secret-1");
}

describe("secret files", () => {
  it("a file others may only write to is refused too, with the chmod to run", () => {
    const store = savedStore();
    chmodSync(store.authsPath, 0o602);
    assert.throws(
      () => store.get("reg.example"),
      refused(/refusing to use ".*auths\.json": .*\(mode 0602\); run chmod 600 on it/),
    );
  });

  it("a credential folder group or others may write to is refused for reads and saves", () => {
    const store = savedStore();
    for (const mode of [0o770, 0o703]) {
      chmodSync(store.dir, mode);
      const octal = `0${mode.toString(8)}`;
      const re = new RegExp(
        `"${store.dir}": group or others may write to it \\(mode ${octal}\\); run chmod 700 on it`,
      );
      assert.throws(() => store.get("reg.example"), refused(re));
      assert.throws(() => store.save("reg.example", { username: "u", password: "x" }), refused(re));
    }
    chmodSync(store.dir, 0o755); // readable is not enough to swap a file: allowed
    assert.deepEqual(store.get("reg.example"), { username: "u", password: "pw-secret-1" });
  });

  it("an aeskey symlinked out of the folder is not followed", () => {
    const store = savedStore();
    const outside = join(mkdtempSync(join(tmpdir(), "outside-")), "aeskey");
    renameSync(store.keyPath, outside);
    symlinkSync(outside, store.keyPath);
    assert.throws(() => store.get("reg.example"), refused(/aeskey": it is a symbolic link out/));
  });

  it("a symlink to a file inside the folder is followed", () => {
    const store = savedStore();
    renameSync(store.authsPath, join(store.dir, "auths.real"));
    symlinkSync("auths.real", store.authsPath);
    assert.deepEqual(store.get("reg.example"), { username: "u", password: "pw-secret-1" });
  });

  it("writeSecretFile replaces a symlink instead of writing through it", () => {
    const dir = mkdtempSync(join(tmpdir(), "secure-write-"));
    const victim = join(mkdtempSync(join(tmpdir(), "victim-")), "file");
    writeFileSync(victim, "keep me");
    symlinkSync(victim, join(dir, "auths.json"));
    writeSecretFile(join(dir, "auths.json"), Buffer.from("{}"));
    assert.equal(readFileSync(victim, "utf8"), "keep me");
    assert.ok(lstatSync(join(dir, "auths.json")).isFile());
    assert.equal(lstatSync(join(dir, "auths.json")).mode & 0o777, 0o600);
  });

  it("a missing file or folder reads as undefined; a directory in its place is refused", () => {
    const dir = mkdtempSync(join(tmpdir(), "secure-read-"));
    assert.equal(readSecretFile(join(dir, "none", "auths.json")), undefined);
    mkdirSync(join(dir, "auths.json"));
    assert.throws(() => readSecretFile(join(dir, "auths.json")), /is not a regular file/);
  });
});
