/**
 * Fitting a workload model to a trace: the traffic (rate, daily shape, burstiness) and a
 * request mix (one task kind per logged model, token distributions chosen by KS distance,
 * prompt reuse from sessions). The result is a scenario object that `scenario-file.ts` writes.
 */
import { round } from '../core/round.ts';
import { fitTokens, type TokenFit } from './token-fit.ts';
import { hourOfDay, type TraceStats } from './stats.ts';
import type { Trace } from './trace.ts';

/** A fitted distribution as the scenario writes it. */
type FittedDist = { dist: 'lognormal'; mean: number; cv: number } | { dist: 'empirical'; p: number[]; values: number[] };

/** The traffic part of a fitted scenario, with why each choice was made. */
export interface FittedTraffic {
  requestsPerDay: number;
  arrivals: { shape: 'poisson' } | { shape: 'diurnal'; peakToTrough: number; peakHour: number } | { shape: 'hourly'; profile: number[] };
  burstiness?: { process: 'gamma'; cv: number } | { process: 'mmpp'; highMultiplier: number; highShare: number; meanHighS: number };
  /** One sentence per choice, written as comments. */
  why: string[];
}

/** One fitted task kind. */
export interface FittedKind {
  name: string;
  share: number;
  /** The logged model, when the catalog has it. */
  model?: string;
  loggedModel?: string;
  inputTokens: FittedDist;
  outputTokens: FittedDist;
  inputFit: TokenFit;
  outputFit: TokenFit;
  intents?: number;
}

/** Kinds fitted separately at most; rarer models share one kind. */
const MAX_KINDS = 6;
/** Poisson fits when the rescaled inter-arrival CV is at most this and counts per minute are not over-dispersed. */
const POISSON_MAX_CV = 1.2;
const POISSON_MAX_DISPERSION = 2;
/** A diurnal cosine is used for multi-day traces when it explains this much of the hourly profile. */
const DIURNAL_MIN_R2 = 0.8;
/** ... and when it spans this long: one day alone cannot tell a daily pattern from a trend. */
const DIURNAL_MIN_SPAN_HOURS = 36;

/** Fits the traffic. */
export function fitTraffic(t: Trace, s: TraceStats): FittedTraffic {
  const why: string[] = [
    `${s.requests.toLocaleString('en-US')} requests over ${s.spanHours.toPrecision(3)} h: ${Math.round(s.requestsPerDay).toLocaleString('en-US')} requests/day`,
  ];
  let arrivals: FittedTraffic['arrivals'];
  if (s.diurnal !== null && s.spanHours >= DIURNAL_MIN_SPAN_HOURS && s.diurnal.r2 >= DIURNAL_MIN_R2) {
    arrivals = { shape: 'diurnal', peakToTrough: s.diurnal.peakToTrough, peakHour: s.diurnal.peakHour };
    why.push(`diurnal: the trace spans ${round(s.spanHours / 24, 1)} days and a cosine explains ${pct(s.diurnal.r2)} of its hourly profile`);
  } else if (s.coveredHours >= 2) {
    arrivals = { shape: 'hourly', profile: s.hourlyProfile };
    const diurnal = s.diurnal === null ? '' : ` (a diurnal cosine explains only ${pct(s.diurnal.r2)} of it)`;
    why.push(
      `hourly profile of the ${s.coveredHours} hours the trace covers (hours ${s.hoursAre === 'utc' ? 'UTC' : 'since the trace started'}; uncovered hours at the mean rate)${diurnal}`,
    );
  } else {
    arrivals = { shape: 'poisson' };
    why.push(`flat rate: the trace covers under 2 hours, too little for a daily profile`);
  }
  const d60 = s.dispersion['60'] ?? NaN;
  const d600 = s.dispersion['600'] ?? NaN;
  const figures = `inter-arrival CV ${s.interArrivalCv}, index of dispersion ${fmtIdc(s.dispersion['1'])} (1 s) / ${fmtIdc(d60)} (60 s) / ${fmtIdc(d600)} (600 s)`;
  if (!(s.interArrivalCv > POISSON_MAX_CV) && !(d60 > POISSON_MAX_DISPERSION)) {
    why.push(`Poisson arrivals: ${figures}`);
    return { requestsPerDay: round(s.requestsPerDay, 2), arrivals, why };
  }
  const mmpp = d600 > 2 * Math.max(1, s.interArrivalCv ** 2) ? fitMmpp(t, s.hourlyProfile) : null;
  if (mmpp !== null) {
    why.push(
      `MMPP arrivals: ${figures}; dispersion grows with the window, so the rate itself switches (busy ${pct(mmpp.highShare)} of the time at ${mmpp.highMultiplier}×)`,
    );
    return { requestsPerDay: round(s.requestsPerDay, 2), arrivals, burstiness: { process: 'mmpp', ...mmpp }, why };
  }
  const cv = Math.min(10, Math.max(0.2, s.interArrivalCv));
  why.push(`Gamma inter-arrivals (CV ${round(cv, 3)}): ${figures}; Poisson would have CV 1 and dispersion 1`);
  return { requestsPerDay: round(s.requestsPerDay, 2), arrivals, burstiness: { process: 'gamma', cv: round(cv, 3) }, why };
}

