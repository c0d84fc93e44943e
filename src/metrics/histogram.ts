/** Latency distributions on HDR histograms (3 significant digits, microsecond resolution). */
import * as hdr from 'hdr-histogram-js';
import type { CdfPoints, Percentiles } from '../results/schema.ts';

/** Percentiles at which a CDF is sampled for charts. */
const CDF_QUANTILES = [
  0, 0.01, 0.02, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.925, 0.95, 0.96, 0.97, 0.98, 0.99, 0.995,
  0.999, 1,
];

/**
 * A latency histogram in milliseconds (or any non-negative value: tokens/s too); the mean, the
 * minimum and the maximum are kept exactly, percentiles come from HDR and are clamped to
 * [min, max] — HDR answers with its bucket's upper edge, which can lie above every recorded value.
 */
export class LatencyHistogram {
  private readonly h = hdr.build({ numberOfSignificantValueDigits: 3, bitBucketSize: 32 });
  private sumMs = 0;
  private n = 0;
  private minMs = Infinity;
  private maxMs = 0;

  record(ms: number): void {
    this.recordCount(ms, 1);
  }

  /** Records `count` values of `ms` at once (a weighted sample). */
  recordCount(ms: number, count: number): void {
    if (count <= 0) return;
    const v = Math.max(0, ms);
    this.h.recordValueWithCount(Math.round(v * 1000), count);
    this.sumMs += v * count;
    this.n += count;
    if (v < this.minMs) this.minMs = v;
    if (v > this.maxMs) this.maxMs = v;
  }

  get count(): number {
    return this.n;
  }

  /** Value at quantile q (0–1), ms. */
  quantile(q: number): number {
    if (this.n === 0) return 0;
    return Math.min(this.maxMs, Math.max(this.minMs, this.h.getValueAtPercentile(q * 100) / 1000));
  }

  percentiles(): Percentiles {
    return {
      count: this.n,
      mean: this.n === 0 ? 0 : this.sumMs / this.n,
      p50: this.quantile(0.5),
      p90: this.quantile(0.9),
      p95: this.quantile(0.95),
      p99: this.quantile(0.99),
      max: this.maxMs,
    };
  }

  cdf(): CdfPoints {
    if (this.n === 0) return [];
    return CDF_QUANTILES.map((q) => [this.quantile(q), q] as [number, number]);
  }
}
