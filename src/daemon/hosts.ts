import { isAbsolute } from "node:path";
import { imageError } from "../errors.ts";

/** A daemon endpoint: a unix socket path, or a TCP host and port. */
export type Endpoint =
  | { kind: "unix"; address: string; path: string }
  | { kind: "tcp"; address: string; host: string; port: number };

/** Unix socket paths longer than this do not fit `sockaddr_un` on Linux. */
const MAX_SOCKET_PATH = 107;

/**
 * Parses `unix:///abs/path` or `tcp://HOST:PORT` (iSulad's `-H` forms). Anything else, a
 * relative or too long socket path, or a bad port is `InvalidArgument` with iSulad's
 * `Invalid socket name : <address>`.
 */
export function parseHost(address: string): Endpoint {
  const bad = () => imageError("InvalidArgument", `Invalid socket name : ${address}`);
  if (address.startsWith("unix://")) {
    const path = address.slice("unix://".length);
    if (!isAbsolute(path) || path.includes("\0") || Buffer.byteLength(path) > MAX_SOCKET_PATH) {
      throw bad();
    }
    return { kind: "unix", address, path };
  }
  const m = /^tcp:\/\/(\[[0-9a-fA-F:.]+\]|[^:/]+):(\d{1,5})$/.exec(address);
  if (!m || Number(m[2]) > 65535) throw bad();
  return { kind: "tcp", address, host: m[1] as string, port: Number(m[2]) };
}
