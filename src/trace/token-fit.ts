/**
 * Fitting a token-length distribution to a trace column: a lognormal (its mean kept exact, its
 * spread from the logs' variance) and empirical quantiles (piecewise linear, the top knot set
 * so the mean is kept), the better of the two by Kolmogorov–Smirnov distance against the data.
 */
import { errorFunction } from 'simple-statistics';
import { quantileSorted } from '../core/quantile.ts';
import { round } from '../core/round.ts';

/**
 * Probabilities of the empirical quantile knots: every percentile, and denser in the tail where
 * token lengths spread (coarser knots misplace the mass of multi-humped lengths, and the mean with it).
 */
const QUANTILE_PROBS: readonly number[] = [0, ...Array.from({ length: 99 }, (_, k) => (k + 1) / 100), 0.995, 0.999, 1];

/** Summary figures of one token column. */
export interface TokenSummary {
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** A fitted token distribution in the scenario's own shape, with both candidates' KS distances. */
export interface TokenFit {
  summary: TokenSummary;
  lognormal: { mean: number; cv: number; ks: number };
  empirical: { p: number[]; values: number[]; ks: number };
  chosen: 'lognormal' | 'empirical';
}

/** Mean, median, p90, p99, max of sorted data. */
export function summarize(sorted: ArrayLike<number>): TokenSummary {
  let sum = 0;
  for (let i = 0; i < sorted.length; i++) sum += sorted[i]!;
  return {
    mean: sum / sorted.length,
    p50: round(quantileSorted(sorted, 0.5), 2),
    p90: round(quantileSorted(sorted, 0.9), 2),
    p99: round(quantileSorted(sorted, 0.99), 2),
    max: sorted[sorted.length - 1]!,
  };
}

/** Fits a token column (any order; it is copied and sorted). */
export function fitTokens(values: Int32Array): TokenFit {
  const sorted = Int32Array.from(values).sort();
  const summary = summarize(sorted);
  const logn = fitLognormal(sorted, summary.mean);
  const emp = empiricalKnots(sorted, summary.mean);
  // both models are sampled then rounded to whole tokens: compare P(round(X) ≤ v) = F(v + 0.5)
  const lnKs = ksDistance(sorted, (v) => lognormalCdf(v + 0.5, logn.mu, logn.sigma));
  const empKs = ksDistance(sorted, (v) => piecewiseCdf(v + 0.5, emp.p, emp.values));
  // the lognormal is two readable numbers: keep it unless the quantiles fit clearly better
  const chosen = lnKs <= empKs + 0.01 ? 'lognormal' : 'empirical';
  return {
    summary,
    lognormal: { mean: round(summary.mean, 2), cv: round(logn.cv, 4), ks: lnKs },
    empirical: { p: [...emp.p], values: emp.values, ks: empKs },
    chosen,
  };
}

function fitLognormal(sorted: Int32Array, mean: number): { mu: number; sigma: number; cv: number } {
  let s = 0;
  let s2 = 0;
  let n = 0;
  for (let i = 0; i < sorted.length; i++) {
    const x = Math.log(Math.max(0.5, sorted[i]!));
    s += x;
    s2 += x * x;
    n++;
  }
  const variance = n > 1 ? Math.max(0, (s2 - (s * s) / n) / (n - 1)) : 0;
  const sigma = Math.sqrt(variance);
  // the spread from the logs, the mean from the data: the token means then match exactly
  return { mu: Math.log(Math.max(mean, 1e-9)) - variance / 2, sigma, cv: Math.sqrt(Math.expm1(variance)) };
}

/** Quantile knots at `QUANTILE_PROBS`; the top knot keeps the piecewise-linear mean equal to the data's. */
function empiricalKnots(sorted: Int32Array, mean: number): { p: readonly number[]; values: number[] } {
  const p = QUANTILE_PROBS;
  const values = p.map((q) => quantileSorted(sorted, q));
  const last = p.length - 1;
  let inner = 0;
  for (let s = 0; s < last - 1; s++) inner += (p[s + 1]! - p[s]!) * ((values[s]! + values[s + 1]!) / 2);
  const w = p[last]! - p[last - 1]!;
  const top = (2 * (mean - inner)) / w - values[last - 1]!;
  // the top knot absorbs what the straight segments got wrong, within reason
  values[last] = Math.min(Math.max(values[last - 1]!, top), 2 * sorted[sorted.length - 1]!);
  return { p, values: values.map((v) => round(v, 1)) };
}

/** Kolmogorov–Smirnov distance between sorted whole numbers and a CDF over whole numbers (at each distinct value and just below it). */
export function ksDistance(sorted: ArrayLike<number>, cdf: (v: number) => number): number {
  const n = sorted.length;
  let d = 0;
  let i = 0;
  while (i < n) {
    const v = sorted[i]!;
    const below = i / n;
    while (i < n && sorted[i] === v) i++;
    // whole-token data: the empirical CDF is `below` up to v − 1 and jumps to i/n at v
    d = Math.max(d, Math.abs(i / n - cdf(v)), Math.abs(below - cdf(v - 1)));
  }
  return d;
}

/** CDF of a lognormal with log-mean `mu` and log-sd `sigma`. */
function lognormalCdf(x: number, mu: number, sigma: number): number {
  if (x <= 0) return 0;
  if (sigma === 0) return x >= Math.exp(mu) ? 1 : 0;
  return 0.5 * (1 + errorFunction((Math.log(x) - mu) / (sigma * Math.SQRT2)));
}

/** CDF of the piecewise-linear quantile function through (p[k], values[k]). */
function piecewiseCdf(x: number, p: readonly number[], values: readonly number[]): number {
  if (x < values[0]!) return 0;
  for (let k = 1; k < values.length; k++) {
    if (x < values[k]!) return p[k - 1]! + ((p[k]! - p[k - 1]!) * (x - values[k - 1]!)) / (values[k]! - values[k - 1]!);
  }
  return 1;
}
