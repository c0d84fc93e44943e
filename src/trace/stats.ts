/**
 * The figures of a trace that a workload model needs: its rate, its hourly profile (and a
 * diurnal cosine fitted to it), its burstiness (inter-arrival CV and index of dispersion, with
 * the daily profile taken out), token distributions, model mix, and session and prefix reuse.
 */
import { round } from '../core/round.ts';
import { fitTokens, type TokenFit } from './token-fit.ts';
import { modelCounts, type Trace } from './trace.ts';

const MS_PER_HOUR = 3_600_000;
const MS_PER_DAY = 24 * MS_PER_HOUR;
/** Windows over which the index of dispersion is measured. */
export const DISPERSION_WINDOWS_S = [1, 10, 60, 600] as const;

/** A cosine over the day fitted to the hourly profile by least squares. */
interface DiurnalFit {
  peakHour: number;
  peakToTrough: number;
  /** Share of the hourly profile's variance the cosine explains. */
  r2: number;
}

/** Everything `bench trace stats` prints and `bench trace fit` uses. */
export interface TraceStats {
  file: string;
  format: string;
  requests: number;
  spanHours: number;
  requestsPerDay: number;
  /** Whether hours are clock hours (UTC) or hours since the trace's start. */
  hoursAre: 'utc' | 'since-start';
  /** Relative rate per hour of the day (mean 1 over covered hours; uncovered hours are 1). */
  hourlyProfile: number[];
  /** Hours of the day the trace covers at least half of. */
  coveredHours: number;
  diurnal: DiurnalFit | null;
  /** Inter-arrival coefficient of variation, in time rescaled by the hourly profile. */
  interArrivalCv: number;
  /** Variance / mean of counts per window, per window length (s); NaN when too few windows. */
  dispersion: Record<string, number>;
  inputTokens: TokenFit;
  outputTokens: TokenFit;
  /** Share of requests per model (empty when the trace names none). */
  modelMix: Record<string, number>;
  sessions: { count: number; requestsPerSession: number; continuingShare: number } | null;
  /** Mooncake: share of input tokens in prefix blocks an earlier request already sent. */
  prefixReuse: { reusedTokenShare: number; blockTokens: number } | null;
  badRows: number;
}

/** Computes the figures of a trace. */
export function traceStats(t: Trace): TraceStats {
  const spanMs = Math.max(t.spanMs, 1);
  // n requests over the span from the first arrival to the last: a replay lasts that span too
  const ratePerMs = t.count / spanMs;
  const hourly = hourlyProfile(t);
  const warped = warpedGaps(t, hourly.profile);
  const models = modelCounts(t);
  return {
    file: t.file,
    format: t.format,
    requests: t.count,
    spanHours: t.spanMs / MS_PER_HOUR,
    requestsPerDay: ratePerMs * MS_PER_DAY,
    hoursAre: t.startEpochMs === null ? 'since-start' : 'utc',
    hourlyProfile: hourly.profile,
    coveredHours: hourly.covered,
    diurnal: t.spanMs >= MS_PER_DAY ? fitDiurnal(hourly.profile) : null,
    interArrivalCv: cvOf(warped),
    dispersion: Object.fromEntries(DISPERSION_WINDOWS_S.map((w) => [String(w), dispersion(t, hourly.profile, w * 1000)])),
    inputTokens: fitTokens(t.inputTokens),
    outputTokens: fitTokens(t.outputTokens),
    modelMix: Object.fromEntries([...models].sort((a, b) => b[1] - a[1]).map(([m, c]) => [m, c / t.count])),
    sessions: sessionStats(t),
    prefixReuse: prefixReuse(t),
    badRows: t.badRows.count,
  };
}

/** Hour of the day (0–23) of trace time `tMs`. */
export function hourOfDay(t: Trace, tMs: number): number {
  const origin = t.startEpochMs ?? 0;
  return Math.floor(((((origin + tMs) % MS_PER_DAY) + MS_PER_DAY) % MS_PER_DAY) / MS_PER_HOUR);
}

function hourlyProfile(t: Trace): { profile: number[]; covered: number } {
  const counts = new Array<number>(24).fill(0);
  const exposureMs = new Array<number>(24).fill(0);
  for (let i = 0; i < t.count; i++) counts[hourOfDay(t, t.timeMs[i]!)]!++;
  // how long the trace watched each hour of the day, summed over its days
  const origin = t.startEpochMs ?? 0;
  for (let s = 0; s < t.spanMs; ) {
    const abs = origin + s;
    const intoHour = ((abs % MS_PER_HOUR) + MS_PER_HOUR) % MS_PER_HOUR;
    const step = Math.min(MS_PER_HOUR - intoHour, t.spanMs - s);
    exposureMs[hourOfDay(t, s)]! += step;
    s += step;
  }
  const covered = exposureMs.map((e) => e >= MS_PER_HOUR / 2);
  const rates = counts.map((c, h) => (covered[h] ? c / exposureMs[h]! : NaN));
  const known = rates.filter((r) => !Number.isNaN(r));
  const mean = known.length > 0 ? known.reduce((a, b) => a + b, 0) / known.length : NaN;
  // hours the trace did not watch get the mean rate: nothing is known about them
  const profile = rates.map((r) => (Number.isNaN(r) || !(mean > 0) ? 1 : round(r / mean, 4)));
  return { profile, covered: known.length };
}

