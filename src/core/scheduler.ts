/**
 * A precise timer for many tasks: mock-llm's streamed tokens, and the live send thread's requests
 * held until their arrival time (src/llm/http-transport.ts). Callers give absolute due times (on
 * `performance.now()`), so a late wake-up never shifts the tokens after it. One min-heap (the
 * codebase's one, src/core/min-heap.ts) and one wake-up at a time, for the earliest due time.
 *
 * node's timers have 1 ms granularity, so they cannot space tokens less than a millisecond apart
 * (a stream at `--time-scale 20` has 0.6 ms gaps: a 1 ms timer sent them in pairs). The wake-up
 * is precise instead (about 0.1 ms), either from a helper thread (src/core/precise-wake.ts) or
 * by the loop sleeping the last stretch itself (src/core/loop-wake.ts). Tasks run at most
 * `EARLY_TOLERANCE_MS` early.
 */
import { performance } from 'node:perf_hooks';
import { MinHeap } from './min-heap.ts';
import { LoopWake } from './loop-wake.ts';
import { PreciseWake } from './precise-wake.ts';

/** A scheduled callback; `cancel()` is idempotent. */
export interface ScheduledTask {
  cancel(): void;
}

/**
 * One scheduled call: a class (not an object literal with a closure) so that scheduling a token
 * allocates one small object and defines no function (tsx keeps names: every named closure costs
 * a defineProperty call).
 */
class Entry implements ScheduledTask {
  /** In the heap (queued, or cancelled and not yet dropped): only an entry out of it is reused. */
  inHeap = false;

  constructor(
    readonly owner: Scheduler,
    /** Due time (performance.now() time base). */
    public at: number,
    public order: number,
    public fn: ((arg: unknown) => void) | undefined,
    public arg: unknown,
  ) {}

  cancel(): void {
    if (this.fn !== undefined) {
      this.fn = undefined;
      this.owner.cancelled();
    }
  }
}

/** Tasks due within this margin run at the current wake-up rather than at the next one. */
export const EARLY_TOLERANCE_MS = 0.02;

/** The heap-backed scheduler; `clear()` drops everything (used by close()). */
export class Scheduler {
  private readonly heap = new MinHeap<Entry>();
  private order = 0;
  private live = 0;
  /** Running the due tasks (`fire`): the wake-up is set once, at its end. */
  private firing = false;
  /** Wakes the loop at the earliest due time (`fire`), on `performance.now()` time. */
  private readonly wake: PreciseWake | LoopWake;

  /**
   * `wake: 'thread'` (default): a helper thread wakes the loop (src/core/precise-wake.ts), which
   * never blocks it; `'loop'`: the loop sleeps the last stretch itself (src/core/loop-wake.ts),
   * cheaper per wake-up when wake-ups are the thread's main work (mock-llm's tokens).
   */
  constructor(options: { wake?: 'thread' | 'loop' } = {}) {
    const fire = (): void => this.fire();
    this.wake = options.wake === 'loop' ? new LoopWake(fire) : new PreciseWake(fire);
    void this.wake.ready(); // a helper thread starts now, not at the first task
  }

  /**
   * Runs `fn(arg)` at `dueMs` (performance.now() time base), or as soon as possible if past. Pass
   * a long-lived `fn` and the per-task state as `arg` to schedule without creating a closure, and
   * as `reuse` a task of this scheduler that is over to schedule without allocating: the returned
   * task is then that object, so its old holder must not cancel it any more. A task still queued,
   * or cancelled but not yet dropped from the heap, is not reused (a new object is made).
   */
  at<T>(dueMs: number, fn: (arg: T) => void, arg?: T, reuse?: ScheduledTask): ScheduledTask {
    let entry: Entry;
    if (reuse instanceof Entry && reuse.owner === this && !reuse.inHeap && reuse.fn === undefined) {
      // a task that has run: its object serves again (a stream schedules one task per token)
      entry = reuse;
      entry.at = dueMs;
      entry.order = this.order++;
      entry.fn = fn as (arg: unknown) => void;
      entry.arg = arg;
    } else {
      entry = new Entry(this, dueMs, this.order++, fn as (arg: unknown) => void, arg);
    }
    this.live++;
    this.push(entry);
    // a task scheduled by a task (a stream's next token) waits for the end of the wake-up: one arm
    if (!this.firing && this.heap.peek() === entry) this.arm();
    return entry;
  }

  /** Resolves once the wake-up's helper thread runs (started with the scheduler; until then a wake-up is late by its start). */
  ready(): Promise<void> {
    return this.wake.ready();
  }

  /** Tasks scheduled and not yet run or cancelled. */
  pending(): number {
    return this.live;
  }

  /** Bookkeeping of `Entry.cancel()`. */
  cancelled(): void {
    this.live--;
    if (this.live === 0) this.clear();
  }

  /** Cancels every task and the pending wake-up. */
  clear(): void {
    for (const e of this.heap.clear()) {
      e.fn = undefined;
      e.inHeap = false;
    }
    this.live = 0;
    this.wake.wakeAt(Infinity);
  }

  /** Cancels everything and stops the wake-up's helper thread. */
  close(): void {
    this.clear();
    this.wake.close();
  }

  private fire(): void {
    this.firing = true;
    let now = performance.now();
    for (let top = this.heap.peek(); top !== undefined; top = this.heap.peek()) {
      if (top.fn === undefined) {
        this.pop();
        continue;
      }
      if (top.at > now + EARLY_TOLERANCE_MS) {
        now = performance.now();
        if (top.at > now + EARLY_TOLERANCE_MS) break;
      }
      this.pop();
      const fn = top.fn;
      top.fn = undefined;
      this.live--;
      try {
        fn(top.arg);
      } catch (err) {
        // a task failing must not stop the others; surface it without crashing the server
        process.emitWarning(`scheduler task failed: ${(err as Error).stack ?? String(err)}`);
      }
    }
    this.firing = false;
    this.arm();
  }

  /** Asks for a wake-up at the earliest task's due time (none: no wake-up). */
  private arm(): void {
    while (this.heap.size > 0 && this.heap.peek()!.fn === undefined) this.pop();
    const top = this.heap.peek();
    const at = top === undefined ? Infinity : top.at;
    if (at !== this.wake.pending()) this.wake.wakeAt(at);
  }

  private push(e: Entry): void {
    e.inHeap = true;
    this.heap.push(e);
  }

  private pop(): void {
    this.heap.pop()!.inHeap = false;
  }
}
