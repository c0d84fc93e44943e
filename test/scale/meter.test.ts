import { describe, expect, it } from 'vitest';
import { LiveMeter, progressLine } from '../../src/live/meter.ts';

describe('LiveMeter: send lag and running progress of a live run', () => {
  it("a request's send lag is its arrival lag plus its first call's dispatch lag; a request with no call counts its arrival lag", () => {
    let now = 0;
    const meter = new LiveMeter(10, () => now);
    meter.arrival(5, 1);
    meter.dispatch(1, 3); // first call: 5 + 3
    meter.dispatch(1, 100); // a later call of the same request: not send lag
    meter.arrival(2, 2); // answered from a cache: no call
    meter.finished(2, 0, true, 500);
    meter.finished(1, 0, false, 1000);
    meter.arrival(-1, 3); // early timers count as on time
    meter.dispatch(3, 0);
    const lag = meter.sendLagPercentiles();
    expect(lag.count).toBe(3);
    expect(lag.max).toBe(8);
    expect(lag.p50).toBe(2);
    expect(meter.lags).toEqual([8, 2, 0]);
    const p = meter.progress('cfg', 10);
    expect(p).toMatchObject({ configuration: 'cfg', done: 2, total: 10, requestsPerS: 2, e2eP95Ms: 1000, errors: 1, timeScale: 10 });
    // wall ms: scenario lags 8, 2, 0 at ×10
    expect(p.sendLagP99WallMs).toBeCloseTo(0.8, 9);
    expect(progressLine(p)).toBe('2 req/s · p95 e2e 1.00 s (scenario) · errors 1 (50.0%) · send lag p99 0.8 ms wall');
    // the window moves on: nothing finished in the last 5 s
    now = 7_000;
    const later = meter.progress('cfg', 10);
    expect(later.requestsPerS).toBe(0);
    expect(Number.isNaN(later.e2eP95Ms)).toBe(true);
    expect(progressLine(later)).toBe('0 req/s · p95 e2e – (scenario) · errors 1 (50.0%) · send lag p99 – wall');
  });

  it('requests per second over the window of finished requests', () => {
    let now = 0;
    const meter = new LiveMeter(1, () => now);
    for (let i = 0; i < 300; i++) {
      now = i * 10; // 100 a second for 3 s
      meter.finished(i, now - 50, true, now);
    }
    const p = meter.progress('cfg', 300);
    expect(p.requestsPerS).toBeGreaterThan(95);
    expect(p.requestsPerS).toBeLessThan(105);
    expect(p.e2eP95Ms).toBe(50);
    expect(progressLine(p)).toMatch(/^\d+ req\/s · p95 e2e 50 ms · errors 0 \(0\.0%\)/);
  });
});
