import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import {
  chmodSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { ImageError } from "../errors.ts";
import { AuthStore } from "./auth-store.ts";
import { decryptAuth, encryptAuth } from "./credential-cipher.ts";

const KEY = Buffer.from("0123456789abcdef0123456789abcdef", "ascii");
const IV = Buffer.from("fedcba9876543210", "ascii");
// printf 'alice:s3cr:et' | base64 | openssl enc -aes-256-cfb -K <hex KEY> -iv <hex IV>, IV prepended
const VECTOR = "ZmVkY2JhOTg3NjU0MzIxMIcPAy+VwhuCEV6o8Fnqx3Bl0dRH";

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), "auth-store-"));
}

function opensslEncrypt(plain: string, key: Buffer, iv: Buffer): string | undefined {
  const r = spawnSync(
    "openssl",
    ["enc", "-aes-256-cfb", "-K", key.toString("hex"), "-iv", iv.toString("hex")],
    { input: Buffer.from(plain).toString("base64") },
  );
  if (r.status !== 0 || r.error) return undefined;
  return Buffer.concat([iv, r.stdout]).toString("base64");
}

describe("credential cipher", () => {
  it("encryptAuth matches a fixed openssl aes-256-cfb vector", () => {
    assert.equal(encryptAuth({ username: "alice", password: "s3cr:et" }, KEY, IV), VECTOR);
  });

  it("encryptAuth matches openssl enc -aes-256-cfb for a long password", (t) => {
    const password = "p@ss:word/with+chars=".repeat(9);
    const expected = opensslEncrypt(`bob:${password}`, KEY, IV);
    if (expected === undefined) return t.skip("openssl is not installed");
    assert.equal(encryptAuth({ username: "bob", password }, KEY, IV), expected);
  });

  it("decryptAuth splits on the first colon, so passwords may contain ':'", () => {
    assert.deepEqual(decryptAuth(VECTOR, KEY), { username: "alice", password: "s3cr:et" });
  });

  it("decryptAuth rejects garbage without echoing it", () => {
    const bad = Buffer.concat([IV, Buffer.from("not-base64-at-all!!")]).toString("base64");
    assert.throws(() => decryptAuth(bad, KEY), /^ImageError: invalid auth format$/);
    assert.throws(() => decryptAuth("c2hvcnQ=", KEY), /invalid auth format/);
  });

  it("decryptAuth with the wrong key does not yield the credentials", () => {
    const other = Buffer.from("ffffffffffffffffffffffffffffffff", "ascii");
    let got: unknown;
    try {
      got = decryptAuth(VECTOR, other);
    } catch (err) {
      got = err;
    }
    assert.notDeepEqual(got, { username: "alice", password: "s3cr:et" });
  });
});

