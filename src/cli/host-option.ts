const IPV4_PART = "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])";
const HOST_NAME =
  "([A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9])(\\.([A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9]))*";
const TCP = new RegExp(`^tcp://((${IPV4_PART}\\.){3}${IPV4_PART}|${HOST_NAME}):([0-9]{1,5})$`);

/**
 * True for a daemon address `isula -H` accepts: `unix://` followed by an absolute path, or
 * `tcp://<IPv4 or host name>:<port 0-65535>` (iSulad accepts tcp only in remote-connect builds).
 */
export function isValidHost(address: string): boolean {
  if (address.startsWith("unix://")) {
    const path = address.slice("unix://".length);
    return path.startsWith("/") && !path.includes("\0");
  }
  const m = TCP.exec(address);
  return m !== null && Number(m.at(-1)) <= 65535;
}

/** The `-H` check: iSulad's message for an address it cannot use. */
export function checkHost(address: string): string | undefined {
  return isValidHost(address) ? undefined : `Invalid socket name : ${address}`;
}

/**
 * The daemon address to use: `-H` if given, else `ISULAD_HOST` when set and non-empty, else
 * undefined (the service then picks the default socket or direct mode, DESIGN §2).
 */
export function resolveHost(flag: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  if (flag !== undefined) return flag;
  return env.ISULAD_HOST ? env.ISULAD_HOST : undefined;
}
