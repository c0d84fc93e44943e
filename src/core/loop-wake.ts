/**
 * Wakes this thread's event loop at a precise time by sleeping in it: a node timer wakes the
 * loop about `TIMER_MARGIN_MS` early, then the loop sleeps the rest (`Atomics.wait`,
 * sub-millisecond, no CPU spent) in slices of at most `SLICE_MS`, with a `setImmediate` between
 * slices, so the loop polls its sockets and runs their callbacks between two slices.
 *
 * The trade-off, explicit: while a wake-up is less than `TIMER_MARGIN_MS` away, a socket's data
 * waits up to one slice (plus what the loop is doing) before it is read, where an idle loop would
 * read it at once. A loopback echo in the same process while wake-ups 0.6 ms apart ran (00:44 UTC,
 * load 1.2-1.4): round trip p50 0.07 ms idle, 0.33 ms with 0.2-ms slices, 0.24 ms with 0.1-ms
 * slices, 0.19 ms with 0.05; the margin does not change it (every gap is under it). Slices of
 * 0.1 ms: mock-timing's gap error p99 0.59-0.65x the bare server's (0.81-0.92x with 0.2 ms) for
 * the same server CPU (0.41-0.46 cores). The margin is as small as a node timer allows
 * (beyond it the loop sleeps in epoll, sockets served at once): a timer counts whole milliseconds
 * from the loop's cached time, so it fires up to 1 ms early and, with epoll's timer slack and the
 * loop's other callbacks, some 0.1-0.3 ms late; a timer is asked for at most `wait − margin + 1`
 * ms, so a margin of 1.5 ms leaves it ~0.5 ms of lateness before the due time.
 *
 * For a server whose work is the wake-ups themselves (mock-llm's tokens, ~20,000 a second at
 * `--time-scale 20`): the sleep is a system call in this thread, where src/core/precise-wake.ts
 * costs a second thread's wake-up and a message per wake-up (two context switches), which on
 * 2 cores made more tokens late (streaming draft at ×20: 5.7% against 2.3% sent over 0.5 ms late).
 */
import { performance } from 'node:perf_hooks';

/** A due time at least this far off is waited for with a timer first, the loop free meanwhile (see above). */
const TIMER_MARGIN_MS = 1.5;

/** The longest the sleep blocks the loop before its sockets are polled again (ms). */
const SLICE_MS = 0.1;

/** What `Atomics.wait` sleeps on (nothing ever notifies it: the wait always times out). */
const SLEEP_CELL = new Int32Array(new SharedArrayBuffer(4));

/** One wake-up at a time on `performance.now()` time: `wakeAt(t)` replaces the previous one; `onWake` runs at `t` or a little after. */
export class LoopWake {
  private due = Infinity;
  private timeout: NodeJS.Timeout | undefined;
  /** Due time the armed timeout was set for (it wakes early enough for any later due time). */
  private armedFor = Infinity;
  private immediate: NodeJS.Immediate | undefined;
  private readonly turn = (): void => this.step();

  constructor(private readonly onWake: () => void) {}

  /** Wakes at `due` (performance.now() ms); Infinity cancels. */
  wakeAt(due: number): void {
    this.due = due;
    if (!(due < Infinity)) return this.disarm();
    if (this.immediate !== undefined) return; // the next turn reads the due time
    if (this.timeout !== undefined && this.armedFor <= due) return;
    this.disarm();
    this.due = due;
    const wait = due - performance.now();
    if (wait <= TIMER_MARGIN_MS) {
      this.immediate = setImmediate(this.turn);
      return;
    }
    this.armedFor = due;
    this.timeout = setTimeout(this.turn, Math.floor(wait - TIMER_MARGIN_MS) + 1);
  }

  /** The pending wake-up's time (Infinity: none). */
  pending(): number {
    return this.due;
  }

  /** Nothing to start (see PreciseWake.ready). */
  ready(): Promise<void> {
    return Promise.resolve();
  }

  close(): void {
    this.wakeAt(Infinity);
  }

  /** One turn: wake if due, else sleep one slice and poll the loop again (or wait on a timer, if far). */
  private step(): void {
    this.timeout = undefined;
    this.immediate = undefined;
    this.armedFor = Infinity;
    const due = this.due;
    if (!(due < Infinity)) return;
    let wait = due - performance.now();
    if (wait > TIMER_MARGIN_MS) return this.wakeAt(due); // the timer woke early
    if (wait > 0) {
      Atomics.wait(SLEEP_CELL, 0, 0, Math.min(wait, SLICE_MS));
      wait = due - performance.now();
    }
    if (wait > 0) {
      this.immediate = setImmediate(this.turn);
      return;
    }
    this.due = Infinity;
    this.onWake();
  }

  private disarm(): void {
    if (this.timeout !== undefined) clearTimeout(this.timeout);
    if (this.immediate !== undefined) clearImmediate(this.immediate);
    this.timeout = undefined;
    this.immediate = undefined;
    this.armedFor = Infinity;
  }
}
