/**
 * How big a difference between two configurations must be before it is a finding and not noise:
 * the replications' interval when the run was replicated, else the sampling error of a proportion
 * (quality, error rate) or of a percentile (p95 read off the measured CDF).
 */
import { studentTQuantile } from '../core/student-t.ts';
import { headlineMetrics } from '../results/headline.ts';
import type { CdfPoints, ConfigResult, HeadlineMetrics } from '../results/schema.ts';

/** Two-sided 95% normal quantile. */
const Z95 = 1.959964;
/**
 * With one replication, configurations of one run share their requests (same seed: common random
 * numbers), so a cost difference is not sampling noise; below 1% it is still too small to act on.
 */
const MIN_COST_CHANGE_SHARE = 0.01;

/** The value at cumulative fraction `q` of a CDF, interpolated between its points. */
function cdfQuantile(points: CdfPoints, q: number): number {
  if (points.length === 0) return Number.NaN;
  if (q <= points[0][1]) return points[0][0];
  for (let i = 1; i < points.length; i++) {
    const [x1, f1] = points[i];
    if (f1 >= q) {
      const [x0, f0] = points[i - 1];
      return f1 === f0 ? x1 : x0 + ((q - f0) / (f1 - f0)) * (x1 - x0);
    }
  }
  return points[points.length - 1][0];
}

/**
 * Half-width of the 95% interval of a percentile from one sample of n (distribution-free: the ranks
 * n·p ± z·√(n·p·(1−p)) read off the CDF). Infinite when the CDF has no points to read.
 */
function percentileHalfWidth(points: CdfPoints, n: number, p: number): number {
  if (points.length === 0 || n <= 0) return Number.POSITIVE_INFINITY;
  const d = Z95 * Math.sqrt((p * (1 - p)) / n);
  return (cdfQuantile(points, Math.min(1, p + d)) - cdfQuantile(points, Math.max(0, p - d))) / 2;
}

/** Half-width of the 95% interval of a proportion p measured over n. */
function proportionHalfWidth(p: number, n: number): number {
  return n <= 0 ? Number.POSITIVE_INFINITY : Z95 * Math.sqrt((p * (1 - p)) / n);
}

/** Replicate values of one metric paired by seed, or null when the two were not replicated on the same seeds. */
function pairedReplicates(a: ConfigResult, b: ConfigResult, metric: keyof HeadlineMetrics): Array<[number, number]> | null {
  if (!a.replicates || !b.replicates || a.replicates.length < 2) return null;
  const bySeed = new Map(b.replicates.map((r) => [r.seed, r.metrics[metric] ?? NaN]));
  const pairs = a.replicates.flatMap((r) => (bySeed.has(r.seed) ? [[r.metrics[metric] ?? NaN, bySeed.get(r.seed)!] as [number, number]] : []));
  return pairs.length >= 2 ? pairs : null;
}

/** Half-width of the 95% t-interval of the mean of paired differences. */
function pairedHalfWidth(pairs: ReadonlyArray<[number, number]>): number {
  const d = pairs.map(([x, y]) => y - x);
  const mean = d.reduce((s, v) => s + v, 0) / d.length;
  const variance = d.reduce((s, v) => s + (v - mean) ** 2, 0) / (d.length - 1);
  return studentTQuantile(0.975, d.length - 1) * Math.sqrt(variance / d.length);
}

function sampleHalfWidth(c: ConfigResult, metric: keyof HeadlineMetrics): number | null {
  switch (metric) {
    case 'quality':
      return proportionHalfWidth(c.quality.share, c.quality.total);
    case 'errorRate':
      return proportionHalfWidth(headlineMetrics(c).errorRate, c.requests.total);
    case 'e2eP95Ms':
      return percentileHalfWidth(c.cdf.e2e, c.latencyMs.e2e.count, 0.95);
    case 'ttftP95Ms':
      return percentileHalfWidth(c.cdf.ttft, c.latencyMs.ttft.count, 0.95);
    case 'queueWaitP95Ms':
      return percentileHalfWidth(c.cdf.queueWait, c.latencyMs.queueWait.count, 0.95);
    default:
      return null;
  }
}

/** A difference b − a of one metric and the half-width of its 95% interval. */
export interface Difference {
  delta: number;
  halfWidth: number;
}

/**
 * b − a for one metric with its 95% half-width: the mean of paired replicates when both have them
 * (seed by seed), else the point difference with the two sampling errors combined; cost (and
 * metrics without a sampling model) get the materiality floor of MIN_COST_CHANGE_SHARE.
 */
export function difference(a: ConfigResult, b: ConfigResult, metric: keyof HeadlineMetrics): Difference {
  const pairs = pairedReplicates(a, b, metric);
  if (pairs) return { delta: pairs.reduce((s, [x, y]) => s + y - x, 0) / pairs.length, halfWidth: pairedHalfWidth(pairs) };
  // NaN for a metric a run predates: the difference is then NaN, which callers leave out
  const va = headlineMetrics(a)[metric] ?? NaN;
  const vb = headlineMetrics(b)[metric] ?? NaN;
  const ha = sampleHalfWidth(a, metric);
  const hb = sampleHalfWidth(b, metric);
  const halfWidth = ha !== null && hb !== null ? Math.sqrt(ha * ha + hb * hb) : MIN_COST_CHANGE_SHARE * Math.max(Math.abs(va), Math.abs(vb));
  return { delta: vb - va, halfWidth };
}

/** Whether b and a differ on a metric by no more than the noise of the run. */
export function withinNoise(a: ConfigResult, b: ConfigResult, metric: keyof HeadlineMetrics): boolean {
  const d = difference(a, b, metric);
  return Math.abs(d.delta) <= d.halfWidth;
}
