import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CANNOT_CONNECT } from "../service/open.ts";
import { cannotConnectMessage } from "./connect-failure.ts";

const host = "tcp://127.0.0.1:2375";
const refusedClientCert =
  "TLS: the daemon closed the connection: it may not trust the client certificate (--tlscert)";

describe("cannotConnectMessage", () => {
  it("adds nothing for a unix socket", () => {
    const cause = Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" });
    assert.equal(cannotConnectMessage("unix:///run/isulad.sock", cause, true), CANNOT_CONNECT);
  });

  it("reads a refused client certificate into a close or a reset alike (TLS 1.3 races them)", () => {
    for (const cause of [
      undefined,
      Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" }),
      Object.assign(new Error("write EPIPE"), { code: "EPIPE" }),
    ]) {
      assert.equal(
        cannotConnectMessage(host, cause, true),
        `${CANNOT_CONNECT} (${host}: ${refusedClientCert})`,
      );
    }
  });

  it("names a missing client certificate and an untrusted daemon", () => {
    const required = Object.assign(new Error("tlsv13 alert certificate required"), {
      code: "ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED",
    });
    assert.match(cannotConnectMessage(host, required, true), /requires a client certificate/);
    const untrusted = Object.assign(new Error("self-signed certificate in certificate chain"), {
      code: "SELF_SIGNED_CERT_IN_CHAIN",
    });
    assert.match(
      cannotConnectMessage(host, untrusted, true),
      /not trusted by --tlscacert: self-signed certificate in certificate chain\)$/,
    );
  });

  it("hints at TLS only when a plaintext client met a silent close", () => {
    assert.match(cannotConnectMessage(host, undefined, false), /does the daemon want TLS/);
    const refused = Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" });
    assert.equal(cannotConnectMessage(host, refused, false), CANNOT_CONNECT);
    assert.equal(cannotConnectMessage(host, refused, true), CANNOT_CONNECT);
  });
});
