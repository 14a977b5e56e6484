/** The levels the daemon's API layer logs at (iSulad's names, lowercased). */
export type LogLevel = "debug" | "info" | "warn" | "error";

/** Where the API layer logs: each request at debug, binding at info. Never credentials. */
export type DaemonLogger = (level: LogLevel, msg: string) => void;

/** TLS material of a `tcp://` endpoint, as PEM bytes. */
export interface TlsMaterial {
  /** CA that client (or, for a client, server) certificates must chain to. */
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
}
