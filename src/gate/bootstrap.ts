/**
 * The noise model of the gate: a seeded percentile bootstrap of the change in the mean between
 * the baseline's replicates and the candidate's, as a ratio of means and as a difference.
 * Seeded by the caller's `Rng`, so a gate report is the same every time it is computed.
 * Means and the normal CDF come from simple-statistics; the type-7 quantile (which it lacks) from
 * core/quantile.ts; Student's t quantile (which it lacks too) from core/student-t.ts.
 */
import { errorFunction } from 'simple-statistics';
import { quantileSorted } from '../core/quantile.ts';
import type { Rng } from '../core/random.ts';
import { studentTQuantile } from '../core/student-t.ts';

/** A closed interval `[lo, hi]`. */
interface Interval {
  lo: number;
  hi: number;
}

/** Bootstrap intervals of the change from baseline to candidate. */
export interface ChangeIntervals {
  /** mean(candidate) / mean(baseline) − 1. */
  relative: Interval;
  /** mean(candidate) − mean(baseline), in the metric's unit. */
  absolute: Interval;
}

/**
 * Relative change `candidate / baseline − 1`. A zero baseline gives 0 when the candidate is zero
 * too and ±Infinity otherwise (any rise from nothing is unboundedly large in relative terms).
 */
export function relativeChange(baselineMean: number, candidateMean: number): number {
  if (baselineMean === 0) return candidateMean === 0 ? 0 : candidateMean > 0 ? Infinity : -Infinity;
  return candidateMean / baselineMean - 1;
}

/** Options of one bootstrap. */
export interface BootstrapOptions {
  /** Two-sided confidence level, e.g. 0.95. */
  confidence: number;
  resamples: number;
  rng: Rng;
  /**
   * Resample (baseline, candidate) pairs jointly by index. Use when both sides ran the same
   * seeds: the common random numbers then cancel, and the interval reflects the change alone.
   * Requires equal lengths.
   */
  paired: boolean;
}

/**
 * Expanded-percentile-bootstrap intervals (Hesterberg 2015) of the change in mean from
 * `baseline` to `candidate` (each at least one value). Unpaired: each side is resampled with
 * replacement on its own. The tails are widened for small samples (see `expandedTailProbability`).
 */
export function bootstrapChange(baseline: readonly number[], candidate: readonly number[], options: BootstrapOptions): ChangeIntervals {
  const { resamples, rng, paired } = options;
  const nb = baseline.length;
  const nc = candidate.length;
  if (nb === 0 || nc === 0) throw new Error('bootstrapChange needs at least one value on each side');
  if (paired && nb !== nc) throw new Error('a paired bootstrap needs as many candidate values as baseline values');
  const ratios = new Float64Array(resamples);
  const diffs = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    let sb = 0;
    let sc = 0;
    if (paired) {
      for (let k = 0; k < nb; k++) {
        const i = rng.int(nb);
        sb += baseline[i]!;
        sc += candidate[i]!;
      }
    } else {
      for (let k = 0; k < nb; k++) sb += baseline[rng.int(nb)]!;
      for (let k = 0; k < nc; k++) sc += candidate[rng.int(nc)]!;
    }
    const mb = sb / nb;
    const mc = sc / nc;
    ratios[r] = relativeChange(mb, mc);
    diffs[r] = mc - mb;
  }
  ratios.sort();
  diffs.sort();
  const alpha = expandedTailProbability(options.confidence, Math.min(nb, nc));
  return {
    relative: { lo: quantileSorted(ratios, alpha), hi: quantileSorted(ratios, 1 - alpha) },
    absolute: { lo: quantileSorted(diffs, alpha), hi: quantileSorted(diffs, 1 - alpha) },
  };
}

/**
 * The tail probability to read off a bootstrap distribution of a mean of `n` values so that a
 * two-sided `confidence` interval has about its nominal coverage. The plain percentile bootstrap
 * is too narrow for few values (it has no t-like tails, and resampling shrinks the spread by
 * √((n−1)/n)): on A/A runs of 5 seeds its 95% intervals missed on one side 8–12% of the time,
 * not 2.5%. Hesterberg's expanded percentile interval uses the tail α′/2 = Φ(−√(n/(n−1)) ·
 * t(1−α/2, n−1)) instead of α/2 — about 0.1% for n = 5 at 95%. `n < 2` falls back to α/2.
 */
export function expandedTailProbability(confidence: number, n: number): number {
  const alpha = 1 - confidence;
  if (n < 2) return alpha / 2;
  const z = Math.sqrt(n / (n - 1)) * studentTQuantile(1 - alpha / 2, n - 1);
  return normalCdf(-z);
}

/**
 * Standard normal CDF Φ(x), from simple-statistics' error function (Numerical Recipes' Chebyshev
 * fit of erfc, relative error < 1.2e-7: the same fit this file carried by hand before).
 */
export function normalCdf(x: number): number {
  return 0.5 * (1 - errorFunction(-x / Math.SQRT2));
}
