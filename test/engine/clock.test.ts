/** The virtual clock: event order, async tasks, signals, partial runs, failures. */
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/engine/virtual-clock.ts';

describe('VirtualClock', () => {
  it('jumps from event to event: sleeps end at exactly start + ms', async () => {
    const clock = new VirtualClock();
    const log: string[] = [];
    clock.spawn(async () => {
      await clock.sleep(100);
      log.push(`a@${clock.now()}`);
      await clock.sleep(50);
      log.push(`a@${clock.now()}`);
    });
    clock.spawn(async () => {
      await clock.sleep(120);
      log.push(`b@${clock.now()}`);
    });
    await clock.run();
    expect(log).toEqual(['a@100', 'b@120', 'a@150']);
    expect(clock.now()).toBe(150);
  });

  it('a signal wakes its waiter at the waker’s time', async () => {
    const clock = new VirtualClock();
    const s = clock.signal<string>();
    let got = '';
    let at = -1;
    clock.spawn(async () => {
      got = await s.wait;
      at = clock.now();
    });
    clock.schedule(300, () => s.wake('go'));
    await clock.run();
    expect(got).toBe('go');
    expect(at).toBe(300);
  });

  it('run(untilMs) stops before later events and a second run() still processes them', async () => {
    const clock = new VirtualClock();
    const seen: number[] = [];
    clock.schedule(10, () => seen.push(10));
    clock.schedule(20, () => seen.push(20));
    clock.schedule(30, () => seen.push(30));
    await clock.run(15);
    expect(seen).toEqual([10]);
    await clock.run();
    expect(seen).toEqual([10, 20, 30]);
  });

  it('rejects run() with the error a task threw', async () => {
    const clock = new VirtualClock();
    clock.spawn(async () => {
      await clock.sleep(5);
      throw new Error('boom');
    });
    await expect(clock.run()).rejects.toThrow('boom');
  });

  it('rejects run() with the error a scheduled callback threw', async () => {
    const clock = new VirtualClock();
    clock.schedule(5, () => {
      throw new Error('callback boom');
    });
    await expect(clock.run()).rejects.toThrow('callback boom');
  });

  it('waits for every task an event woke, and for tasks spawned inside an event, before the next event', async () => {
    const clock = new VirtualClock();
    const log: string[] = [];
    clock.schedule(10, () => {
      // a task spawned by an event that blocks at once must not let a later event run early
      clock.spawn(async () => {
        await clock.sleep(5);
        log.push(`spawned@${clock.now()}`);
        await Promise.resolve();
        await Promise.resolve();
        log.push(`spawned-after-ticks@${clock.now()}`);
      });
      clock.schedule(15, () => log.push(`later-callback@${clock.now()}`));
    });
    clock.schedule(15, () => log.push(`earlier-callback@${clock.now()}`));
    await clock.run();
    expect(log).toEqual(['earlier-callback@15', 'spawned@15', 'spawned-after-ticks@15', 'later-callback@15']);
  });

  it('many tasks ping-ponging through signals and sleeps end at the same virtual times on every run', async () => {
    const once = async () => {
      const clock = new VirtualClock();
      const ends: number[] = [];
      let waiter: ReturnType<typeof clock.signal<number>> | undefined;
      for (let i = 0; i < 50; i++) {
        clock.spawn(async () => {
          for (let k = 0; k < 20; k++) {
            await clock.sleep(1 + ((i * 7 + k) % 5));
            if (waiter === undefined) {
              waiter = clock.signal<number>();
              await waiter.wait;
            } else {
              const w = waiter;
              waiter = undefined;
              w.wake(i);
            }
          }
          ends.push(clock.now() * 1000 + i);
        });
      }
      clock.schedule(10_000, () => waiter?.wake(-1));
      await clock.run();
      return ends;
    };
    const a = await once();
    expect(a).toHaveLength(50);
    expect(await once()).toEqual(a);
  });
});
