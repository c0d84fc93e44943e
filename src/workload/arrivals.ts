/**
 * Arrival times of one simulated period. Given the count N, the times are N independent draws
 * from the rate curve, sorted: exactly a (non-homogeneous) Poisson process conditioned on N.
 * Burstier traffic (`traffic.burstiness`) replaces the independent draws: Gamma gaps (a renewal
 * process) or a two-state Markov-modulated rate, both following the same daily curve.
 */
import type { Rng } from '../core/random.ts';
import type { Scenario } from '../scenario/schema.ts';

const MS_PER_HOUR = 3_600_000;
const MS_PER_DAY = 24 * MS_PER_HOUR;

/** Requests in the simulated period for a traffic spec. */
export function requestCount(traffic: Scenario['traffic']): number {
  return Math.round((traffic.requestsPerDay * traffic.durationHours) / 24);
}

/** The relative arrival rate at time `tMs` (its maximum is returned by `maxRate`). */
export interface RateCurve {
  rate(tMs: number): number;
  maxRate: number;
}

/** The daily curve alone: flat, a cosine (diurnal) or a measured profile per hour (hourly). */
function dailyCurve(arr: Scenario['traffic']['arrivals']): { base: (t: number) => number; max: number } {
  if (arr.shape === 'hourly') {
    const p = arr.profile;
    return { base: (t) => p[Math.floor((((t % MS_PER_DAY) + MS_PER_DAY) % MS_PER_DAY) / MS_PER_HOUR)]!, max: Math.max(...p) };
  }
  const amplitude = arr.shape === 'diurnal' ? (arr.peakToTrough - 1) / (arr.peakToTrough + 1) : 0;
  const peakMs = arr.shape === 'diurnal' ? arr.peakHour * MS_PER_HOUR : 0;
  return { base: (t) => 1 + amplitude * Math.cos((2 * Math.PI * (t - peakMs)) / MS_PER_DAY), max: 1 + amplitude };
}

/** Builds the rate curve: the daily curve, times bursts, times an MMPP's busy periods. */
export function rateCurve(traffic: Scenario['traffic'], rng: Rng): RateCurve {
  const durationMs = traffic.durationHours * MS_PER_HOUR;
  const { base, max } = dailyCurve(traffic.arrivals);
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
  const busy = traffic.burstiness?.process === 'mmpp' ? mmppBusyPeriods(traffic.burstiness, durationMs, rng) : null;
  const busyMult = traffic.burstiness?.process === 'mmpp' ? traffic.burstiness.highMultiplier : 1;
  return {
    rate(t) {
      let r = base(t);
      if (busy !== null && inWindows(busy, t)) r *= busyMult;
      for (const [s, e] of windows) if (t >= s && t < e) return r * mult;
      return r;
    },
    maxRate: max * mult * busyMult,
  };
}

/** `count` sorted arrival times (ms) over `durationHours`. */
export function arrivalTimes(traffic: Scenario['traffic'], count: number, rng: Rng): Float64Array {
  if (traffic.burstiness?.process === 'gamma') return gammaArrivals(traffic, traffic.burstiness.cv, count, rng);
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

/**
 * Busy periods of a two-state MMPP over the period: sojourns are exponential, busy ones with
 * mean `meanHighS`, normal ones long enough that the busy share is `highShare`.
 */
function mmppBusyPeriods(b: { highShare: number; meanHighS: number }, durationMs: number, rng: Rng): Array<[number, number]> {
  const highMs = b.meanHighS * 1000;
  const lowMs = (highMs * (1 - b.highShare)) / b.highShare;
  const out: Array<[number, number]> = [];
  // start in the stationary state
  let t = 0;
  let high = rng.next() < b.highShare;
  while (t < durationMs) {
    const len = rng.exponential(high ? highMs : lowMs);
    if (high) out.push([t, t + len]);
    t += len;
    high = !high;
  }
  return out;
}

function inWindows(windows: Array<[number, number]>, t: number): boolean {
  // binary search: windows are sorted and disjoint
  let lo = 0;
  let hi = windows.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const [s, e] = windows[mid]!;
    if (t < s) hi = mid - 1;
    else if (t >= e) lo = mid + 1;
    else return true;
  }
  return false;
}

/**
 * A Gamma renewal process conditioned on `count` arrivals: count + 1 Gamma gaps, normalised to
 * the period in operational time (for CV 1 these are exactly uniform order statistics), then
 * mapped through the inverse of the cumulative rate curve so the daily shape and bursts hold.
 */
function gammaArrivals(traffic: Scenario['traffic'], cv: number, count: number, rng: Rng): Float64Array {
  const shape = 1 / (cv * cv);
  const out = new Float64Array(count);
  let sum = 0;
  for (let i = 0; i < count; i++) out[i] = sum += gamma(shape, rng);
  sum += gamma(shape, rng);
  const warp = operationalTime(traffic, rng);
  for (let i = 0; i < count; i++) out[i] = warp(out[i]! / sum);
  return out;
}

/** Maps u ∈ [0, 1) (share of the period's expected arrivals) to a time, through the rate curve. */
function operationalTime(traffic: Scenario['traffic'], rng: Rng): (u: number) => number {
  const durationMs = traffic.durationHours * MS_PER_HOUR;
  const curve = rateCurve(traffic, rng);
  const steps = Math.max(1, Math.ceil(durationMs / 60_000));
  const stepMs = durationMs / steps;
  const cum = new Float64Array(steps + 1);
  for (let k = 0; k < steps; k++) cum[k + 1] = cum[k]! + curve.rate((k + 0.5) * stepMs);
  const total = cum[steps]!;
  return (u) => {
    const target = u * total;
    let lo = 0;
    let hi = steps;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (cum[mid]! <= target) lo = mid;
      else hi = mid;
    }
    const seg = cum[lo + 1]! - cum[lo]!;
    return (lo + (seg > 0 ? (target - cum[lo]!) / seg : 0)) * stepMs;
  };
}

/** A Gamma(shape, 1) draw (Marsaglia–Tsang; shape < 1 boosted by U^(1/shape)). */
export function gamma(shape: number, rng: Rng): number {
  if (shape < 1) return gamma(shape + 1, rng) * Math.pow(1 - rng.next(), 1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    const x = rng.normal();
    const v0 = 1 + c * x;
    if (v0 <= 0) continue;
    const v = v0 * v0 * v0;
    const u = 1 - rng.next();
    if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
  }
}
