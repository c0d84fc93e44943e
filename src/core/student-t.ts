/**
 * Student's t quantile, which simple-statistics lacks: the gate's expanded tails and the compare
 * page's noise bands both read it.
 */

/**
 * P(|T| ≤ t) for Student's t with integer `df` degrees of freedom, in closed form
 * (Abramowitz & Stegun 26.7.3–4).
 */
function studentTTwoSided(t: number, df: number): number {
  const theta = Math.atan(t / Math.sqrt(df));
  const c2 = Math.cos(theta) ** 2;
  const s = Math.sin(theta);
  if (df % 2 === 0) {
    let term = 1;
    let sum = 1;
    for (let k = 2; k <= df - 2; k += 2) {
      term *= ((k - 1) / k) * c2;
      sum += term;
    }
    return s * sum;
  }
  if (df === 1) return (2 / Math.PI) * theta;
  let term = Math.cos(theta);
  let sum = term;
  for (let k = 3; k <= df - 2; k += 2) {
    term *= ((k - 1) / k) * c2;
    sum += term;
  }
  return (2 / Math.PI) * (theta + s * sum);
}

/** The p-quantile (p > 0.5) of Student's t with integer `df`, by bisection on the closed-form CDF. */
export function studentTQuantile(p: number, df: number): number {
  const target = 2 * p - 1;
  let lo = 0;
  let hi = 1;
  while (studentTTwoSided(hi, df) < target) hi *= 2;
  for (let i = 0; i < 200 && hi - lo > 1e-12 * hi; i++) {
    const mid = (lo + hi) / 2;
    if (studentTTwoSided(mid, df) < target) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}
