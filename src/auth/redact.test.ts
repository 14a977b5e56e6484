import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { credentialForms, redactSecrets } from "./redact.ts";

describe("redactSecrets", () => {
  it("hides secrets in every shape a registry or helper might echo them", () => {
    const jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl";
    const cases: [string, string][] = [
      ['login {"password":"s3cret!","username":"alice"}', "s3cret!"],
      ["Authorization: Basic YWxpY2U6czNjcmV0", "YWxpY2U6czNjcmV0"],
      ["authorization=Bearer eyJhbGciOi.abc", "eyJhbGciOi"],
      ['{"auth":"YWxpY2U6czNjcmV0"}', "YWxpY2U6czNjcmV0"],
      ["fetching https://alice:s3cret@reg/v2/", "s3cret"],
      ["token=abcdef123", "abcdef123"],
      ["unauthorized: header was Basic YWxpY2U6czNjcmV0IQ==", "YWxpY2U6czNjcmV0IQ"],
      ["bad credential Bearer 0123456789abcdefXYZ", "0123456789abcdefXYZ"],
      [`invalid ${jwt} given`, jwt.slice(0, 30)],
      ["grant refresh_token=r3fresh&scope=x", "r3fresh"],
      ['{"Secret":"hunter2"}', "hunter2"],
    ];
    for (const [text, secret] of cases) {
      const out = redactSecrets(text);
      assert.ok(!out.includes(secret), `${out} still holds ${secret}`);
      assert.match(out, /<redacted>/);
    }
  });

  it("hides known secrets and their base64 forms wherever they appear", () => {
    const known = credentialForms({ username: "alice", password: "plain words pw" });
    const b64 = Buffer.from("alice:plain words pw").toString("base64");
    const out = redactSecrets(`denied for plain words pw (${b64})`, known);
    assert.equal(out, "denied for <redacted> (<redacted>)");
  });

  it("leaves ordinary messages alone", () => {
    for (const text of [
      "pulling busybox:latest",
      'registry "r" sent a bearer challenge without a realm',
      "Failed to load auths for host h: invalid auth format",
      'getting a token for "r": wrong username or password',
      "basic authentication required",
    ]) {
      assert.equal(redactSecrets(text), text);
    }
  });
});
