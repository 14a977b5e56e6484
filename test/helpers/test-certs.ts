import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** PEM file paths of a certificate and its key. */
export interface CertPair {
  cert: string;
  key: string;
}

function openssl(args: string[], cwd: string): void {
  execFileSync("openssl", args, { cwd, stdio: ["ignore", "ignore", "pipe"] });
}

const EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];

/** A self-signed CA in `dir/<name>.crt` + `.key` (openssl CLI, P-256, valid 2 days). */
export function makeCa(dir: string, name: string): CertPair {
  mkdirSync(dir, { recursive: true });
  const pair = { cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) };
  openssl(
    [
      "req",
      "-x509",
      ...EC,
      "-keyout",
      pair.key,
      "-out",
      pair.cert,
      "-days",
      "2",
      "-subj",
      `/CN=${name}`,
    ],
    dir,
  );
  return pair;
}

/**
 * A leaf certificate signed by `ca`: for a server (`subjectAltName` IP 127.0.0.1 and localhost)
 * or a client (`extendedKeyUsage clientAuth`). Written to `dir/<name>.pem` + `.key.pem`.
 */
export function makeLeaf(
  dir: string,
  name: string,
  ca: CertPair,
  role: "server" | "client",
): CertPair {
  const pair = { cert: join(dir, `${name}.pem`), key: join(dir, `${name}.key.pem`) };
  const csr = join(dir, `${name}.csr`);
  const ext = join(dir, `${name}.ext`);
  writeFileSync(
    ext,
    role === "server"
      ? "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n"
      : "extendedKeyUsage=clientAuth\n",
  );
  openssl(["req", ...EC, "-keyout", pair.key, "-out", csr, "-subj", `/CN=${name}`], dir);
  openssl(
    [
      "x509",
      "-req",
      "-in",
      csr,
      "-CA",
      ca.cert,
      "-CAkey",
      ca.key,
      "-CAcreateserial",
      "-out",
      pair.cert,
      "-days",
      "2",
      "-extfile",
      ext,
    ],
    dir,
  );
  return pair;
}
