/** Zipf popularity over a finite set: item k (0-based) has weight 1 / (k + 1)^s. */
import type { Rng } from '../core/random.ts';

/** A sampler of ranks 0..n-1 with Zipf(s) popularity (binary search over the cumulative table). */
export class Zipf {
  private readonly cdf: Float64Array;

  constructor(
    readonly n: number,
    readonly s: number,
  ) {
    this.cdf = new Float64Array(n);
    let total = 0;
    for (let k = 0; k < n; k++) {
      total += 1 / Math.pow(k + 1, s);
      this.cdf[k] = total;
    }
    for (let k = 0; k < n; k++) this.cdf[k]! /= total;
  }

  /** Probability of rank k. */
  p(k: number): number {
    return this.cdf[k]! - (k === 0 ? 0 : this.cdf[k - 1]!);
  }

  /** One draw. */
  sample(rng: Rng): number {
    const u = rng.next();
    let lo = 0;
    let hi = this.n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.cdf[mid]! < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
