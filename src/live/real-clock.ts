/** The real clock of live mode (the Clock contract is in src/core/clock.ts). */
import type { Clock, Signal } from '../core/clock.ts';

/**
 * The real clock of live mode, optionally running `timeScale` times faster: `now()` is scenario
 * time (real milliseconds since construction × timeScale) and timers wait scenario time ÷ timeScale,
 * so a run at time scale 100 plays a scenario's day in under 15 minutes and measures in scenario ms.
 */
export class RealClock implements Clock {
  private readonly origin = performance.now();
  private failure: unknown = null;
  private onFailure: ((err: unknown) => void) | null = null;
  /** Rejects with the first error a spawned task throws (a live run must stop, not wait forever). */
  readonly failed: Promise<never> = new Promise<never>((_, reject) => {
    this.onFailure = reject;
  });

  constructor(readonly timeScale = 1) {
    // handled here too, so an error after the run has stopped listening is not an unhandled rejection
    this.failed.catch(() => undefined);
  }

  now(): number {
    return (performance.now() - this.origin) * this.timeScale;
  }

  sleep(ms: number): Promise<void> {
    return new Promise((r) => setTimeout(r, Math.max(0, ms / this.timeScale)));
  }

  /**
   * Runs `fn` at scenario time `atMs`. A time already due runs on the next turn of the event loop
   * (setImmediate): node's setTimeout waits at least 1 ms, so a backlog of arrivals less than a
   * millisecond apart, each scheduled when the previous one runs, would otherwise fall 1 ms
   * further behind with every arrival (at 1,000 requests/s the generator could not keep up).
   */
  schedule(atMs: number, fn: () => void): void {
    const waitMs = (atMs - this.now()) / this.timeScale;
    if (waitMs <= 0) setImmediate(fn);
    else setTimeout(fn, waitMs);
  }

  spawn(task: () => Promise<void>): void {
    task().catch((err: unknown) => {
      if (this.failure !== null) return;
      this.failure = err;
      this.onFailure?.(err);
    });
  }

  signal<T>(): Signal<T> {
    let resolve!: (v: T) => void;
    const wait = new Promise<T>((r) => (resolve = r));
    return { wait, wake: resolve };
  }
}
