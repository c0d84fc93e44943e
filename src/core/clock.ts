/**
 * The clock contract every strategy and the executor see. Its two implementations are the
 * virtual clock of the simulation (src/engine) and the real clock of live mode (src/live).
 * Strategy code awaits `sleep` and `signal()` and never knows which clock it runs on.
 */

/** A one-shot wake-up: `wait` resolves after `wake` is called (once). */
export interface Signal<T> {
  wait: Promise<T>;
  wake(value: T): void;
}

/** Time as the harness sees it, in milliseconds since the start of the run. */
export interface Clock {
  now(): number;
  /** Resolves after `ms` of this clock's time. */
  sleep(ms: number): Promise<void>;
  /** Runs `fn` at time `atMs` (or now, if that has passed). */
  schedule(atMs: number, fn: () => void): void;
  /** Starts an asynchronous task (an agent run) that lives on this clock. */
  spawn(task: () => Promise<void>): void;
  /** A wake-up that another task will trigger (a free model slot, a worker). */
  signal<T>(): Signal<T>;
}