/**
 * Two-state MMPP from counts per minute (the daily profile divided out): a two-means split into
 * normal and busy minutes gives the busy share, the busy/normal rate ratio and the busy spell length.
 */
function fitMmpp(t: Trace, profile: number[]): { highMultiplier: number; highShare: number; meanHighS: number } | null {
  const windowMs = 60_000;
  const n = Math.floor(t.spanMs / windowMs);
  if (n < 20) return null;
  const c = new Float64Array(n);
  for (let i = 0; i < t.count; i++) {
    const w = Math.floor(t.timeMs[i]! / windowMs);
    if (w < n) c[w]! += 1;
  }
  for (let w = 0; w < n; w++) c[w] = c[w]! / profile[hourOfDay(t, (w + 0.5) * windowMs)]!;
  let thr = c.reduce((a, b) => a + b, 0) / n;
  let low = 0,
    high = 0,
    highCount = 0;
  for (let iter = 0; iter < 30; iter++) {
    let sl = 0,
      nl = 0,
      sh = 0,
      nh = 0;
    for (const x of c) x > thr ? ((sh += x), nh++) : ((sl += x), nl++);
    if (nh === 0 || nl === 0) return null;
    (low = sl / nl), (high = sh / nh), (highCount = nh);
    thr = (low + high) / 2;
  }
  let runs = 0;
  for (let w = 0; w < n; w++) if (c[w]! > thr && (w === 0 || c[w - 1]! <= thr)) runs++;
  if (!(low > 0)) return null;
  return { highMultiplier: round(high / low, 3), highShare: round(highCount / n, 4), meanHighS: round((highCount / runs) * 60, 1) };
}

/** One task kind per frequent logged model (all requests in one kind when the trace names none). */
export function fitKinds(t: Trace, s: TraceStats, knownModel: (id: string) => boolean): FittedKind[] {
  const mix = Object.entries(s.modelMix);
  const top = mix.slice(0, MAX_KINDS - (mix.length > MAX_KINDS ? 1 : 0)).map(([m]) => m);
  const groups = new Map<string, number[]>();
  for (let i = 0; i < t.count; i++) {
    const m = t.modelIndex[i]!;
    const name = m < 0 ? (mix.length === 0 ? 'requests' : 'unnamed') : top.includes(t.models[m]!) ? t.models[m]! : 'other';
    let g = groups.get(name);
    if (g === undefined) groups.set(name, (g = []));
    g.push(i);
  }
  const kinds = [...groups].sort((a, b) => b[1].length - a[1].length).map(([name, idx]) => fitKind(t, name, idx, knownModel));
  // shares must sum to exactly 1: the largest kind takes the rounding
  const rest = kinds.slice(1).reduce((a, k) => a + k.share, 0);
  kinds[0]!.share = round(1 - rest, 6);
  reuseIntents(kinds, s);
  return kinds;
}

function fitKind(t: Trace, name: string, idx: number[], knownModel: (id: string) => boolean): FittedKind {
  const input = Int32Array.from(idx, (i) => t.inputTokens[i]!);
  const output = Int32Array.from(idx, (i) => t.outputTokens[i]!);
  const inputFit = fitTokens(input);
  const outputFit = fitTokens(output);
  const logged = name === 'requests' || name === 'unnamed' || name === 'other' ? undefined : name;
  return {
    name,
    share: round(idx.length / t.count, 6),
    ...(logged !== undefined && knownModel(logged) ? { model: logged } : {}),
    ...(logged !== undefined ? { loggedModel: logged } : {}),
    inputTokens: chosenDist(inputFit),
    outputTokens: chosenDist(outputFit),
    inputFit,
    outputFit,
  };
}

/** The distribution a token fit chose, in the scenario's shape. */
function chosenDist(f: TokenFit): FittedDist {
  return f.chosen === 'lognormal'
    ? { dist: 'lognormal', mean: f.lognormal.mean, cv: f.lognormal.cv }
    : { dist: 'empirical', p: f.empirical.p, values: f.empirical.values };
}

/**
 * Sessions become prompt reuse: each kind gets as many equally popular intents (one wording
 * each) as make the expected share of requests repeating an earlier prompt over a day equal
 * the trace's share of requests continuing a session.
 */
function reuseIntents(kinds: FittedKind[], s: TraceStats): void {
  if (s.sessions === null) return;
  for (const k of kinds) {
    const n = Math.max(1, Math.round(s.requestsPerDay * k.share));
    k.intents = intentsForDistinct(n, Math.max(1, Math.round(n * (1 - s.sessions.continuingShare))));
  }
}

/** The K for which n uniform draws from K intents give `distinct` distinct ones on average: K(1 − e^(−n/K)) (bisection). */
export function intentsForDistinct(n: number, distinct: number): number {
  if (distinct >= n) return 2_000_000;
  let lo = 1;
  let hi = 2_000_000;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (mid * -Math.expm1(-n / mid) < distinct) lo = mid;
    else hi = mid;
  }
  return hi;
}

function pct(x: number): string {
  return `${round(x * 100, 1)}%`;
}

function fmtIdc(x: number | undefined): string {
  return x === undefined || Number.isNaN(x) ? 'n/a' : String(x);
}
