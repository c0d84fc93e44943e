/**
 * Latency distributions on HDR histograms (3 significant digits, microsecond resolution).
 *
 * The bucket layout and the percentile rule are HdrHistogram's (Gil Tene's, as hdr-histogram-js
 * implements it with `numberOfSignificantValueDigits: 3`, lowest discernible value 1): the same
 * values give the same percentiles, bit for bit (a test checks them against hdr-histogram-js).
 * It is written out here because recording is the simulator's hottest path (tens of values per
 * request): an index from integer shifts instead of `log2`/`pow`, counts in a Float64Array
 * (no 2³¹ overflow with weighted counts), grown by whole buckets as larger values arrive.
 */
import type { CdfPoints, Percentiles } from '../results/schema.ts';

/** Percentiles at which a CDF is sampled for charts. */
const CDF_QUANTILES = [
  0, 0.01, 0.02, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.925, 0.95, 0.96, 0.97, 0.98, 0.99, 0.995,
  0.999, 1,
];

/** 3 significant digits need unit resolution up to 2·10³: 2048 sub-buckets, the top 1024 of each bucket used past bucket 0. */
const HALF_MAGNITUDE = 10;
const HALF_COUNT = 1 << HALF_MAGNITUDE;
const TWO_31 = 2 ** 31;

/** The bucket of a recorded (integer, non-negative) value: how many doublings above bucket 0's range. */
function bucketOf(v: number): number {
  // 31 − clz32 is ⌊log2 v⌋ exactly below 2³¹; above it, HDR's own float formula (kept for identical results)
  const log = v < TWO_31 ? 31 - Math.clz32(v) : Math.floor(Math.log2(v));
  return log > HALF_MAGNITUDE ? log - HALF_MAGNITUDE : 0;
}

function subBucketOf(v: number, bucket: number): number {
  return v < TWO_31 ? v >>> bucket : Math.floor(v / 2 ** bucket);
}

/** The counts-array slot of a value. */
function indexOf(v: number): number {
  const bucket = bucketOf(v);
  return bucket * HALF_COUNT + subBucketOf(v, bucket);
}

/** The lowest value counted in a slot. */
function valueAt(index: number): number {
  let bucket = Math.floor(index / HALF_COUNT) - 1;
  let sub = (index % HALF_COUNT) + HALF_COUNT;
  if (bucket < 0) {
    sub -= HALF_COUNT;
    bucket = 0;
  }
  return sub * 2 ** bucket;
}

/** The lowest value equivalent to `v` (same slot). */
function lowestEquivalent(v: number): number {
  const bucket = bucketOf(v);
  return subBucketOf(v, bucket) * 2 ** bucket;
}

/** The highest value equivalent to `v` (same slot). */
function highestEquivalent(v: number): number {
  const bucket = bucketOf(v);
  const sub = subBucketOf(v, bucket);
  return lowestEquivalent(v) + 2 ** (sub >= 2 * HALF_COUNT ? bucket + 1 : bucket) - 1;
}

/** HdrHistogram's unit in the last place, as its percentile rounding uses it. */
function ulp(x: number): number {
  return 2 ** (Math.floor(Math.log2(x)) - 52);
}

/** Integer counts per HDR slot: the part of HdrHistogram the harness uses (record, value at percentile). */
export class HdrCounts {
  private counts = new Float64Array(2 * HALF_COUNT);
  private total = 0;

  /** Records `count` occurrences of the non-negative integer `v`. */
  add(v: number, count: number): void {
    const i = indexOf(v);
    if (i >= this.counts.length) this.grow(i);
    this.counts[i]! += count;
    this.total += count;
  }

  /** HdrHistogram's `getValueAtPercentile` (percentile 0–100). */
  valueAtPercentile(percentile: number): number {
    const fp = (Math.min(percentile, 100) / 100) * this.total;
    const target = Math.max(Math.ceil(fp - ulp(fp)), 1);
    const counts = this.counts;
    let sum = 0;
    for (let i = 0; i < counts.length; i++) {
      sum += counts[i]!;
      if (sum >= target) return percentile === 0 ? lowestEquivalent(valueAt(i)) : highestEquivalent(valueAt(i));
    }
    return 0;
  }

  private grow(index: number): void {
    let n = this.counts.length;
    while (n <= index) n += HALF_COUNT;
    const next = new Float64Array(n);
    next.set(this.counts);
    this.counts = next;
  }
}

/**
 * A latency histogram in milliseconds (or any non-negative value: tokens/s too); the mean, the
 * minimum and the maximum are kept exactly, percentiles come from HDR and are clamped to
 * [min, max] — HDR answers with its bucket's upper edge, which can lie above every recorded value.
 */
export class LatencyHistogram {
  private readonly h = new HdrCounts();
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
    this.h.add(Math.round(v * 1000), count);
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
    return Math.min(this.maxMs, Math.max(this.minMs, this.h.valueAtPercentile(q * 100) / 1000));
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
