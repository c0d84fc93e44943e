/** Arrival times: exact counts, the diurnal curve's peak-to-trough ratio, bursts. */
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/random.ts';
import { TrafficSchema } from '../../src/scenario/schema.ts';
import { arrivalStream, arrivalTimes, rateCurve, requestCount } from '../../src/workload/arrivals.ts';

const HOUR_MS = 3_600_000;

function hourlyCounts(times: Float64Array, hours: number): number[] {
  const out = new Array<number>(hours).fill(0);
  for (const t of times) out[Math.floor(t / HOUR_MS)]!++;
  return out;
}

describe('arrivals', () => {
  it('gives exactly requestsPerDay × durationHours / 24 arrivals, sorted, inside the period', () => {
    const traffic = TrafficSchema.parse({ requestsPerDay: 100_000, durationHours: 6 });
    expect(requestCount(traffic)).toBe(25_000);
    const times = arrivalTimes(traffic, requestCount(traffic), new Rng(1));
    expect(times.length).toBe(25_000);
    for (let i = 1; i < times.length; i++) expect(times[i]!).toBeGreaterThanOrEqual(times[i - 1]!);
    expect(times[0]!).toBeGreaterThanOrEqual(0);
    expect(times[times.length - 1]!).toBeLessThan(6 * HOUR_MS);
  });

  it('Poisson arrivals are flat: every hour holds 1/24 of the day within 4 standard deviations', () => {
    const traffic = TrafficSchema.parse({ requestsPerDay: 480_000 });
    const counts = hourlyCounts(arrivalTimes(traffic, 480_000, new Rng(2)), 24);
    for (const c of counts) expect(Math.abs(c - 20_000)).toBeLessThan(4 * Math.sqrt(20_000));
  });

  it('diurnal arrivals have the configured peak-to-trough ratio of hourly counts (4 ± 4%)', () => {
    // peak at 14:30 so the hours [14, 15) and [2, 3) are centred on the peak and the trough;
    // averaging the cosine over an hour shrinks its amplitude by sinc(π/24) = 0.99715
    const traffic = TrafficSchema.parse({ requestsPerDay: 1_000_000, arrivals: { shape: 'diurnal', peakToTrough: 4, peakHour: 14.5 } });
    const counts = hourlyCounts(arrivalTimes(traffic, 1_000_000, new Rng(3)), 24);
    const amp = (3 / 5) * (Math.sin(Math.PI / 24) / (Math.PI / 24));
    const expectedRatio = (1 + amp) / (1 - amp);
    expect(expectedRatio).toBeCloseTo(3.979, 3);
    const ratio = counts[14]! / counts[2]!;
    // counts near 66,600 and 16,700: the ratio's relative sd is about 0.9%
    expect(Math.abs(ratio - expectedRatio) / expectedRatio).toBeLessThan(0.04);
    expect(counts.indexOf(Math.max(...counts))).toBe(14);
    expect(counts.indexOf(Math.min(...counts))).toBe(2);
  });

  it('bursts multiply the arrival rate inside their windows', () => {
    const traffic = TrafficSchema.parse({ requestsPerDay: 400_000, bursts: { count: 4, durationMin: 30, multiplier: 5 } });
    const seed = 4;
    // arrivalTimes draws the burst windows first from its generator: the same seed gives the same windows
    const curve = rateCurve(traffic, new Rng(seed));
    const times = arrivalTimes(traffic, 400_000, new Rng(seed));
    let inside = 0;
    for (const t of times) if (curve.rate(t) > 1) inside++;
    const insideMs = 4 * 30 * 60_000;
    const outsideMs = 24 * HOUR_MS - insideMs;
    const rateRatio = inside / insideMs / ((times.length - inside) / outsideMs);
    expect(Math.abs(rateRatio - 5) / 5).toBeLessThan(0.03);
    // expected share inside: 5·2 h / (5·2 h + 22 h) = 0.3125
    expect(inside / times.length).toBeCloseTo(0.3125, 2);
  });
});

describe('arrivals drawn lazily, in order', () => {
  /** The distribution they must follow: independent draws from the rate curve by rejection, sorted (the old way). */
  function byRejection(traffic: ReturnType<typeof TrafficSchema.parse>, count: number, seed: number): Float64Array {
    const rng = new Rng(seed);
    const curve = rateCurve(traffic, rng);
    const out = new Float64Array(count);
    for (let i = 0; i < count; i++) {
      let t: number;
      do t = rng.next() * traffic.durationHours * HOUR_MS;
      while (rng.next() * curve.maxRate > curve.rate(t));
      out[i] = t;
    }
    return out.sort();
  }

  /** Two-sample Kolmogorov–Smirnov distance of two sorted samples. */
  function ksDistance(a: Float64Array, b: Float64Array): number {
    let i = 0;
    let j = 0;
    let d = 0;
    while (i < a.length && j < b.length) {
      if (a[i]! <= b[j]!) i++;
      else j++;
      d = Math.max(d, Math.abs(i / a.length - j / b.length));
    }
    return d;
  }

  it('follow the rate curve exactly: diurnal with bursts, MMPP and an hourly profile agree with rejection sampling (KS)', () => {
    const n = 100_000;
    // the KS distance of two samples of n from one distribution exceeds 1.63·√(2/n) with probability 1%
    const critical = 1.63 * Math.sqrt(2 / n);
    const shapes = [
      { requestsPerDay: n, arrivals: { shape: 'diurnal', peakToTrough: 5, peakHour: 9 }, bursts: { count: 3, durationMin: 45, multiplier: 4 } },
      { requestsPerDay: n, burstiness: { process: 'mmpp', highMultiplier: 8, highShare: 0.2, meanHighS: 120 } },
      { requestsPerDay: n, arrivals: { shape: 'hourly', profile: Array.from({ length: 24 }, (_, h) => (h % 5 === 0 ? 0 : 1 + h)) } },
    ];
    for (const [k, shape] of shapes.entries()) {
      const traffic = TrafficSchema.parse(shape);
      const lazy = arrivalTimes(traffic, n, new Rng(10 + k));
      for (let i = 1; i < n; i++) if (lazy[i]! < lazy[i - 1]!) throw new Error(`not in order at ${i}`);
      // the same seed: the same burst windows and busy periods (the curve is drawn first)
      expect(ksDistance(lazy, byRejection(traffic, n, 10 + k)), JSON.stringify(shape)).toBeLessThan(critical);
    }
  });

  it('the stream gives the same times as the array, one call per request', () => {
    const traffic = TrafficSchema.parse({ requestsPerDay: 5_000, burstiness: { process: 'gamma', cv: 2 } });
    const all = arrivalTimes(traffic, 5_000, new Rng(3));
    const next = arrivalStream(traffic, 5_000, new Rng(3));
    for (let i = 0; i < 5_000; i++) expect(next()).toBe(all[i]);
  });
});
