/** The real clock of live mode (the Clock contract is in src/core/clock.ts). */
import type { Clock, Signal } from '../core/clock.ts';

/** How early a timer of `RealClock.schedule` may run (wall ms): node rounds timers to whole milliseconds. */
const EARLY_WALL_MS = 1;

/**
 * The real clock of live mode, optionally running `timeScale` times faster: `now()` is scenario
 * time (real milliseconds since construction × timeScale) and timers wait scenario time ÷ timeScale,
 * so a run at time scale 100 plays a scenario's day in under 15 minutes and measures in scenario ms.
 */
export class RealClock implements Clock {
  /** performance.now() at scenario time 0; NaN while a clock that starts at its first timer has not started. */
  private origin: number;
  private failure: unknown = null;
  private onFailure: ((err: unknown) => void) | null = null;
  /** Rejects with the first error a spawned task throws (a live run must stop, not wait forever). */
  readonly failed: Promise<never> = new Promise<never>((_, reject) => {
    this.onFailure = reject;
  });

  /**
   * `start: 'on-start'`: time stands at 0 until `start()`, as a virtual clock stands still while a
   * run sets up (live mode: building the executor, its workers and the agent takes tens of
   * milliseconds, which would otherwise make the first arrivals that late). Timers set meanwhile
   * (an autoscaler's first tick) wait, and count from the start.
   * @default 'now'
   */
  constructor(
    readonly timeScale = 1,
    options: { start?: 'now' | 'on-start' } = {},
  ) {
    this.origin = options.start === 'on-start' ? Number.NaN : performance.now();
    // handled here too, so an error after the run has stopped listening is not an unhandled rejection
    this.failed.catch(() => undefined);
  }

  now(): number {
    return Number.isNaN(this.origin) ? 0 : (performance.now() - this.origin) * this.timeScale;
  }

  /** Starts a clock made with `start: 'on-start'` (a no-op once started, or for one that started at construction). */
  start(): void {
    if (Number.isNaN(this.origin)) this.origin = performance.now();
  }

  sleep(ms: number): Promise<void> {
    return new Promise((r) => this.schedule(this.now() + Math.max(0, ms), r));
  }

  /**
   * Runs `fn` at scenario time `atMs`. A time already due runs on the next turn of the event loop
   * (setImmediate): node's setTimeout waits at least 1 ms, so a backlog of arrivals less than a
   * millisecond apart, each scheduled when the previous one runs, would otherwise fall 1 ms
   * further behind with every arrival (at 1,000 requests/s the generator could not keep up).
   * A timer that fires early is set again for the rest: node counts a timer from the loop's time,
   * read when the loop last turned, so one set after a long synchronous stretch (a run setting up)
   * fires early by that stretch; within `EARLY_WALL_MS`, its whole-millisecond rounding, it runs.
   * Before an 'on-start' clock starts, a timer keeps waiting (it is early by all of it).
   */
  schedule(atMs: number, fn: () => void): void {
    const waitMs = (atMs - this.now()) / this.timeScale;
    if (waitMs <= 0) setImmediate(fn);
    else setTimeout(this.fire, waitMs, atMs, fn);
  }

  /** A timer of `schedule` fired: run `fn`, unless that is early beyond node's rounding. */
  private readonly fire = (atMs: number, fn: () => void): void => {
    const earlyMs = (atMs - this.now()) / this.timeScale;
    if (earlyMs > EARLY_WALL_MS) setTimeout(this.fire, earlyMs, atMs, fn);
    else fn();
  };

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
