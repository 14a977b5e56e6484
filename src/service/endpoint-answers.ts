import { connect, type NetConnectOpts } from "node:net";

/**
 * True when something accepts a connection at `target` (a unix socket `{ path }` or a TCP
 * `{ host, port }`) within `timeoutMs`. Never throws: a missing socket, a refused or a timed-out
 * connection are all false. Used by the CLI to find a daemon and by the daemon to tell a stale
 * socket file from a live one.
 */
export function connectionAnswers(target: NetConnectOpts, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect(target);
    const done = (answered: boolean) => {
      clearTimeout(timer);
      sock.destroy();
      resolve(answered);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    sock.once("connect", () => done(true));
    sock.once("error", () => done(false));
  });
}
