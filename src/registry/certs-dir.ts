import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { rootCertificates } from "node:tls";
import { hasCode, imageError } from "../errors.ts";

/** TLS material for one host, from `<certsDir>/<host[:port]>/`. */
export interface TlsMaterial {
  /** The system roots plus every `*.crt` of the folder (Docker's rule); absent: system roots only. */
  ca?: string[];
  /** Client certificate and key (`<name>.cert` + `<name>.key`), PEM. */
  cert?: Buffer;
  key?: Buffer;
}

/**
 * Loads `<certsDir>/<host>/`: every `*.crt` is a CA added to the system roots; `<name>.cert` with
 * `<name>.key` is the client pair. A folder with only a CA is fine (DESIGN §5); a missing folder
 * means no custom material. Throws `FailedPrecondition` naming the file for a `*.cert` without
 * its `*.key` (or the reverse), or for more than one client pair.
 */
export async function loadTlsMaterial(certsDir: string, host: string): Promise<TlsMaterial> {
  const dir = join(certsDir, host);
  let names: string[];
  try {
    names = (await readdir(dir)).sort();
  } catch (err) {
    if (hasCode(err, "ENOENT") || hasCode(err, "ENOTDIR")) return {};
    throw imageError("FailedPrecondition", `reading certificates folder "${dir}"`, err);
  }

  const material: TlsMaterial = {};
  const cas = names.filter((n) => n.endsWith(".crt"));
  if (cas.length > 0) {
    const custom = await Promise.all(cas.map((n) => readFile(join(dir, n), "utf8")));
    material.ca = [...rootCertificates, ...custom];
  }

  const certs = names.filter((n) => n.endsWith(".cert"));
  const keys = names.filter((n) => n.endsWith(".key"));
  for (const c of certs) {
    const key = `${c.slice(0, -".cert".length)}.key`;
    if (!keys.includes(key))
      throw imageError(
        "FailedPrecondition",
        `client certificate "${join(dir, c)}" has no "${key}"`,
      );
  }
  for (const k of keys) {
    const cert = `${k.slice(0, -".key".length)}.cert`;
    if (!certs.includes(cert))
      throw imageError("FailedPrecondition", `client key "${join(dir, k)}" has no "${cert}"`);
  }
  if (certs.length > 1)
    throw imageError("FailedPrecondition", `more than one client certificate in "${dir}"`);
  const [first] = certs;
  if (first !== undefined) {
    material.cert = await readFile(join(dir, first));
    material.key = await readFile(join(dir, `${first.slice(0, -".cert".length)}.key`));
  }
  return material;
}