/** Least-squares r(h) = c0 + c1·cos(2πh/24) + c2·sin(2πh/24). */
function fitDiurnal(profile: number[]): DiurnalFit {
  let sc = 0,
    ss = 0,
    s0 = 0;
  for (let h = 0; h < 24; h++) {
    const a = (2 * Math.PI * (h + 0.5)) / 24;
    s0 += profile[h]!;
    sc += profile[h]! * Math.cos(a);
    ss += profile[h]! * Math.sin(a);
  }
  // the 24 hours are evenly spaced, so the regressors are orthogonal
  const c0 = s0 / 24;
  const c1 = sc / 12;
  const c2 = ss / 12;
  const amplitude = Math.min(0.999, Math.hypot(c1, c2) / c0);
  let peak = (Math.atan2(c2, c1) * 24) / (2 * Math.PI);
  if (peak < 0) peak += 24;
  let sse = 0,
    sst = 0;
  for (let h = 0; h < 24; h++) {
    const a = (2 * Math.PI * (h + 0.5)) / 24;
    sse += (profile[h]! - (c0 + c1 * Math.cos(a) + c2 * Math.sin(a))) ** 2;
    sst += (profile[h]! - c0) ** 2;
  }
  return { peakHour: round(peak, 2), peakToTrough: round((1 + amplitude) / (1 - amplitude), 3), r2: sst === 0 ? 1 : round(1 - sse / sst, 4) };
}

/** Inter-arrival gaps in operational time: each gap divided by the inverse relative rate of its hour. */
function warpedGaps(t: Trace, profile: number[]): Float64Array {
  const gaps = new Float64Array(Math.max(0, t.count - 1));
  for (let i = 1; i < t.count; i++) {
    gaps[i - 1] = (t.timeMs[i]! - t.timeMs[i - 1]!) * profile[hourOfDay(t, t.timeMs[i - 1]!)]!;
  }
  return gaps;
}

function cvOf(xs: Float64Array): number {
  if (xs.length < 2) return NaN;
  let s = 0,
    s2 = 0;
  for (const x of xs) (s += x), (s2 += x * x);
  const mean = s / xs.length;
  const variance = s2 / xs.length - mean * mean;
  return mean > 0 ? round(Math.sqrt(Math.max(0, variance)) / mean, 4) : NaN;
}

/** Index of dispersion of counts per window, each count scaled by its hour's relative rate. */
function dispersion(t: Trace, profile: number[], windowMs: number): number {
  const windows = Math.floor(t.spanMs / windowMs);
  if (windows < 10) return NaN;
  const counts = new Float64Array(windows);
  for (let i = 0; i < t.count; i++) {
    const w = Math.floor(t.timeMs[i]! / windowMs);
    if (w < windows) counts[w]! += 1;
  }
  // divide out the daily profile so a busy afternoon is not mistaken for a burst
  let s = 0,
    s2 = 0,
    n = 0;
  for (let w = 0; w < windows; w++) {
    const rel = profile[hourOfDay(t, (w + 0.5) * windowMs)]!;
    const c = counts[w]! / rel;
    s += c;
    s2 += c * c * rel; // Var of a scaled Poisson count is mean/rel: weight it back
    n++;
  }
  const mean = s / n;
  return mean > 0 ? round((s2 / n - mean * mean) / mean, 4) : NaN;
}

function sessionStats(t: Trace): TraceStats['sessions'] {
  if (t.sessions === 0) return null;
  let withSession = 0;
  const seen = new Uint8Array(t.sessions);
  let continuing = 0;
  for (let i = 0; i < t.count; i++) {
    const s = t.sessionIndex[i]!;
    if (s < 0) continue;
    withSession++;
    if (seen[s]) continuing++;
    seen[s] = 1;
  }
  return { count: t.sessions, requestsPerSession: round(withSession / t.sessions, 3), continuingShare: round(continuing / t.count, 4) };
}

function prefixReuse(t: Trace): TraceStats['prefixReuse'] {
  if (t.blockStart === null || t.blockIds === null) return null;
  const seen = new Set<number>();
  let reused = 0;
  let total = 0;
  for (let i = 0; i < t.count; i++) {
    total += t.inputTokens[i]!;
    let leading = true;
    let k = 0;
    // a hash id names its block and everything before it: the reused prefix is the leading run of seen ids
    for (let b = t.blockStart[i]!; b < t.blockStart[i + 1]!; b++, k++) {
      const id = t.blockIds[b]!;
      if (leading && seen.has(id)) reused += Math.min(t.blockTokens, t.inputTokens[i]! - k * t.blockTokens);
      else leading = false;
      seen.add(id);
    }
  }
  return { reusedTokenShare: total > 0 ? round(reused / total, 4) : 0, blockTokens: t.blockTokens };
}
