/**
 * A precise timer for many concurrent streams. Callers give absolute due times (on
 * `performance.now()`), so a late wake-up never shifts the tokens after it. One min-heap (the
 * codebase's one, src/core/min-heap.ts) and one wake-up at a time for the earliest due time.
 *
 * setTimeout has 1 ms granularity, so a timer alone cannot space tokens less than a millisecond
 * apart (a stream at `--time-scale 20` has 0.6 ms gaps: a timer sent them in pairs). The last
 * stretch before a due time is therefore slept precisely: a timer wakes the loop about
 * `TIMER_MARGIN_MS` early, then the scheduler sleeps (`Atomics.wait`, sub-millisecond, no CPU
 * spent) in slices of at most `SLICE_MS`, and between slices lets the loop poll its sockets once
 * (`setImmediate`), so new requests and the client's reads wait at most one slice. Tasks run at
 * most `EARLY_TOLERANCE_MS` early.
 */
import { performance } from 'node:perf_hooks';
import { MinHeap } from '../src/core/min-heap.ts';

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

/** A due time at least this far off is waited for with a timer (the rest precisely; see the top). */
const TIMER_MARGIN_MS = 2;

/** The longest the precise sleep blocks the loop before its sockets are polled again (ms). */
const SLICE_MS = 0.2;

/** What `Atomics.wait` sleeps on (nothing ever notifies it: the wait always times out). */
const SLEEP_CELL = new Int32Array(new SharedArrayBuffer(4));

/** Blocks this thread for `ms` (sub-millisecond precision, no CPU spent). */
function sleepMs(ms: number): void {
  Atomics.wait(SLEEP_CELL, 0, 0, ms);
}

/** The heap-backed scheduler; `clear()` drops everything (used by close()). */
export class Scheduler {
  private readonly heap = new MinHeap<Entry>();
  private order = 0;
  private live = 0;
  private timeout: NodeJS.Timeout | undefined;
  /** Due time the armed timeout was set for. */
  private armedFor = Infinity;
  /** The precise phase's next turn (it re-reads the heap's top each turn). */
  private immediate: NodeJS.Immediate | undefined;
  private readonly run = (): void => this.fire();
  private readonly turn = (): void => this.precise();

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
    if (this.heap.peek() === entry) this.arm();
    return entry;
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

  /** Cancels every task and timer. */
  clear(): void {
    for (const e of this.heap.clear()) {
      e.fn = undefined;
      e.inHeap = false;
    }
    this.live = 0;
    this.disarm();
  }

  private fire(): void {
    this.timeout = undefined;
    this.armedFor = Infinity;
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
        process.emitWarning(`mock-llm scheduler task failed: ${(err as Error).stack ?? String(err)}`);
      }
    }
    this.arm();
  }

  /** One turn of the precise phase: run what is due, else sleep one slice and poll the loop again. */
  private precise(): void {
    this.immediate = undefined;
    const top = this.top();
    if (top === undefined) return;
    let wait = top.at - performance.now();
    if (wait > TIMER_MARGIN_MS) return this.arm(); // the earliest task was cancelled: a timer again
    if (wait > EARLY_TOLERANCE_MS) {
      sleepMs(Math.min(wait - EARLY_TOLERANCE_MS, SLICE_MS));
      wait = top.at - performance.now();
    }
    if (wait <= EARLY_TOLERANCE_MS) return this.fire();
    this.immediate = setImmediate(this.turn);
  }

  private arm(): void {
    const top = this.top();
    if (top === undefined) return this.disarm();
    if (this.immediate !== undefined) return; // the precise phase reads the top at its next turn
    const due = top.at;
    const wait = due - performance.now();
    if (this.timeout !== undefined && this.armedFor <= due) return; // already armed early enough
    if (this.timeout !== undefined) clearTimeout(this.timeout);
    this.timeout = undefined;
    this.armedFor = Infinity;
    if (wait <= TIMER_MARGIN_MS) {
      this.immediate = setImmediate(this.turn);
      return;
    }
    this.armedFor = due;
    // node's timers count whole milliseconds from the loop's cached time: wake early, sleep the rest
    this.timeout = setTimeout(this.run, Math.floor(wait - TIMER_MARGIN_MS) + 1);
  }

  /** The earliest task not cancelled (cancelled ones on top are dropped). */
  private top(): Entry | undefined {
    while (this.heap.size > 0 && this.heap.peek()!.fn === undefined) this.pop();
    return this.heap.peek();
  }

  private disarm(): void {
    if (this.timeout !== undefined) clearTimeout(this.timeout);
    if (this.immediate !== undefined) clearImmediate(this.immediate);
    this.timeout = undefined;
    this.immediate = undefined;
    this.armedFor = Infinity;
  }

  private push(e: Entry): void {
    e.inHeap = true;
    this.heap.push(e);
  }

  private pop(): void {
    this.heap.pop()!.inHeap = false;
  }
}
