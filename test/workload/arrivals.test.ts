/** Arrival times: exact counts, the diurnal curve's peak-to-trough ratio, bursts. */
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/random.ts';
import { TrafficSchema } from '../../src/scenario/schema.ts';
import { arrivalTimes, rateCurve, requestCount } from '../../src/workload/arrivals.ts';

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
