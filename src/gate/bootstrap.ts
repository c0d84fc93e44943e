/**
 * The noise model of the gate: a seeded percentile bootstrap of the change in the mean between
 * the baseline's replicates and the candidate's, as a ratio of means and as a difference.
 * Seeded by the caller's `Rng`, so a gate report is the same every time it is computed.
 */
import type { Rng } from '../random.ts';

/** A closed interval `[lo, hi]`. */
export interface Interval {
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

/** Arithmetic mean; NaN for no values. */
export function mean(values: readonly number[]): number {
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}

/**
 * Relative change `candidate / baseline − 1`. A zero baseline gives 0 when the candidate is zero
 * too and ±Infinity otherwise (any rise from nothing is unboundedly large in relative terms).
 */
export function relativeChange(baselineMean: number, candidateMean: number): number {
  if (baselineMean === 0) return candidateMean === 0 ? 0 : candidateMean > 0 ? Infinity : -Infinity;
  return candidateMean / baselineMean - 1;
}

/**
 * The q-quantile (0 ≤ q ≤ 1) of ascending `sorted` values, interpolating linearly between
 * order statistics (Hyndman & Fan type 7, the default of R and NumPy).
 */
export function quantileSorted(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const h = (sorted.length - 1) * q;
  const i = Math.floor(h);
  const lo = sorted[i]!;
  const hi = sorted[Math.min(i + 1, sorted.length - 1)]!;
  // equal neighbours (including two infinities) need no interpolation, and Inf − Inf would be NaN
  return lo === hi ? lo : lo + (hi - lo) * (h - i);
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
 * Percentile-bootstrap intervals of the change in mean from `baseline` to `candidate` (each at
 * least one value). Unpaired: each side is resampled with replacement on its own.
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
  const alpha = (1 - options.confidence) / 2;
  const sortedRatios = Array.from(ratios);
  const sortedDiffs = Array.from(diffs);
  return {
    relative: { lo: quantileSorted(sortedRatios, alpha), hi: quantileSorted(sortedRatios, 1 - alpha) },
    absolute: { lo: quantileSorted(sortedDiffs, alpha), hi: quantileSorted(sortedDiffs, 1 - alpha) },
  };
}
