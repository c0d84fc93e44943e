/**
 * Wakes this thread's event loop at a precise time (about 0.1 ms), which node's timers cannot do:
 * they count whole milliseconds from the loop's cached time, so they fire up to a millisecond
 * early or late. A helper thread sleeps until the due time (`Atomics.wait`, sub-millisecond, no
 * CPU spent) and posts a message, which wakes this loop at once. This
 * thread is never blocked and never busy-polls.
 *
 * Used where a millisecond matters: mock-llm's token scheduler (a stream at `--time-scale 20` has
 * 0.6 ms gaps) and the live send thread holding a request until its arrival time (send lag).
 */
import { performance } from 'node:perf_hooks';
import { MessageChannel, type MessagePort, Worker } from 'node:worker_threads';

/**
 * The helper thread (plain JS, evaluated: no loader needed). `seq[0]` changes with every new due
 * time (the helper sleeps on it); `due[0]` is the time to wake at, in `hrMs` (Infinity: none).
 * It posts only once its own clock has reached the due time, then waits for the next one; it
 * stops when terminated (`Atomics.wait` is interrupted).
 */
const HELPER = `
const { workerData } = require('node:worker_threads');
const { sab, port } = workerData;
const seq = new Int32Array(sab, 0, 1);
const due = new Float64Array(sab, 8, 1);
const now = () => { const t = process.hrtime(); return t[0] * 1e3 + t[1] / 1e6; };
port.postMessage('ready');
for (;;) {
  const s = Atomics.load(seq, 0);
  const at = due[0];
  if (!(at < Infinity)) { Atomics.wait(seq, 0, s); continue; }
  const wait = at - now();
  if (wait > 0) { Atomics.wait(seq, 0, s, wait); continue; }
  port.postMessage(at);
  Atomics.wait(seq, 0, s);
}
`;

/**
 * The one time base of both threads: the process's monotonic clock in ms (`process.hrtime`, which
 * every thread reads alike). Not `performance.timeOrigin + performance.now()`: each thread has its
 * own `timeOrigin`, read from the wall clock (8–14 µs apart between two threads, and shifted by a
 * step of the wall clock).
 */
function hrMs(): number {
  const t = process.hrtime();
  return t[0] * 1e3 + t[1] / 1e6;
}

/**
 * One wake-up at a time: `wakeAt(t)` replaces the previous one; `onWake` runs on this thread's
 * loop at `t` or a little after (never before: the time is checked again on this thread, and an
 * early message only re-arms the helper). The helper thread starts at the first `wakeAt`; while a
 * wake-up is pending it keeps the process alive, as a timer would.
 */
export class PreciseWake {
  private readonly sab = new SharedArrayBuffer(16);
  private readonly seq = new Int32Array(this.sab, 0, 1);
  private readonly due = new Float64Array(this.sab, 8, 1);
  /** `hrMs()` less `performance.now()`: a constant (both count the same monotonic clock). */
  private readonly hrOffset = hrMs() - performance.now();
  /** The pending wake-up on `performance.now()` time (Infinity: none). */
  private dueAt = Infinity;
  private worker: Worker | undefined;
  private port: MessagePort | undefined;
  private started: Promise<void> | undefined;

  /** `now` is the clock this thread checks the due time with (a test makes a wake-up look early). */
  constructor(
    private readonly onWake: () => void,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.due[0] = Infinity;
  }

  /**
   * Starts the helper thread now and resolves once it runs (a wake-up asked before then is late
   * by the thread's start, tens of milliseconds): call it before timing matters.
   */
  ready(): Promise<void> {
    if (this.worker === undefined) this.start();
    return this.started!;
  }

  /** Wakes at `at` (`performance.now()` ms); Infinity cancels. */
  wakeAt(at: number): void {
    if (this.worker === undefined) {
      if (!(at < Infinity)) return;
      this.start();
    }
    this.dueAt = at;
    this.due[0] = at < Infinity ? at + this.hrOffset : Infinity;
    this.notify();
    if (at < Infinity) this.port!.ref();
    else this.port!.unref();
  }

  /** The pending wake-up's time (Infinity: none). */
  pending(): number {
    return this.dueAt;
  }

  /** Stops the helper thread (a later `wakeAt` starts a new one). */
  close(): void {
    if (this.worker === undefined) return;
    this.port!.close();
    void this.worker.terminate();
    this.worker = undefined;
    this.port = undefined;
    this.started = undefined;
    this.dueAt = Infinity;
    this.due[0] = Infinity;
  }

  /** Tells the helper the due time changed (or to look at it again). */
  private notify(): void {
    Atomics.add(this.seq, 0, 1);
    Atomics.notify(this.seq, 0);
  }

  private start(): void {
    const { port1, port2 } = new MessageChannel();
    this.worker = new Worker(HELPER, { eval: true, workerData: { sab: this.sab, port: port2 }, transferList: [port2] });
    this.worker.unref();
    this.port = port1;
    let running!: () => void;
    this.started = new Promise<void>((resolve) => (running = resolve));
    port1.on('message', (at: number | 'ready') => {
      if (at === 'ready') {
        if (!(this.dueAt < Infinity)) port1.unref(); // kept alive until it runs, then only while a wake-up is pending
        return running();
      }
      if (this.due[0] !== at) return; // replaced meanwhile: the helper is already waiting for the new one
      if (this.now() < this.dueAt) return this.notify(); // early: the helper sleeps the rest, no task runs early
      this.dueAt = Infinity;
      this.due[0] = Infinity;
      this.port!.unref();
      this.onWake();
    });
  }
}
