/**
 * A precise timer for many concurrent streams. Callers give absolute due times (on
 * `performance.now()`), so a late wake-up never shifts the tokens after it. One min-heap (the
 * codebase's one, src/core/min-heap.ts), one
 * armed `setTimeout` for the earliest due time. setTimeout has 1 ms granularity, so a wake-up
 * runs every task due within the next `EARLY_TOLERANCE_MS` too: tasks run at most that much
 * early and about as much late, without busy polling (which would starve a loaded machine).
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
export const EARLY_TOLERANCE_MS = 0.5;

/** The heap-backed scheduler; `clear()` drops everything (used by close()). */
export class Scheduler {
  private readonly heap = new MinHeap<Entry>();
  private order = 0;
  private live = 0;
  private timeout: NodeJS.Timeout | undefined;
  /** Due time the armed timeout was set for. */
  private armedFor = Infinity;
  private readonly run = (): void => this.fire();

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

  private arm(): void {
    while (this.heap.peek()?.fn === undefined && this.heap.size > 0) this.pop();
    const top = this.heap.peek();
    if (top === undefined) return this.disarm();
    const due = top.at;
    if (this.timeout !== undefined && this.armedFor <= due) return; // already armed early enough
    if (this.timeout !== undefined) clearTimeout(this.timeout);
    this.armedFor = due;
    this.timeout = setTimeout(this.run, Math.max(0, Math.round(due - performance.now())));
  }

  private disarm(): void {
    if (this.timeout !== undefined) clearTimeout(this.timeout);
    this.timeout = undefined;
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
