/**
 * The virtual clock that drives the discrete-event simulation (the Clock contract is in
 * src/core/clock.ts; live mode's real clock is in src/live/real-clock.ts).
 */
import type { Clock, Signal } from '../core/clock.ts';
import { MinHeap, type HeapEntry } from '../core/min-heap.ts';

/** Wall time a simulation runs before it lets the event loop turn. */
const YIELD_EVERY_MS = 50;
const RESOLVED = Promise.resolve();

/**
 * A future event: a callback, or a sleeping task's wake-up (its promise's resolve). Events are
 * reused once run, so the hot path allocates none.
 */
class TimedEvent implements HeapEntry {
  constructor(
    public at: number,
    public order: number,
    public fn: (() => void) | null,
    public wake: (() => void) | null,
  ) {}
}

/** The run in progress: where it stops and how it reports. */
interface Drive {
  untilMs: number;
  signal: AbortSignal | undefined;
  resolve: () => void;
  reject: (err: unknown) => void;
  yieldAt: number;
}

/**
 * The simulation's clock and scheduler. Virtual time jumps from event to event. After each
 * event it waits until every task woken by it has run to its next `sleep`/`signal` (or ended),
 * counted exactly, so async strategy code runs as if on a real clock, deterministically.
 *
 * The loop is a plain function, not an async one: it runs events back to back while they wake no
 * task, and when one does, it returns; the last task to block queues it again as one microtask
 * (the point where an awaiting loop would resume, so the order of everything is the same).
 */
export class VirtualClock implements Clock {
  private readonly events = new MinHeap<TimedEvent>();
  private readonly spare: TimedEvent[] = [];
  private order = 0;
  private t = 0;
  /** Tasks runnable now: woken and not yet blocked again. */
  private active = 0;
  private drive: Drive | null = null;
  /** The loop returned to let woken tasks run; the last of them to block resumes it. */
  private waiting = false;
  private failure: unknown = null;
  private readonly stepFn = (): void => this.step();
  /** Events processed so far. */
  eventsProcessed = 0;

  now(): number {
    return this.t;
  }

  sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      this.push(this.t + (ms > 0 ? ms : 0), null, resolve);
      this.blocked();
    });
  }

  schedule(atMs: number, fn: () => void): void {
    this.push(atMs > this.t ? atMs : this.t, fn, null);
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
  run(untilMs = Infinity, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.drive = { untilMs, signal, resolve, reject, yieldAt: performance.now() + YIELD_EVERY_MS };
      if (this.active === 0) this.step();
      else this.waiting = true;
    });
  }

  private push(at: number, fn: (() => void) | null, wake: (() => void) | null): void {
    const e = this.spare.pop();
    if (e === undefined) this.events.push(new TimedEvent(at, this.order++, fn, wake));
    else {
      e.at = at;
      e.order = this.order++;
      e.fn = fn;
      e.wake = wake;
      this.events.push(e);
    }
  }

  /** Runs events until one wakes a task (the last task to block calls this again), the end, or a yield. */
  private step(): void {
    const d = this.drive!;
    for (;;) {
      if (this.failure !== null) return this.finish(this.failure);
      if ((this.eventsProcessed & 1023) === 0 && performance.now() >= d.yieldAt) {
        setImmediate(() => {
          if (d.signal?.aborted) return this.finish(d.signal.reason);
          d.yieldAt = performance.now() + YIELD_EVERY_MS;
          this.step();
        });
        return;
      }
      // look before popping: an event past `untilMs` stays queued for a later run()
      const next = this.events.peek();
      if (next === undefined || next.at > d.untilMs) return this.finish(null);
      this.events.pop();
      this.t = next.at;
      this.eventsProcessed++;
      const { fn, wake } = next;
      next.fn = null;
      next.wake = null;
      this.spare.push(next);
      if (wake !== null) {
        this.active++;
        wake();
      } else {
        try {
          fn!();
        } catch (err) {
          this.failure ??= err;
        }
      }
      if (this.active > 0) {
        this.waiting = true;
        return;
      }
    }
  }

  private finish(err: unknown): void {
    const d = this.drive!;
    this.drive = null;
    if (err === null) d.resolve();
    else d.reject(err);
  }

  private blocked(): void {
    if (--this.active === 0 && this.waiting) {
      this.waiting = false;
      // a reaction on a settled promise: one microtask, without queueMicrotask's async-hooks resource
      RESOLVED.then(this.stepFn);
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
