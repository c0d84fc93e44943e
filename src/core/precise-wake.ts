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
import { MessageChannel, type MessagePort, Worker } from 'node:worker_threads';

/**
 * The helper spins (instead of sleeping) this long before a due time. None: a futex wait wakes
 * 50–100 µs late, about the same each time (so gaps between wake-ups keep their length), while
 * spinning before each of mock-llm's ~20,000 token wake-ups a second kept a core busy.
 */
const SPIN_MS = 0;

/**
 * The helper thread (plain JS, evaluated: no loader needed). `ctl[0]` changes with every new due
 * time (the helper sleeps on it), `ctl[1]` set means stop; `due[0]` is the epoch ms to wake at
 * (Infinity: none). After a wake it waits for the owner to set the next due time.
 */
const HELPER = `
const { workerData } = require('node:worker_threads');
const { sab, port, spinMs } = workerData;
const ctl = new Int32Array(sab, 0, 2);
const due = new Float64Array(sab, 8, 1);
const now = () => performance.timeOrigin + performance.now();
port.postMessage('ready');
for (;;) {
  const seq = Atomics.load(ctl, 0);
  if (Atomics.load(ctl, 1) === 1) break;
  const at = due[0];
  if (!(at < Infinity)) { Atomics.wait(ctl, 0, seq); continue; }
  let wait = at - now();
  if (wait > spinMs) { Atomics.wait(ctl, 0, seq, wait - spinMs); continue; }
  while (wait > 0 && Atomics.load(ctl, 0) === seq) wait = at - now();
  if (Atomics.load(ctl, 0) !== seq) continue;
  port.postMessage(at);
  Atomics.wait(ctl, 0, seq);
}
port.close();
`;

/** Epoch milliseconds with sub-millisecond resolution, comparable across threads. */
export function epochMs(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * One wake-up at a time: `wakeAt(t)` replaces the previous one; `onWake` runs on this thread's
 * loop at `t` or a little after (never before). The helper thread starts at the first `wakeAt`;
 * while a wake-up is pending it keeps the process alive, as a timer would.
 */
export class PreciseWake {
  private readonly sab = new SharedArrayBuffer(16);
  private readonly ctl = new Int32Array(this.sab, 0, 2);
  private readonly due = new Float64Array(this.sab, 8, 1);
  private worker: Worker | undefined;
  private port: MessagePort | undefined;
  private started: Promise<void> | undefined;

  constructor(private readonly onWake: () => void) {
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

  /** Wakes at `epoch` (epoch ms, see `epochMs`); Infinity cancels. */
  wakeAt(epoch: number): void {
    if (this.worker === undefined) {
      if (!(epoch < Infinity)) return;
      this.start();
    }
    this.due[0] = epoch;
    Atomics.add(this.ctl, 0, 1);
    Atomics.notify(this.ctl, 0);
    if (epoch < Infinity) this.port!.ref();
    else this.port!.unref();
  }

  /** The pending wake-up's time (Infinity: none). */
  pending(): number {
    return this.due[0]!;
  }

  /** Stops the helper thread (a later `wakeAt` starts a new one). */
  close(): void {
    if (this.worker === undefined) return;
    Atomics.store(this.ctl, 1, 1);
    Atomics.add(this.ctl, 0, 1);
    Atomics.notify(this.ctl, 0);
    this.port!.close();
    void this.worker.terminate();
    this.worker = undefined;
    this.port = undefined;
    this.started = undefined;
    this.due[0] = Infinity;
    Atomics.store(this.ctl, 1, 0);
  }

  private start(): void {
    const { port1, port2 } = new MessageChannel();
    this.worker = new Worker(HELPER, { eval: true, workerData: { sab: this.sab, port: port2, spinMs: SPIN_MS }, transferList: [port2] });
    this.worker.unref();
    this.port = port1;
    let running!: () => void;
    this.started = new Promise<void>((resolve) => (running = resolve));
    port1.on('message', (at: number | 'ready') => {
      if (at === 'ready') {
        if (!(this.due[0]! < Infinity)) port1.unref(); // kept alive until it runs, then only while a wake-up is pending
        return running();
      }
      if (this.due[0] !== at) return; // replaced meanwhile: the helper is already waiting for the new one
      this.due[0] = Infinity;
      this.port!.unref();
      this.onWake();
    });
  }
}