describe("AuthStore", () => {
  it("save writes iSulad's files with modes 0700/0600 and get reads them back", () => {
    const dir = join(tempDir(), ".isulad");
    const store = new AuthStore(dir);
    store.save("localhost:5000", { username: "u", password: "a:b:c" });
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    assert.equal(statSync(store.authsPath).mode & 0o777, 0o600);
    assert.equal(statSync(store.keyPath).mode & 0o777, 0o600);
    const key = readFileSync(store.keyPath, "ascii");
    assert.match(key, /^[0-9a-f]{32}$/);
    const text = readFileSync(store.authsPath, "utf8");
    const doc = JSON.parse(text);
    assert.deepEqual(Object.keys(doc), ["auths"]);
    assert.match(doc.auths["localhost:5000"].auth, /^[A-Za-z0-9+/]+=*$/);
    assert.ok(text.includes("\n"), "pretty-printed");
    const iv = Buffer.from(doc.auths["localhost:5000"].auth, "base64").subarray(0, 16);
    assert.match(iv.toString("latin1"), /^[0-9a-f]{16}$/);
    assert.deepEqual(store.get("localhost:5000"), { username: "u", password: "a:b:c" });
    assert.deepEqual(readdirSync(dir).sort(), ["aeskey", "auths.json"]);
  });

  it("reads a file written by another tool with a known key (fixed vector)", () => {
    const dir = tempDir();
    writeFileSync(join(dir, "aeskey"), KEY, { mode: 0o600 });
    const auths = { auths: { "registry-1.docker.io": { auth: VECTOR } } };
    writeFileSync(join(dir, "auths.json"), JSON.stringify(auths), { mode: 0o600 });
    const store = new AuthStore(dir);
    assert.deepEqual(store.get("registry-1.docker.io"), { username: "alice", password: "s3cr:et" });
    assert.equal(store.get("other.example.com"), undefined);
  });

  it("saving again replaces the host's entry and keeps the key and other entries", () => {
    const store = new AuthStore(join(tempDir(), "a"));
    store.save("one", { username: "u1", password: "p1" });
    const key = readFileSync(store.keyPath);
    store.save("two", { username: "u2", password: "p2" });
    store.save("one", { username: "u3", password: "p3" });
    assert.deepEqual(readFileSync(store.keyPath), key);
    assert.deepEqual(store.get("one"), { username: "u3", password: "p3" });
    assert.deepEqual(store.get("two"), { username: "u2", password: "p2" });
  });

  it("remove drops only that host, keeps aeskey, and succeeds when nothing is stored", () => {
    const dir = join(tempDir(), "a");
    const store = new AuthStore(dir);
    store.remove("nothing-yet");
    store.save("one", { username: "u1", password: "p1" });
    store.save("two", { username: "u2", password: "p2" });
    store.remove("one");
    store.remove("one");
    assert.equal(store.get("one"), undefined);
    assert.deepEqual(store.get("two"), { username: "u2", password: "p2" });
    assert.deepEqual(readdirSync(dir).sort(), ["aeskey", "auths.json"]);
  });

  it("get on a missing folder is undefined, not an error", () => {
    assert.equal(new AuthStore(join(tempDir(), "none")).get("h"), undefined);
  });

  it("refuses an auths.json or aeskey that group or others may read", () => {
    const store = new AuthStore(join(tempDir(), "a"));
    store.save("h", { username: "u", password: "secret-pw" });
    chmodSync(store.authsPath, 0o644);
    assert.throws(
      () => store.get("h"),
      (err: unknown) =>
        err instanceof ImageError &&
        err.kind === "PermissionDenied" &&
        /Failed to load auths for host h: refusing to use .*auths\.json.*mode 0644/.test(
          err.message,
        ),
    );
    chmodSync(store.authsPath, 0o600);
    chmodSync(store.keyPath, 0o640);
    assert.throws(() => store.get("h"), /aeskey.*mode 0640/);
    assert.throws(() => store.save("h", { username: "u", password: "x" }), /aeskey/);
  });

  it("refuses a symlinked auths.json that leads out of the folder", () => {
    const outside = tempDir();
    const target = join(outside, "auths.json");
    writeFileSync(target, JSON.stringify({ auths: {} }), { mode: 0o600 });
    const dir = tempDir();
    symlinkSync(target, join(dir, "auths.json"));
    const store = new AuthStore(dir);
    assert.throws(() => store.get("h"), /symbolic link out of its folder/);
    assert.throws(() => store.remove("h"), /symbolic link out of its folder/);
  });

  it("error messages never contain the password", () => {
    const store = new AuthStore(join(tempDir(), "a"));
    store.save("h", { username: "user", password: "hunter2-secret" });
    writeFileSync(store.keyPath, "ffffffffffffffffffffffffffffffff", { mode: 0o600 });
    try {
      store.get("h");
    } catch (err) {
      assert.ok(!String((err as Error).message).includes("hunter2"));
    }
  });

  it("a malformed auths.json fails with a message naming the file", () => {
    const dir = tempDir();
    writeFileSync(join(dir, "auths.json"), "{not json", { mode: 0o600 });
    assert.throws(() => new AuthStore(dir).get("h"), /failed to parse file ".*auths\.json"/);
  });
});
