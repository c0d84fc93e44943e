/**
 * The real clock of a worker process, aligned to the run that sent the job: scenario time counts
 * from the run's origin (an epoch instant) at the run's time scale, so pick-up, end and ledger
 * times a worker reports land on the run's own timeline. Across machines this is as good as
 * their clocks agree (NTP: about a millisecond, times the time scale).
 */
import type { Clock, Signal } from '../engine/clock.ts';
import { epochNowMs } from './protocol.ts';

/** A real clock whose zero is an epoch instant shared with another process. */
export class EpochClock implements Clock {
  private failure: unknown = null;

  constructor(
    /** Scenario time 0, epoch ms; settable, as a worker learns it from the run's jobs. */
    public originEpochMs: number,
    readonly timeScale = 1,
  ) {}

  now(): number {
    return (epochNowMs() - this.originEpochMs) * this.timeScale;
  }

  sleep(ms: number): Promise<void> {
    return new Promise((r) => setTimeout(r, Math.max(0, ms / this.timeScale)));
  }

  schedule(atMs: number, fn: () => void): void {
    setTimeout(fn, Math.max(0, (atMs - this.now()) / this.timeScale));
  }

  spawn(task: () => Promise<void>): void {
    task().catch((err: unknown) => {
      this.failure ??= err;
    });
  }

  /** The first error a spawned task threw, if any. */
  get error(): unknown {
    return this.failure;
  }

  signal<T>(): Signal<T> {
    let resolve!: (v: T) => void;
    const wait = new Promise<T>((r) => (resolve = r));
    return { wait, wake: resolve };
  }
}
