/** Distributions a scenario uses for token lengths, difficulties and tool latencies. */
import type { Rng } from '../core/random.ts';

/** A distribution as written in a scenario; a bare number means a constant. */
export type Dist =
  | number
  | { dist: 'constant'; value: number }
  | { dist: 'uniform'; min: number; max: number }
  | { dist: 'normal'; mean: number; sd: number; min?: number }
  | { dist: 'exponential'; mean: number }
  | { dist: 'lognormal'; mean: number; cv: number }
  | { dist: 'empirical'; p: number[]; values: number[] };

/** Always `value`. */
export const constant = (value: number): Dist => ({ dist: 'constant', value });
/** Uniform on [min, max]. */
export const uniform = (min: number, max: number): Dist => ({ dist: 'uniform', min, max });
/** Normal, cut at `min` (default 0). */
export const normal = (mean: number, sd: number, min = 0): Dist => ({ dist: 'normal', mean, sd, min });
/** Exponential with the given mean. */
export const exponential = (mean: number): Dist => ({ dist: 'exponential', mean });
/** Lognormal with the given mean and coefficient of variation (sd / mean). */
export const lognormal = (mean: number, cv: number): Dist => ({ dist: 'lognormal', mean, cv });

/**
 * Empirical quantiles: `values[k]` is the quantile at probability `p[k]` (p from 0 to 1,
 * increasing); draws interpolate linearly between knots (what `bench trace fit` writes).
 */
export const empirical = (p: number[], values: number[]): Dist => ({ dist: 'empirical', p, values });

/** One draw. */
export function sample(d: Dist, rng: Rng): number {
  if (typeof d === 'number') return d;
  switch (d.dist) {
    case 'constant':
      return d.value;
    case 'uniform':
      return d.min + (d.max - d.min) * rng.next();
    case 'normal':
      return Math.max(d.min ?? 0, d.mean + d.sd * rng.normal());
    case 'exponential':
      return rng.exponential(d.mean);
    case 'lognormal':
      return rng.lognormal(d.mean, d.cv);
    case 'empirical':
      return empiricalQuantile(d.p, d.values, rng.next());
  }
}

/** The piecewise-linear quantile at probability `u`. */
function empiricalQuantile(p: number[], values: number[], u: number): number {
  let k = 1;
  while (k < p.length - 1 && u > p[k]!) k++;
  const w = p[k]! - p[k - 1]!;
  return w > 0 ? values[k - 1]! + ((values[k]! - values[k - 1]!) * (u - p[k - 1]!)) / w : values[k]!;
}

/** A draw rounded to a whole token count of at least `min`. */
export function sampleTokens(d: Dist, rng: Rng, min = 1): number {
  return Math.max(min, Math.round(sample(d, rng)));
}
