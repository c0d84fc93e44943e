import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/random.ts';
import { TrafficSchema } from '../../src/scenario/schema.ts';
import { arrivalTimes, gamma } from '../../src/workload/arrivals.ts';

const traffic = (t: unknown) => TrafficSchema.parse(t);

function gapCv(times: Float64Array): number {
  let s = 0,
    s2 = 0;
  for (let i = 1; i < times.length; i++) {
    const g = times[i]! - times[i - 1]!;
    s += g;
    s2 += g * g;
  }
  const n = times.length - 1;
  const mean = s / n;
  return Math.sqrt(s2 / n - mean * mean) / mean;
}

function dispersion(times: Float64Array, windowMs: number, durationMs: number): number {
  const counts = new Float64Array(Math.floor(durationMs / windowMs));
  for (const t of times) if (t < counts.length * windowMs) counts[Math.floor(t / windowMs)]!++;
  const mean = counts.reduce((a, b) => a + b, 0) / counts.length;
  const variance = counts.reduce((a, c) => a + (c - mean) ** 2, 0) / counts.length;
  return variance / mean;
}

describe('arrival shapes', () => {
  it('Gamma(shape, 1) draws have mean shape and variance shape, above and below shape 1', () => {
    for (const shape of [0.25, 4]) {
      const rng = new Rng(5);
      const xs = Array.from({ length: 40_000 }, () => gamma(shape, rng));
      const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
      const variance = xs.reduce((a, x) => a + (x - mean) ** 2, 0) / xs.length;
      expect(mean).toBeGreaterThan(shape * 0.97);
      expect(mean).toBeLessThan(shape * 1.03);
      expect(variance).toBeGreaterThan(shape * 0.93);
      expect(variance).toBeLessThan(shape * 1.07);
    }
  });

  it('gamma arrivals have the asked inter-arrival CV, the exact count and are deterministic by seed', () => {
    const t = traffic({ requestsPerDay: 50_000, burstiness: { process: 'gamma', cv: 2.5 } });
    const a = arrivalTimes(t, 50_000, new Rng(1));
    expect(a.length).toBe(50_000);
    expect(gapCv(a)).toBeGreaterThan(2.5 * 0.93);
    expect(gapCv(a)).toBeLessThan(2.5 * 1.07);
    expect(a[a.length - 1]!).toBeLessThan(24 * 3_600_000);
    expect(Array.from(arrivalTimes(t, 50_000, new Rng(1)))).toEqual(Array.from(a));
    // Poisson's CV is 1
    expect(gapCv(arrivalTimes(traffic({ requestsPerDay: 50_000 }), 50_000, new Rng(1)))).toBeCloseTo(1, 1);
  });

  it('MMPP arrivals cluster: counts per 10 minutes are far more dispersed than Poisson', () => {
    const day = 24 * 3_600_000;
    const t = traffic({ requestsPerDay: 50_000, burstiness: { process: 'mmpp', highMultiplier: 6, highShare: 0.1, meanHighS: 900 } });
    const a = arrivalTimes(t, 50_000, new Rng(2));
    expect(dispersion(a, 600_000, day)).toBeGreaterThan(20);
    expect(dispersion(arrivalTimes(traffic({ requestsPerDay: 50_000 }), 50_000, new Rng(2)), 600_000, day)).toBeLessThan(2);
  });

  it('an hourly profile sets the rate of each hour, alone and under Gamma gaps', () => {
    const profile = Array.from({ length: 24 }, (_, h) => (h < 12 ? 1 : 3));
    for (const burstiness of [undefined, { process: 'gamma', cv: 1.5 }]) {
      const t = traffic({ requestsPerDay: 80_000, arrivals: { shape: 'hourly', profile }, ...(burstiness ? { burstiness } : {}) });
      const a = arrivalTimes(t, 80_000, new Rng(3));
      const morning = a.filter((x) => x < 12 * 3_600_000).length;
      // a quarter of the requests in the first half of the day
      expect(morning / 80_000).toBeGreaterThan(0.24);
      expect(morning / 80_000).toBeLessThan(0.26);
    }
  });
});
