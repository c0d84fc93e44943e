/**
 * Tasks (src/core/task.ts): strategy code as generators, driven by clock events (`startTask`)
 * or through the clock's promises (`runTask`), on the virtual clock and on the real one.
 */
import { describe, expect, it } from 'vitest';
import { Parked, runTask, sleep, startTask, wait, type Task } from '../../src/core/task.ts';
import { VirtualClock } from '../../src/engine/virtual-clock.ts';
import { RealClock } from '../../src/live/real-clock.ts';
import type { Clock } from '../../src/core/clock.ts';

/** Sleeps `ms` twice, logging the time after each sleep. */
function* twoSleeps(clock: Clock, name: string, ms: number, log: string[]): Task<number> {
  yield sleep(ms);
  log.push(`${name}@${clock.now()}`);
  yield* nested(ms);
  log.push(`${name}@${clock.now()}`);
  return clock.now();
}

function* nested(ms: number): Task<void> {
  yield sleep(ms);
}

describe('tasks', () => {
  it('startTask: a sleep is a clock event; tasks interleave in time order like async tasks', async () => {
    const clock = new VirtualClock();
    const log: string[] = [];
    startTask(clock, twoSleeps(clock, 'a', 100, log));
    clock.spawn(async () => {
      await clock.sleep(150);
      log.push(`b@${clock.now()}`);
    });
    startTask(clock, twoSleeps(clock, 'c', 60, log));
    await clock.run();
    expect(log).toEqual(['c@60', 'a@100', 'c@120', 'b@150', 'a@200']);
    expect(clock.eventsProcessed).toBe(5);
  });

  it('a woken Parked resumes its task inside wake(), before the waker goes on', async () => {
    const clock = new VirtualClock();
    const log: string[] = [];
    const slot = new Parked<string>();
    startTask(
      clock,
      (function* () {
        const got = yield slot;
        log.push(`waiter got ${String(got)} @${clock.now()}`);
        yield sleep(10);
        log.push(`waiter done @${clock.now()}`);
      })(),
    );
    clock.schedule(30, () => {
      log.push('waking');
      slot.wake('a slot');
      slot.wake('ignored');
      log.push('woke');
    });
    await clock.run();
    expect(log).toEqual(['waking', 'waiter got a slot @30', 'woke', 'waiter done @40']);
  });

  it('the virtual clock waits for a promise a task awaits before its next event', async () => {
    const clock = new VirtualClock();
    const log: string[] = [];
    startTask(
      clock,
      (function* () {
        yield sleep(10);
        const v = yield* wait(() => new Promise<string>((r) => setTimeout(() => r('io'), 20)));
        log.push(`${v}@${clock.now()}`);
        yield sleep(1);
        log.push(`after@${clock.now()}`);
      })(),
    );
    clock.schedule(10, () => log.push('event@10'));
    clock.schedule(11, () => log.push('event@11'));
    await clock.run();
    // the task's wake at 10 was queued before the event at 10; that event waits for the promise
    expect(log).toEqual(['io@10', 'event@10', 'event@11', 'after@11']);
  });

  it('a failed promise is thrown into the task; an uncaught error fails the run after `ended`', async () => {
    const clock = new VirtualClock();
    const log: string[] = [];
    startTask(
      clock,
      (function* () {
        try {
          yield* wait(() => Promise.reject(new Error('io failed')));
        } catch (err) {
          log.push((err as Error).message);
        }
        yield sleep(5);
        throw new Error('boom');
      })(),
      () => log.push(`ended@${clock.now()}`),
    );
    await expect(clock.run()).rejects.toThrow('boom');
    expect(log).toEqual(['io failed', 'ended@5']);
  });

  it('an error thrown by `ended` after a task returned fails the run, on either clock, never a throw in a timer', async () => {
    const virtual = new VirtualClock();
    startTask(virtual, nested(5), () => {
      throw new Error('ended failed');
    });
    await expect(virtual.run()).rejects.toThrow('ended failed');

    const real = new RealClock(10);
    startTask(real, nested(5), () => {
      throw new Error('ended failed live');
    });
    await expect(real.failed).rejects.toThrow('ended failed live');
  });

  it('a task that throws before its first block (a job making its request) fails the run after `ended`', async () => {
    const clock = new VirtualClock();
    const log: string[] = [];
    startTask(
      clock,
      (function* (bad: boolean): Task<void> {
        if (bad) throw new Error('bad request');
        yield sleep(1);
      })(true),
      () => log.push('ended'),
    );
    await expect(clock.run()).rejects.toThrow('bad request');
    expect(log).toEqual(['ended']);
  });

  it('runTask: the same task from promise-based code gives the same times, and its value', async () => {
    const clock = new VirtualClock();
    const log: string[] = [];
    let end = -1;
    clock.spawn(async () => {
      end = await runTask(clock, twoSleeps(clock, 'a', 100, log));
    });
    const slot = new Parked<number>();
    function* parkedTask(): Task<unknown> {
      return yield slot;
    }
    clock.spawn(async () => {
      const got = await runTask(clock, parkedTask());
      log.push(`parked got ${String(got)} @${clock.now()}`);
    });
    clock.schedule(150, () => slot.wake(7));
    await clock.run();
    expect(log).toEqual(['a@100', 'parked got 7 @150', 'a@200']);
    expect(end).toBe(200);
  });

  it('runs on the real clock too (live mode: the same task code)', async () => {
    const clock = new RealClock(10);
    const log: string[] = [];
    const done = new Promise<void>((resolve) => startTask(clock, twoSleeps(clock, 'a', 100, log), resolve));
    await done;
    // both sleeps ran (on timers: 100 ms of scenario time at time scale 10 is 10 ms of wall time)
    expect(log.map((l) => l.split('@')[0])).toEqual(['a', 'a']);
    expect(clock.now()).toBeGreaterThan(0);
  });
});
