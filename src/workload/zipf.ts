/** Zipf popularity over a finite set: item k (0-based) has weight 1 / (k + 1)^s. */
import type { Rng } from '../core/random.ts';

/**
 * A sampler of ranks 0..n-1 with Zipf(s) popularity: the first rank whose cumulative probability
 * reaches a uniform draw, found through a guide table (Chen and Asau's: the first rank reaching
 * each of n equal steps of probability) and a short walk, in constant expected time.
 */
export class Zipf {
  private readonly cdf: Float64Array;
  /** guide[j]: the first rank whose cumulative probability reaches j / n. */
  private readonly guide: Int32Array;

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
    this.guide = new Int32Array(n);
    for (let j = 0, k = 0; j < n; j++) {
      while (k < n - 1 && this.cdf[k]! < j / n) k++;
      this.guide[j] = k;
    }
  }

  /** Probability of rank k. */
  p(k: number): number {
    return this.cdf[k]! - (k === 0 ? 0 : this.cdf[k - 1]!);
  }

  /**
   * One draw: the first rank k with cdf[k] ≥ u (the last rank if none), exactly the rank a binary
   * search over the cumulative table finds. The walk starts at the guide entry of u's step and
   * moves back while the rank before also reaches u (only if rounding put u·n in the next step),
   * then forward while the rank falls short.
   */
  sample(rng: Rng): number {
    const u = rng.next();
    const cdf = this.cdf;
    const last = this.n - 1;
    let k = this.guide[Math.min(last, Math.floor(u * this.n))]!;
    while (k > 0 && cdf[k - 1]! >= u) k--;
    while (k < last && cdf[k]! < u) k++;
    return k;
  }
}
