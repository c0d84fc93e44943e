/**
 * SIGINT and SIGTERM as an AbortSignal for the commands that keep work (run, mock, worker): the
 * first signal asks the command to save what it has and leave, and the grace period running out
 * ends the process at once; later signals change nothing (a process group's signal arrives twice,
 * directly and forwarded by npm, and a timer is all a second Ctrl-C could trigger anyway). The exit
 * code is 128 + the signal's number.
 */

/** The signals a command is stopped with. */
type StopSignal = 'SIGINT' | 'SIGTERM';

/** Exit code after a signal, as a shell reports a process killed by it. */
const SIGNAL_EXIT_CODES: Readonly<Record<StopSignal, number>> = Object.freeze({ SIGINT: 130, SIGTERM: 143 });

/**
 * How long a command may spend saving its work after a signal before the process exits anyway.
 * The whole tree must be gone within 2 s; on a machine at load 10–21 it was gone 0.4–1.3 s after
 * a 1.5 s grace period (timers fire late there, and threads take time to tear down), so 1 s.
 */
const INTERRUPT_GRACE_MS = 1_000;

/** What is left of the grace period for the last synchronous steps (writing a file, printing the line). */
const SAVE_MARGIN_MS = 300;

/** What bin/bench.js emits on `process` when the process that started bench is gone. */
const PARENT_GONE_EVENT = 'bench:parent-gone';

/** The reason an interrupted command's AbortSignal carries. */
class InterruptedError extends Error {
  override name = 'InterruptedError';
  constructor(readonly signal: StopSignal) {
    super(`interrupted by ${signal}`);
  }
}

/** A command's view of the stop signals; `dispose()` gives them back to Node's default handling. */
export interface Interruption {
  readonly signal: AbortSignal;
  /** The signal received, or null. */
  received(): StopSignal | null;
  /**
   * Until when (a `performance.now()` time) the command may keep saving: a margin before the
   * grace period ends, so what it saves is whole before the process exits. Infinity before a signal.
   */
  saveUntilMs(): number;
  /** 130 or 143 once a signal was received, else `otherwise`. */
  exitCode(otherwise: number): number;
  dispose(): void;
}

/** Starts catching SIGINT/SIGTERM for a command (see the module comment). */
export function watchInterrupts(graceMs = INTERRUPT_GRACE_MS): Interruption {
  const controller = new AbortController();
  let got: StopSignal | null = null;
  let receivedAtMs = Infinity;
  const on = (sig: StopSignal) => {
    // a signal sent to the process group reaches this process twice (directly, and forwarded by
    // npm, late on a busy machine): one request to stop; the grace period bounds the save anyway
    if (got !== null) return;
    got = sig;
    receivedAtMs = performance.now();
    const code = SIGNAL_EXIT_CODES[sig];
    setTimeout(() => {
      process.stderr.write(`bench: still saving ${graceMs} ms after ${sig}; exiting now\n`);
      process.exit(code);
    }, graceMs).unref();
    controller.abort(new InterruptedError(sig));
  };
  const onInt = () => on('SIGINT');
  const onTerm = () => on('SIGTERM');
  // bin/bench.js: the npm or bench process that started this one is gone; stop as on SIGTERM,
  // unless already stopping (not a second signal that would cut the save short)
  const onParentGone = () => {
    if (got === null) on('SIGTERM');
  };
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  process.on(PARENT_GONE_EVENT, onParentGone);
  return {
    signal: controller.signal,
    received: () => got,
    saveUntilMs: () => receivedAtMs + graceMs - SAVE_MARGIN_MS,
    exitCode: (otherwise) => (got === null ? otherwise : SIGNAL_EXIT_CODES[got]),
    dispose() {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      process.off(PARENT_GONE_EVENT, onParentGone);
    },
  };
}
