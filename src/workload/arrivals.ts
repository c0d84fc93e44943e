/**
 * Arrival times of one simulated period. Given the count N, the times are N independent draws
 * from the rate curve, sorted: exactly a (non-homogeneous) Poisson process conditioned on N.
 */
import type { Rng } from '../core/random.ts';
import type { Scenario } from '../scenario/schema.ts';

const MS_PER_HOUR = 3_600_000;

/** Requests in the simulated period for a traffic spec. */
export function requestCount(traffic: Scenario['traffic']): number {
  return Math.round((traffic.requestsPerDay * traffic.durationHours) / 24);
}

/** The relative arrival rate at time `tMs` (its maximum is returned by `maxRate`). */
export interface RateCurve {
  rate(tMs: number): number;
  maxRate: number;
}

/** Builds the rate curve: Poisson (flat) or diurnal (cosine, peak-to-trough ratio), times bursts. */
export function rateCurve(traffic: Scenario['traffic'], rng: Rng): RateCurve {
  const durationMs = traffic.durationHours * MS_PER_HOUR;
  const arr = traffic.arrivals;
  const amplitude = arr.shape === 'diurnal' ? (arr.peakToTrough - 1) / (arr.peakToTrough + 1) : 0;
  const peakMs = arr.shape === 'diurnal' ? arr.peakHour * MS_PER_HOUR : 0;
  const base = (t: number) => 1 + amplitude * Math.cos((2 * Math.PI * (t - peakMs)) / (24 * MS_PER_HOUR));
  const windows: Array<[number, number]> = [];
  const b = traffic.bursts;
  if (b && b.count > 0) {
    const slot = durationMs / b.count;
    const len = b.durationMin * 60_000;
    for (let i = 0; i < b.count; i++) {
      const start = i * slot + rng.next() * Math.max(0, slot - len);
      windows.push([start, start + len]);
    }
  }
  const mult = b?.multiplier ?? 1;
  return {
    rate(t) {
      let r = base(t);
      for (const [s, e] of windows) if (t >= s && t < e) return r * mult;
      return r;
    },
    maxRate: (1 + amplitude) * mult,
  };
}

/** `count` sorted arrival times (ms) over `durationHours`. */
export function arrivalTimes(traffic: Scenario['traffic'], count: number, rng: Rng): Float64Array {
  const durationMs = traffic.durationHours * MS_PER_HOUR;
  const curve = rateCurve(traffic, rng);
  const out = new Float64Array(count);
  const flat = curve.maxRate === 1;
  for (let i = 0; i < count; i++) {
    let t: number;
    // rejection sampling against the curve's maximum: accepted draws follow the curve exactly
    do t = rng.next() * durationMs;
    while (!flat && rng.next() * curve.maxRate > curve.rate(t));
    out[i] = t;
  }
  return out.sort();
}
