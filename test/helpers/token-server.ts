import { createHash, createPrivateKey, createPublicKey, randomUUID, sign } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** Options of the test token server (docker token auth spec). */
export interface TokenServerOptions {
  /** PEM private key (P-256) whose certificate is the registry's `rootcertbundle`. */
  keyFile: string;
  issuer: string;
  service: string;
  /** Accepted Basic credentials; absent or wrong → 401. */
  users: Record<string, string>;
  /** Give anonymous callers pull-only tokens. */
  anonymousPull?: boolean;
  /** Field the token is returned in. */
  field?: "token" | "access_token";
  /** `expires_in` to send (omitted when undefined). */
  expiresIn?: number;
}

/** A running token server; `requests` records every call (without secrets). */
export interface TokenServer {
  realm: string;
  requests: { account?: string; scopes: string[]; authorized: boolean; status: number }[];
  /** Every token handed out, for tests that check no log or message ever shows one. */
  issued: string[];
  options: TokenServerOptions;
  close(): Promise<void>;
}

/**
 * The libtrust key ID distribution 2.8 looks up a JWT's `kid` by: sha256 of the DER
 * SubjectPublicKeyInfo, first 240 bits, base32 without padding, in 12 groups of 4 joined by `:`.
 */
export function libtrustKeyId(publicKeyPem: string | Buffer): string {
  const der = createPublicKey(publicKeyPem).export({ type: "spki", format: "der" });
  const hash = createHash("sha256").update(der).digest().subarray(0, 30);
  const b32 = base32(hash);
  return (b32.match(/.{4}/g) ?? []).join(":");
}

function base32(data: Buffer): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = 0;
  let value = 0;
  let out = "";
  for (const byte of data) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += alphabet[(value << (5 - bits)) & 31];
  return out;
}

function b64url(x: string | Buffer): string {
  return Buffer.from(x).toString("base64url");
}

/** Signs an ES256 JWT with `kid` = libtrust key ID of the key. */
export function signJwt(keyPem: string, claims: object): string {
  const key = createPrivateKey(keyPem);
  const header = {
    typ: "JWT",
    alg: "ES256",
    kid: libtrustKeyId(createPublicKey(key).export({ type: "spki", format: "pem" })),
  };
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
  const sig = sign("sha256", Buffer.from(input), { key, dsaEncoding: "ieee-p1363" });
  return `${input}.${b64url(sig)}`;
}

/** Starts a token server on 127.0.0.1 (random port). */
export async function startTokenServer(opts: TokenServerOptions): Promise<TokenServer> {
  const keyPem = readFileSync(opts.keyFile, "utf8");
  const requests: TokenServer["requests"] = [];
  const issued: string[] = [];
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    const scopes = url.searchParams
      .getAll("scope")
      .flatMap((s) => s.split(" "))
      .filter(Boolean);
    const auth = req.headers.authorization ?? "";
    let account: string | undefined;
    if (auth.startsWith("Basic ")) {
      const text = Buffer.from(auth.slice(6), "base64").toString("utf8");
      const colon = text.indexOf(":");
      const user = text.slice(0, colon);
      if (opts.users[user] !== undefined && opts.users[user] === text.slice(colon + 1))
        account = user;
      else return reply(401, user);
    } else if (!opts.anonymousPull) {
      return reply(401);
    }
    const now = Math.floor(Date.now() / 1000);
    const access = scopes.flatMap((s) => {
      const parts = s.split(":");
      if (parts.length < 3) return [];
      // Signed-in users may also list the catalog (`registry:catalog:*`, for `isula search`).
      if (parts[0] === "registry" && account)
        return [{ type: "registry", name: parts[1], actions: ["*"] }];
      if (parts[0] !== "repository") return [];
      const actions = (parts[2] ?? "").split(",").filter((a) => account || a === "pull");
      return [{ type: "repository", name: parts[1], actions }];
    });
    const claims = {
      iss: opts.issuer,
      sub: account ?? "",
      aud: opts.service,
      exp: now + 600,
      nbf: now - 60,
      iat: now,
      jti: randomUUID(),
      access,
    };
    const token = signJwt(keyPem, claims);
    issued.push(token);
    const body: Record<string, unknown> = { [opts.field ?? "token"]: token };
    if (opts.expiresIn !== undefined) body.expires_in = opts.expiresIn;
    reply(200, account, JSON.stringify(body));

    function reply(status: number, who?: string, text = "{}") {
      requests.push({
        ...(who !== undefined && { account: who }),
        scopes,
        authorized: account !== undefined,
        status,
      });
      res.writeHead(status, { "content-type": "application/json" }).end(text);
    }
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return {
    realm: `http://127.0.0.1:${port}/token`,
    requests,
    issued,
    options: opts,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
