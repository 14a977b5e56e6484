import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { rootCertificates } from "node:tls";
import { loadTlsMaterial } from "./certs-dir.ts";

const root = mkdtempSync(join(tmpdir(), "certs-d-"));
after(() => rmSync(root, { recursive: true, force: true }));

function folder(host: string, files: Record<string, string>): void {
  mkdirSync(join(root, host), { recursive: true });
  for (const [name, body] of Object.entries(files)) writeFileSync(join(root, host, name), body);
}

test("loadTlsMaterial of a missing folder is no material", async () => {
  assert.deepEqual(await loadTlsMaterial(root, "nowhere:5000"), {});
});

test("loadTlsMaterial with only a CA adds it to the system roots", async () => {
  folder("ca-only:5000", { "ca.crt": "CA-PEM" });
  const m = await loadTlsMaterial(root, "ca-only:5000");
  assert.equal(m.ca?.length, rootCertificates.length + 1);
  assert.equal(m.ca?.at(-1), "CA-PEM");
  assert.equal(m.cert, undefined);
});

test("loadTlsMaterial reads a client pair with the same base name", async () => {
  folder("pair", { "ca.crt": "CA", "tls.cert": "CERT", "tls.key": "KEY", README: "ignored" });
  const m = await loadTlsMaterial(root, "pair");
  assert.equal(m.cert?.toString(), "CERT");
  assert.equal(m.key?.toString(), "KEY");
});

test("loadTlsMaterial refuses a certificate without its key, naming the file", async () => {
  folder("no-key", { "client.cert": "CERT" });
  await assert.rejects(loadTlsMaterial(root, "no-key"), (err: Error & { kind?: string }) => {
    assert.equal(err.kind, "FailedPrecondition");
    assert.match(err.message, /client\.cert" has no "client\.key"/);
    return true;
  });
});

test("loadTlsMaterial refuses a key without its certificate", async () => {
  folder("no-cert", { "client.key": "KEY" });
  await assert.rejects(loadTlsMaterial(root, "no-cert"), /client\.key" has no "client\.cert"/);
});
