import { describe, expect, it } from 'vitest';
import { RealClock } from '../../src/live/real-clock.ts';

describe('RealClock.schedule (the live generator’s arrival timer)', () => {
  it('runs a backlog of due arrivals without a millisecond per arrival (setTimeout’s 1 ms floor)', async () => {
    const clock = new RealClock(1);
    const n = 1_000;
    const started = performance.now();
    // each arrival due at once, scheduled when the previous one runs (as the workload's chain does);
    // with a timer each, the thousandth would run at least 1,000 ms in
    await new Promise<void>((resolve) => {
      const arrive = (i: number): void => (i + 1 < n ? clock.schedule(0, () => arrive(i + 1)) : resolve());
      clock.schedule(0, () => arrive(0));
    });
    expect(performance.now() - started).toBeLessThan(500);
  });

  it('still waits for a time in the future, scaled', async () => {
    const clock = new RealClock(10);
    const started = performance.now();
    await new Promise<void>((resolve) => clock.schedule(clock.now() + 200, resolve)); // 200 scenario ms = 20 ms wall
    expect(performance.now() - started).toBeGreaterThanOrEqual(18); // node timers may fire up to ~1 ms early
  });

  it("with start 'on-start', stands at 0 while the run sets up, timers included, then counts from start()", async () => {
    const clock = new RealClock(10, { start: 'on-start' });
    // a timer set during set-up (an autoscaler's first tick) neither starts the clock nor fires before its time
    const tick = new Promise<number>((resolve) => clock.schedule(50, () => resolve(clock.now())));
    const setUp = performance.now();
    while (performance.now() - setUp < 30); // building the executor, its workers and the agent
    expect(clock.now()).toBe(0); // not 300 scenario ms: the first arrival is not late by the set-up
    await new Promise((r) => setTimeout(r, 20)); // the tick's timer (5 ms of wall time) has fired meanwhile
    expect(clock.now()).toBe(0);
    const started = performance.now();
    clock.start();
    const at = await new Promise<number>((resolve) => clock.schedule(50, () => resolve(clock.now())));
    expect(at).toBeGreaterThanOrEqual(40); // 5 ms of wall time after the start (node timers may fire ~1 ms early)
    expect(await tick).toBeGreaterThanOrEqual(40);
    expect(performance.now() - started).toBeGreaterThanOrEqual(4);
  });

  it('by default counts from its construction (a BullMQ run shares that instant with its workers)', () => {
    const clock = new RealClock(10);
    const setUp = performance.now();
    while (performance.now() - setUp < 5);
    expect(clock.now()).toBeGreaterThanOrEqual(50);
  });
});
