/**
 * The one quantile of sorted data the harness uses (gate intervals, trace token summaries).
 * simple-statistics' `quantileSorted` picks an order statistic (no interpolation), which moves
 * the gate's bootstrap intervals, so this one stays written out.
 */

/**
 * The q-quantile (0 ≤ q ≤ 1) of ascending `sorted` values, interpolating linearly between
 * order statistics (Hyndman & Fan type 7, the default of R and NumPy); NaN for no values.
 */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return NaN;
  const h = (sorted.length - 1) * q;
  const i = Math.floor(h);
  const lo = sorted[i]!;
  const hi = sorted[Math.min(i + 1, sorted.length - 1)]!;
  // equal neighbours (including two infinities) need no interpolation, and Inf − Inf would be NaN
  return lo === hi ? lo : lo + (hi - lo) * (h - i);
}
