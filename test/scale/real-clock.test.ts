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
});
