/** Signals that cancel a running command, and the exit code a shell gives each (128 + number). */
const EXIT_CODES = { SIGINT: 130, SIGTERM: 143 } as const;

export type InterruptSignal = keyof typeof EXIT_CODES;

/** A cancellation of one command by SIGINT or SIGTERM. */
export interface Interrupt {
  /** Aborted on the first SIGINT or SIGTERM, with an `Error` naming the signal as reason. */
  readonly signal: AbortSignal;
  /** The signal received, once one was. */
  received(): InterruptSignal | undefined;
  /** Stops listening; the process's default handling of both signals comes back. */
  stop(): void;
}

/** Where the signals come from: the process in `main`, an emitter in tests. */
export interface SignalSource {
  on(event: InterruptSignal, handler: () => void): unknown;
  off(event: InterruptSignal, handler: () => void): unknown;
}

/**
 * Listens for SIGINT and SIGTERM while a long command (`load`, `import`) runs: the first one
 * aborts `signal`, which the service passes down (direct mode: the archive reader and layer
 * workers; daemon mode: the RPC is cancelled and the daemon aborts its work). A second signal
 * is ignored while the work winds down, so the store is never left half-cleaned. Call `stop`
 * when the command ends.
 */
export function listenForInterrupt(source: SignalSource = process): Interrupt {
  const abort = new AbortController();
  let got: InterruptSignal | undefined;
  const handlers = (Object.keys(EXIT_CODES) as InterruptSignal[]).map((name) => {
    const handler = () => {
      if (got !== undefined) return;
      got = name;
      abort.abort(new Error(`interrupted by ${name}`));
    };
    source.on(name, handler);
    return [name, handler] as const;
  });
  return {
    signal: abort.signal,
    received: () => got,
    stop: () => {
      for (const [name, handler] of handlers) source.off(name, handler);
    },
  };
}

/** The exit code for a command cancelled by `signal`: 130 for SIGINT, 143 for SIGTERM. */
export function interruptExitCode(signal: InterruptSignal): number {
  return EXIT_CODES[signal];
}
