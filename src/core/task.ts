/**
 * Tasks: strategy code (the agent, routers, the simulated client) written once as generators
 * that yield what they wait for, and run by a driver on either clock (src/core/clock.ts).
 *
 * A task yields a `Block`:
 *  - a number: sleep that many ms of the clock's time (`sleep(ms)`);
 *  - a `Parked` wake-up, which another task triggers (a free model slot);
 *  - a thunk returning a promise (`wait(() => cache.get(...))`): I/O, a cache, a promise-based client.
 *
 * `startTask` runs a task with no promise between the clock and the code: a sleep is a clock event
 * that resumes the generator, a `Parked` wake resumes it inside `wake()`. On the virtual clock a
 * simulated call then costs one event, not a promise per async layer. A thunk still runs as an
 * asynchronous task of the clock (`spawn`), so the clock waits for it. `runTask` runs a task from
 * promise-based code (tests, live mode's queue workers) through the clock's `sleep`/`signal`/promises.
 */
import type { Clock } from './clock.ts';

/** What a task waits for (see the module comment). */
export type Block = number | Parked<unknown> | (() => PromiseLike<unknown>);

/** A task: a generator that yields `Block`s and returns a `T`. */
export type Task<T> = Generator<Block, T, unknown>;

/** Sleeps `ms` of the clock's time: `yield sleep(ms)`. */
export function sleep(ms: number): Block {
  return ms;
}

/** Waits for a promise made by `thunk` (called when the task blocks): `const v = yield* wait(() => p)`. */
export function* wait<T>(thunk: () => PromiseLike<T>): Task<T> {
  return (yield thunk) as T;
}

/** Where a woken `Parked` resumes its task. */
interface Resumer {
  resume(value: unknown): void;
}

/**
 * A one-shot wake-up another task triggers (`yield parked` in the waiting task). Unlike a
 * `Signal`, waking it under `startTask` resumes the waiter synchronously, inside `wake()`.
 */
export class Parked<T> {
  private to: Resumer | null = null;
  private woken = false;
  private value: T | undefined;

  /** Wakes the waiting task with `value` (once; later wakes are ignored). */
  wake(value: T): void {
    if (this.woken) return;
    this.woken = true;
    this.value = value;
    if (this.to !== null) this.to.resume(value);
  }

  /** The driver parks `to` here; if already woken, it resumes at once. */
  park(to: Resumer): void {
    this.to = to;
    if (this.woken) to.resume(this.value);
  }
}

/** Drives one task: resumes it with each value (or error) it waited for until it returns. */
abstract class Driver<T> implements Resumer {
  /** Resumes the task after a sleep (one closure per task: assigned here, not as a class field, which tsx would name per instance). */
  readonly resumeFn: () => void;

  constructor(
    protected readonly clock: Clock,
    private readonly task: Task<T>,
  ) {
    this.resumeFn = () => this.advance(undefined, false);
  }

  /** Resumes the task with a promise's outcome. */
  protected settle(thunk: () => PromiseLike<unknown>): Promise<void> {
    let p: PromiseLike<unknown>;
    try {
      p = thunk();
    } catch (e) {
      p = Promise.reject(e);
    }
    return Promise.resolve(p).then(
      (v) => this.advance(v, false),
      (err: unknown) => this.advance(err, true),
    );
  }

  resume(value: unknown): void {
    this.advance(value, false);
  }

  /** Runs the task until it blocks or ends. */
  advance(value: unknown, isError: boolean): void {
    let r: IteratorResult<Block, T>;
    try {
      r = isError ? this.task.throw(value) : this.task.next(value);
    } catch (err) {
      return this.failed(err);
    }
    if (r.done === true) return this.done(r.value);
    const b = r.value;
    if (typeof b === 'number') this.sleep(b);
    else if (b instanceof Parked) this.park(b);
    else this.io(b);
  }

  protected abstract sleep(ms: number): void;
  protected abstract park(p: Parked<unknown>): void;
  protected abstract io(thunk: () => PromiseLike<unknown>): void;
  protected abstract done(value: T): void;
  protected abstract failed(err: unknown): void;
}

/** `startTask`'s driver: clock events and synchronous wakes, no promise unless the task waits for one. */
class SyncDriver extends Driver<unknown> {
  constructor(
    clock: Clock,
    task: Task<unknown>,
    private readonly ended: (() => void) | undefined,
  ) {
    super(clock, task);
  }

  protected sleep(ms: number): void {
    this.clock.schedule(this.clock.now() + ms, this.resumeFn);
  }

  protected park(p: Parked<unknown>): void {
    p.park(this);
  }

  protected io(thunk: () => PromiseLike<unknown>): void {
    // an asynchronous task of the clock: the virtual clock waits for it before its next event
    this.clock.spawn(() => this.settle(thunk));
  }

  protected done(): void {
    try {
      this.ended?.();
    } catch (err) {
      this.report(err);
    }
  }

  protected failed(err: unknown): void {
    try {
      this.ended?.();
    } catch {
      // the task's own error is the one to report
    }
    this.report(err);
  }

  /** A failed task of the clock: the virtual clock's run rejects, the real clock's `failed` settles (never an uncaught throw in a timer). */
  private report(err: unknown): void {
    this.clock.spawn(() => Promise.reject(err));
  }
}

/**
 * Starts `task` on `clock` (an agent run in the executor); `ended` runs when it has returned or
 * thrown (as a `finally` would), and a thrown error then fails the clock's run.
 */
export function startTask(clock: Clock, task: Task<unknown>, ended?: () => void): void {
  new SyncDriver(clock, task, ended).resumeFn();
}

/** `runTask`'s driver: the clock's `sleep` and `signal`, so the calling promise-based task is counted as before. */
class PromiseDriver<T> extends Driver<T> {
  constructor(
    clock: Clock,
    task: Task<T>,
    private readonly resolve: (v: T) => void,
    private readonly reject: (err: unknown) => void,
  ) {
    super(clock, task);
  }

  protected sleep(ms: number): void {
    this.clock.sleep(ms).then(this.resumeFn);
  }

  protected park(p: Parked<unknown>): void {
    const s = this.clock.signal<unknown>();
    p.park({ resume: (v) => s.wake(v) });
    s.wait.then((v) => this.advance(v, false));
  }

  protected io(thunk: () => PromiseLike<unknown>): void {
    this.settle(thunk);
  }

  protected done(value: T): void {
    this.resolve(value);
  }

  protected failed(err: unknown): void {
    this.reject(err);
  }
}

/** Runs `task` from promise-based code on `clock`; resolves with what it returns. */
export function runTask<T>(clock: Clock, task: Task<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => new PromiseDriver(clock, task, resolve, reject).resumeFn());
}
