import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { imageError } from "../errors.ts";

/** The CLI's TLS flags as given; absent means not given. */
export interface TlsFlags {
  tls?: boolean;
  tlsverify?: boolean;
  tlscacert?: string;
  tlscert?: string;
  tlskey?: string;
}

/** Where `isula` finds its TLS files for a `tcp://` daemon, and whether it verifies it. */
export interface ClientTlsSettings {
  /** Check the daemon's certificate against `ca` (`--tlsverify`); `--tls` alone does not. */
  verify: boolean;
  ca: TlsFile;
  cert: TlsFile;
  key: TlsFile;
}

/** A PEM file; `explicit` when named by a flag, so that it must exist. */
export interface TlsFile {
  path: string;
  explicit: boolean;
}

/** What the daemon client gets: PEM bytes of what was found. */
export interface ClientTlsMaterial {
  verify: boolean;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

const FILE_ERRORS: Record<string, string> = {
  ENOENT: "no such file",
  EACCES: "permission denied",
  EISDIR: "is a directory",
};

const on = (v: string | undefined) => v !== undefined && v !== "" && v !== "0";

/**
 * iSulad's client TLS rules (isulad-behaviour §1.1): `--tls`, `--tlsverify` (implies `--tls`),
 * `--tlscacert`/`--tlscert`/`--tlskey`, with `ISULAD_TLS`, `ISULAD_TLS_VERIFY` (non-empty and
 * not "0" means on) and `ISULAD_CERT_PATH` (a folder of `ca.pem`, `cert.pem`, `key.pem`,
 * default `$HOME/.iSulad`) as defaults. A flag given as false wins over the environment.
 * Undefined when TLS is off. Pure: reads no file.
 */
export function clientTlsSettings(
  flags: TlsFlags,
  env: Record<string, string | undefined>,
): ClientTlsSettings | undefined {
  const verify = flags.tlsverify ?? on(env.ISULAD_TLS_VERIFY);
  const tls = verify || (flags.tls ?? on(env.ISULAD_TLS));
  if (!tls) return undefined;
  const dir = env.ISULAD_CERT_PATH || join(env.HOME || homedir(), ".iSulad");
  const file = (flag: string | undefined, name: string): TlsFile =>
    flag !== undefined
      ? { path: flag, explicit: true }
      : { path: join(dir, name), explicit: false };
  return {
    verify,
    ca: file(flags.tlscacert, "ca.pem"),
    cert: file(flags.tlscert, "cert.pem"),
    key: file(flags.tlskey, "key.pem"),
  };
}

/**
 * Reads the files of `settings`. The CA is needed to verify (`--tlsverify`); the client pair is
 * sent when both files exist. A file named by a flag, or the CA when verifying, that cannot be
 * read is `InvalidArgument` naming it; so is a certificate without its key or the reverse.
 */
export function readClientTls(settings: ClientTlsSettings): ClientTlsMaterial {
  const material: ClientTlsMaterial = { verify: settings.verify };
  if (settings.verify || settings.ca.explicit) {
    material.ca = readPem(settings.ca.path, "TLS CA certificate", true);
  }
  const cert = readPem(settings.cert.path, "TLS certificate", settings.cert.explicit);
  const key = readPem(settings.key.path, "TLS key", settings.key.explicit);
  if ((cert === undefined) !== (key === undefined)) {
    const [has, lacks] = cert ? [settings.cert, settings.key] : [settings.key, settings.cert];
    throw imageError(
      "InvalidArgument",
      `TLS client ${cert ? "certificate" : "key"} "${has.path}" has no ${cert ? "key" : "certificate"} "${lacks.path}"`,
    );
  }
  if (cert && key) Object.assign(material, { cert, key });
  return material;
}

function readPem(path: string, what: string, required: boolean): Buffer | undefined {
  try {
    return readFileSync(path);
  } catch (err) {
    if (!required && (err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    const code = (err as NodeJS.ErrnoException).code ?? "";
    const why = FILE_ERRORS[code] ?? (err instanceof Error ? err.message : String(err));
    throw imageError("InvalidArgument", `reading ${what} "${path}": ${why}`, err);
  }
}
