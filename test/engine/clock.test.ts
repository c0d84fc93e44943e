/** The virtual clock: event order, async tasks, signals, partial runs, failures. */
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/engine/virtual-clock.ts';
import { EventQueue } from '../../src/engine/event-queue.ts';
import { Rng } from '../../src/core/random.ts';

describe('EventQueue', () => {
  it('pops in time order, ties in insertion order', () => {
    const q = new EventQueue();
    const rng = new Rng(7);
    const pushed: Array<{ t: number; i: number }> = [];
    for (let i = 0; i < 2000; i++) {
      const t = rng.int(50);
      pushed.push({ t, i });
      q.push(t, () => i);
    }
    const order: number[] = [];
    for (let ev = q.pop(); ev !== undefined; ev = q.pop()) order.push(ev.fn() as unknown as number);
    const expected = [...pushed].sort((a, b) => a.t - b.t || a.i - b.i).map((p) => p.i);
    expect(order).toEqual(expected);
    expect(q.size).toBe(0);
  });
});

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
});
