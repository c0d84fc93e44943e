/**
 * Arrival times of one simulated period, drawn one at a time in time order: memory does not grow
 * with the number of requests. Given the count N, the times are the order statistics of N
 * independent draws from the rate curve: exactly a (non-homogeneous) Poisson process conditioned
 * on N. They are drawn in order without sorting: the uniform order statistics one after the
 * other (each the next of the remaining ones' minimum), mapped through the inverse of the
 * curve's exact cumulative rate. Burstier traffic (`traffic.burstiness`) replaces the
 * independent draws: Gamma gaps (a renewal process) or a two-state Markov-modulated rate, both
 * following the same daily curve.
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
interface RateCurve {
  rate(tMs: number): number;
  maxRate: number;
}

/** The daily curve alone: flat, a cosine (diurnal) or a measured profile per hour (hourly). */
interface DailyCurve {
  base: (t: number) => number;
  max: number;
  /** Diurnal: the cosine's relative amplitude and peak time (0 for flat and hourly). */
  amplitude: number;
  peakMs: number;
  /** Hourly: the rate changes on the hour. */
  hourly: boolean;
}

function dailyCurve(arr: Scenario['traffic']['arrivals']): DailyCurve {
  if (arr.shape === 'hourly') {
    const p = arr.profile;
    return {
      base: (t) => p[Math.floor((((t % MS_PER_DAY) + MS_PER_DAY) % MS_PER_DAY) / MS_PER_HOUR)]!,
      max: Math.max(...p),
      amplitude: 0,
      peakMs: 0,
      hourly: true,
    };
  }
  const amplitude = arr.shape === 'diurnal' ? (arr.peakToTrough - 1) / (arr.peakToTrough + 1) : 0;
  const peakMs = arr.shape === 'diurnal' ? arr.peakHour * MS_PER_HOUR : 0;
  return { base: (t) => 1 + amplitude * Math.cos((2 * Math.PI * (t - peakMs)) / MS_PER_DAY), max: 1 + amplitude, amplitude, peakMs, hourly: false };
}

/** The relative arrival rate over the period, and the instants where its multipliers or hourly level change. */
interface Curve extends RateCurve {
  daily: DailyCurve;
  /** The multiplier of bursts and busy periods at `t` (constant between breakpoints). */
  multiplier(t: number): number;
  /** Sorted instants inside the period where the rate may jump. */
  breakpoints: number[];
}

/** Builds the rate curve: the daily curve, times bursts, times an MMPP's busy periods. */
export function rateCurve(traffic: Scenario['traffic'], rng: Rng): Curve {
  const durationMs = traffic.durationHours * MS_PER_HOUR;
  const daily = dailyCurve(traffic.arrivals);
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
  const multiplier = (t: number): number => {
    let m = busy !== null && inWindows(busy, t) ? busyMult : 1;
    for (const [s, e] of windows) {
      if (t >= s && t < e) {
        m *= mult;
        break;
      }
    }
    return m;
  };
  const edges = [...windows, ...(busy ?? [])].flat();
  if (daily.hourly) for (let h = 1; h * MS_PER_HOUR < durationMs; h++) edges.push(h * MS_PER_HOUR);
  const breakpoints = [...new Set(edges.filter((t) => t > 0 && t < durationMs))].sort((x, y) => x - y);
  return {
    rate: (t) => daily.base(t) * multiplier(t),
    maxRate: daily.max * mult * busyMult,
    daily,
    multiplier,
    breakpoints,
  };
}

/** A period's arrival times, ascending, one per call (`count` of them; memory independent of `count`). */
export type ArrivalStream = () => number;

/** The arrival times of `count` requests over the period, drawn lazily in time order. */
export function arrivalStream(traffic: Scenario['traffic'], count: number, rng: Rng): ArrivalStream {
  if (traffic.burstiness?.process === 'gamma') return gammaArrivals(traffic, traffic.burstiness.cv, count, rng);
  const inverse = inverseCumulativeRate(rateCurve(traffic, rng), traffic.durationHours * MS_PER_HOUR);
  // the uniform order statistics in order: given k drawn, the next is the minimum of the n − k
  // remaining ones on [u_k, 1), so 1 − u shrinks by a factor V^(1/(n−k)), V uniform on (0, 1]
  let left = 1;
  let k = 0;
  return () => {
    left *= Math.pow(1 - rng.next(), 1 / (count - k));
    k++;
    return inverse(1 - left);
  };
}

