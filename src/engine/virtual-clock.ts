/**
 * The virtual clock that drives the discrete-event simulation (the Clock contract is in
 * src/core/clock.ts; live mode's real clock is in src/live/real-clock.ts).
 */
import type { Clock, Signal } from '../core/clock.ts';
import { EventQueue } from './event-queue.ts';

/**
 * The simulation's clock and scheduler. Virtual time jumps from event to event. After each
 * event it waits until every task woken by it has run to its next `sleep`/`signal` (or ended),
 * counted exactly, so async strategy code runs as if on a real clock, deterministically.
 */
/** Wall time a simulation runs before it lets the event loop turn. */
const YIELD_EVERY_MS = 50;

export class VirtualClock implements Clock {
  private readonly events = new EventQueue();
  private t = 0;
  /** Tasks runnable now: woken and not yet blocked again. */
  private active = 0;
  private idle: (() => void) | null = null;
  private failure: unknown = null;
  /** Events processed so far. */
  eventsProcessed = 0;

  now(): number {
    return this.t;
  }

  sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      this.events.push(this.t + (ms > 0 ? ms : 0), () => {
        this.active++;
        resolve();
      });
      this.blocked();
    });
  }

  schedule(atMs: number, fn: () => void): void {
    this.events.push(atMs > this.t ? atMs : this.t, fn);
  }

  spawn(task: () => Promise<void>): void {
    this.active++;
    task().then(
      () => this.blocked(),
      (err: unknown) => {
        this.failure ??= err;
        this.blocked();
      },
    );
  }

  signal<T>(): Signal<T> {
    this.blocked();
    return new VirtualSignal<T>(this);
  }

  /** A blocked task becomes runnable (called by a signal's wake). */
  woke(): void {
    this.active++;
  }

  /**
   * Processes events until none remain (or `untilMs` is passed); rejects if a task threw, or with
   * `signal`'s reason once it aborts. Every ~50 ms of wall time it lets the event loop turn, so a
   * signal handler or a progress timer runs during a long simulation (the order of events, and so
   * every simulated number, is unchanged).
   */
  async run(untilMs = Infinity, signal?: AbortSignal): Promise<void> {
    await this.settle();
    let yieldAt = performance.now() + YIELD_EVERY_MS;
    for (;;) {
      if ((this.eventsProcessed & 1023) === 0 && performance.now() >= yieldAt) {
        await new Promise<void>((r) => setImmediate(r));
        signal?.throwIfAborted();
        yieldAt = performance.now() + YIELD_EVERY_MS;
      }
      // look before popping: an event past `untilMs` stays queued for a later run()
      const next = this.events.peekTime();
      if (next === undefined || next > untilMs) break;
      const ev = this.events.pop()!;
      this.t = ev.t;
      this.eventsProcessed++;
      ev.fn();
      if (this.active > 0) await this.settle();
      if (this.failure !== null) throw this.failure;
    }
  }

  private settle(): Promise<void> {
    if (this.active === 0) return Promise.resolve();
    return new Promise<void>((r) => (this.idle = r));
  }

  private blocked(): void {
    this.active--;
    if (this.active === 0 && this.idle !== null) {
      const r = this.idle;
      this.idle = null;
      r();
    }
  }
}

/** A signal on the virtual clock: waking it makes its waiter runnable again. */
class VirtualSignal<T> implements Signal<T> {
  readonly wait: Promise<T>;
  private resolve!: (v: T) => void;
  private woken = false;

  constructor(private readonly clock: VirtualClock) {
    this.wait = new Promise<T>((r) => (this.resolve = r));
  }

  wake(value: T): void {
    if (this.woken) return;
    this.woken = true;
    this.clock.woke();
    this.resolve(value);
  }
}
