/** Latency statistics against known exact values (HDR histogram: 3 significant digits = 0.1%). */
import { describe, expect, it } from 'vitest';
import { LatencyHistogram } from '../../src/metrics/histogram.ts';
import { IntervalCounter, Level } from '../../src/metrics/timeline.ts';
import { Rng } from '../../src/core/random.ts';

const within = (actual: number, exact: number, rel = 0.001) => expect(Math.abs(actual - exact)).toBeLessThanOrEqual(exact * rel);

describe('LatencyHistogram', () => {
  it('1..1000 ms uniform: p50 = 500, p90 = 900, p95 = 950, p99 = 990, max 1000 (within 0.1%); mean exact', () => {
    const h = new LatencyHistogram();
    // recorded in a shuffled order: order must not matter
    const values = Array.from({ length: 1000 }, (_, i) => i + 1);
    const rng = new Rng(9);
    for (let i = values.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [values[i], values[j]] = [values[j]!, values[i]!];
    }
    for (const v of values) h.record(v);
    const p = h.percentiles();
    expect(p.count).toBe(1000);
    expect(p.mean).toBe(500.5);
    within(p.p50, 500);
    within(p.p90, 900);
    within(p.p95, 950);
    within(p.p99, 990);
    within(p.max, 1000);
  });

  it('keeps sub-millisecond resolution (microseconds): 0.25 ms stays 0.25 ms', () => {
    const h = new LatencyHistogram();
    for (let i = 0; i < 10; i++) h.record(0.25);
    expect(h.quantile(0.5)).toBe(0.25);
  });

  it('exponential samples: quantiles match −mean·ln(1 − q) within sampling error', () => {
    const h = new LatencyHistogram();
    const rng = new Rng(11);
    for (let i = 0; i < 200_000; i++) h.record(rng.exponential(1000));
    for (const q of [0.5, 0.9, 0.99]) within(h.quantile(q), -1000 * Math.log(1 - q), 0.03);
  });

  it('never reports a percentile above the largest value or below the smallest (HDR bucket edges are clamped)', () => {
    // 12345.678 ms lands in a bucket whose upper edge is 12,347.391 ms: before, p50..p99 said so
    const h = new LatencyHistogram();
    for (let i = 0; i < 5; i++) h.record(12_345.678);
    const p = h.percentiles();
    expect([p.p50, p.p90, p.p95, p.p99, p.max]).toEqual([12_345.678, 12_345.678, 12_345.678, 12_345.678, 12_345.678]);
    h.record(20_000.5);
    expect(h.quantile(1)).toBe(20_000.5);
    expect(h.quantile(0)).toBe(12_345.678);
  });

  it('records a weighted value as that many values', () => {
    const h = new LatencyHistogram();
    h.recordCount(10, 3);
    h.recordCount(40, 1);
    expect(h.percentiles()).toMatchObject({ count: 4, mean: 17.5, max: 40 });
    within(h.quantile(0.5), 10);
    within(h.quantile(0.9), 40);
  });

  it('an empty histogram reports zeros', () => {
    expect(new LatencyHistogram().percentiles()).toEqual({ count: 0, mean: 0, p50: 0, p90: 0, p95: 0, p99: 0, max: 0 });
    expect(new LatencyHistogram().cdf()).toEqual([]);
  });
});

describe('time series', () => {
  it('IntervalCounter sums per interval', () => {
    const c = new IntervalCounter(1000);
    c.add(0);
    c.add(999, 2);
    c.add(2500);
    expect(c.values).toEqual([3, 0, 1]);
  });

  it('Level integrates a level over time, split exactly at interval edges', () => {
    const l = new Level(1000);
    l.set(500, 2); // 0 until 500, then 2
    l.set(1500, 4); // 2 until 1500, then 4
    l.flush(3000);
    expect(l.integral).toEqual([1000, 1000 + 2000, 4000]);
    expect(l.max).toEqual([2, 4, 4]);
    expect(l.total()).toBe(8000);
  });
});