/** `count` sorted arrival times (ms) over `durationHours`, all at once (for tests and fits; the simulator streams them). */
export function arrivalTimes(traffic: Scenario['traffic'], count: number, rng: Rng): Float64Array {
  const next = arrivalStream(traffic, count, rng);
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) out[i] = next();
  return out;
}

/**
 * The inverse of the curve's cumulative rate, normalised: u ∈ [0, 1) → the time by which a share
 * u of the period's expected arrivals has arrived. Exact: between breakpoints the rate is a
 * constant times the daily curve, whose integral is closed-form (a line, or a line plus a sine),
 * inverted by Newton's method where it is a sine. Calls must come with u ascending (a cursor walks
 * the segments), as the order statistics do.
 */
function inverseCumulativeRate(curve: Curve, durationMs: number): (u: number) => number {
  const edges = [0, ...curve.breakpoints, durationMs];
  const { daily } = curve;
  const omega = (2 * Math.PI) / MS_PER_DAY;
  // ∫ daily.base over [a, t], for a diurnal curve (flat and hourly are constant per segment);
  // sinA is sin(ω(a − peak)), the same for every t of a segment's Newton iterations
  const sinAt = (a: number) => Math.sin(omega * (a - daily.peakMs));
  const scale = daily.amplitude / omega;
  const cosIntegral = (a: number, sinA: number, t: number) => t - a + scale * (Math.sin(omega * (t - daily.peakMs)) - sinA);
  const segMult: number[] = [];
  const cum: number[] = [0];
  for (let k = 0; k + 1 < edges.length; k++) {
    const a = edges[k]!;
    const b = edges[k + 1]!;
    const mid = (a + b) / 2;
    const m = curve.multiplier(mid) * (daily.hourly ? daily.base(mid) : 1);
    segMult.push(m);
    cum.push(cum[k]! + m * (daily.amplitude === 0 ? b - a : cosIntegral(a, sinAt(a), b)));
  }
  const total = cum.at(-1)!;
  let seg = 0;
  let sinSeg = -1;
  let sinOfA = 0;
  return (u) => {
    const target = u * total;
    while (seg < segMult.length - 1 && cum[seg + 1]! <= target) seg++;
    const a = edges[seg]!;
    const b = edges[seg + 1]!;
    const m = segMult[seg]!;
    const want = (target - cum[seg]!) / m;
    if (!(m > 0)) return a;
    if (daily.amplitude === 0) return Math.min(b, a + want);
    // solve cosIntegral(a, t) = want on [a, b]: increasing, slope 1 + A·cos ≥ 1 − A > 0
    let lo = a;
    let hi = b;
    let t = Math.min(b, a + want / daily.base(a));
    if (seg !== sinSeg) sinOfA = sinAt(a);
    sinSeg = seg;
    for (let i = 0; i < 60; i++) {
      const f = cosIntegral(a, sinOfA, t) - want;
      if (Math.abs(f) < 1e-7) break;
      if (f > 0) hi = t;
      else lo = t;
      const next = t - f / daily.base(t);
      t = next > lo && next < hi ? next : (lo + hi) / 2;
    }
    return t;
  };
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
 * mapped through the inverse of the cumulative rate curve (the Poisson path's, exact) so the
 * daily shape and bursts hold.
 * Lazily: a first pass sums the gaps (the normaliser), a second pass redraws the same gaps from
 * a copy of the generator, one per arrival.
 */
function gammaArrivals(traffic: Scenario['traffic'], cv: number, count: number, rng: Rng): ArrivalStream {
  const shape = 1 / (cv * cv);
  const replay = rng.clone();
  let sum = 0;
  for (let i = 0; i <= count; i++) sum += gamma(shape, rng);
  const warp = inverseCumulativeRate(rateCurve(traffic, rng), traffic.durationHours * MS_PER_HOUR);
  let cumulative = 0;
  return () => warp((cumulative += gamma(shape, replay)) / sum);
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
