import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { clientTlsSettings, readClientTls } from "./client-tls.ts";

describe("clientTlsSettings", () => {
  const home = { HOME: "/home/u" };

  it("is off without flags or environment", () => {
    assert.equal(clientTlsSettings({}, home), undefined);
    assert.equal(
      clientTlsSettings({}, { ...home, ISULAD_TLS: "0", ISULAD_TLS_VERIFY: "" }),
      undefined,
    );
  });

  it("turns on with --tls (no verification) and --tlsverify (verification)", () => {
    assert.equal(clientTlsSettings({ tls: true }, home)?.verify, false);
    assert.equal(clientTlsSettings({ tlsverify: true }, home)?.verify, true);
    assert.equal(clientTlsSettings({}, { ...home, ISULAD_TLS: "1" })?.verify, false);
    assert.equal(clientTlsSettings({}, { ...home, ISULAD_TLS_VERIFY: "yes" })?.verify, true);
  });

  it("lets a flag given as false win over the environment", () => {
    const env = { ...home, ISULAD_TLS_VERIFY: "1" };
    assert.equal(clientTlsSettings({ tlsverify: false }, env), undefined);
    assert.equal(clientTlsSettings({ tlsverify: false, tls: true }, env)?.verify, false);
  });

  it("defaults the files to $HOME/.iSulad, or ISULAD_CERT_PATH, and flags override each", () => {
    const s = clientTlsSettings({ tlsverify: true, tlscert: "/c.pem" }, home);
    assert.deepEqual(s, {
      verify: true,
      ca: { path: "/home/u/.iSulad/ca.pem", explicit: false },
      cert: { path: "/c.pem", explicit: true },
      key: { path: "/home/u/.iSulad/key.pem", explicit: false },
    });
    const env = { ...home, ISULAD_CERT_PATH: "/etc/pki/isula" };
    assert.equal(clientTlsSettings({ tls: true }, env)?.ca.path, "/etc/pki/isula/ca.pem");
  });
});

describe("readClientTls", () => {
  const dir = mkdtempSync(join(tmpdir(), "client-tls-"));
  process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
  for (const name of ["ca.pem", "cert.pem", "key.pem"]) writeFileSync(join(dir, name), name);
  const file = (name: string, explicit = false) => ({ path: join(dir, name), explicit });

  it("reads the CA when verifying and the pair when both files exist", () => {
    const m = readClientTls({
      verify: true,
      ca: file("ca.pem"),
      cert: file("cert.pem"),
      key: file("key.pem"),
    });
    assert.deepEqual(
      [m.verify, m.ca?.toString(), m.cert?.toString(), m.key?.toString()],
      [true, "ca.pem", "cert.pem", "key.pem"],
    );
  });

  it("skips missing default files, and the CA when not verifying", () => {
    const m = readClientTls({
      verify: false,
      ca: file("none-ca.pem"),
      cert: file("none-cert.pem"),
      key: file("none-key.pem"),
    });
    assert.deepEqual(m, { verify: false });
  });

  it("fails naming a missing CA when verifying, or a missing file a flag named", () => {
    const pair = { cert: file("cert.pem"), key: file("key.pem") };
    assert.throws(() => readClientTls({ verify: true, ca: file("none.pem"), ...pair }), {
      kind: "InvalidArgument",
      message: `reading TLS CA certificate "${join(dir, "none.pem")}": no such file`,
    });
    assert.throws(
      () => readClientTls({ verify: false, ca: file("ca.pem"), ...pair, key: file("k", true) }),
      { message: `reading TLS key "${join(dir, "k")}": no such file` },
    );
  });

  it("refuses a certificate without its key", () => {
    assert.throws(
      () =>
        readClientTls({
          verify: false,
          ca: file("ca.pem"),
          cert: file("cert.pem"),
          key: file("none-key.pem"),
        }),
      {
        kind: "InvalidArgument",
        message: `TLS client certificate "${join(dir, "cert.pem")}" has no key "${join(dir, "none-key.pem")}"`,
      },
    );
  });
});
