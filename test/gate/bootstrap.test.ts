import { describe, expect, it } from 'vitest';
import { quantileSorted } from '../../src/core/quantile.ts';
import { studentTQuantile } from '../../src/core/student-t.ts';
import { bootstrapChange, expandedTailProbability, normalCdf, relativeChange } from '../../src/gate/bootstrap.ts';
import { Rng } from '../../src/core/random.ts';

const options = (paired = false) => ({ confidence: 0.95, resamples: 4000, rng: new Rng(1), paired });

describe('quantileSorted', () => {
  it('interpolates between order statistics (type 7, as R and NumPy)', () => {
    const xs = [1, 2, 3, 4];
    expect(quantileSorted(xs, 0)).toBe(1);
    expect(quantileSorted(xs, 0.25)).toBe(1.75);
    expect(quantileSorted(xs, 0.5)).toBe(2.5);
    expect(quantileSorted(xs, 1)).toBe(4);
    expect(quantileSorted([10, 20, 30, 40, 50], 0.9)).toBe(46);
  });
  it('returns an infinite value unchanged rather than NaN', () => {
    expect(quantileSorted([1, Infinity, Infinity], 0.9)).toBe(Infinity);
  });
});

describe('relativeChange', () => {
  it('is the ratio of means minus one', () => {
    expect(relativeChange(200, 250)).toBe(0.25);
  });
  it('is 0 from zero to zero and +Infinity from zero to more', () => {
    expect(relativeChange(0, 0)).toBe(0);
    expect(relativeChange(0, 0.01)).toBe(Infinity);
  });
});

describe('bootstrapChange', () => {
  it('gives a point interval when neither side varies', () => {
    const ci = bootstrapChange([10, 10, 10], [12, 12, 12, 12], options());
    expect(ci.relative.lo).toBeCloseTo(0.2, 12);
    expect(ci.relative.hi).toBeCloseTo(0.2, 12);
    expect(ci.absolute).toEqual({ lo: 2, hi: 2 });
  });
  it('matches the exact bootstrap distribution of a two-point sample', () => {
    // baseline means of resamples of [0, 1]: 0 (¼), ½ (½), 1 (¼); candidate is always 1,
    // so the difference is 1, ½ or 0 and its 2.5% and 97.5% quantiles are exactly 0 and 1.
    const ci = bootstrapChange([0, 1], [1, 1], options());
    expect(ci.absolute).toEqual({ lo: 0, hi: 1 });
  });
  it('sees through seed noise shared by paired replicates', () => {
    const baseline = [100, 130, 90, 120, 110];
    const candidate = baseline.map((v) => v * 1.1);
    const paired = bootstrapChange(baseline, candidate, options(true));
    expect(paired.relative.lo).toBeCloseTo(0.1, 12);
    expect(paired.relative.hi).toBeCloseTo(0.1, 12);
    const unpaired = bootstrapChange(baseline, candidate, options(false));
    expect(unpaired.relative.lo).toBeLessThan(0);
    expect(unpaired.relative.hi).toBeGreaterThan(0.2);
  });
  it('gives the same interval for the same seed', () => {
    const a = bootstrapChange([1, 3, 2, 5], [2, 4, 3, 3], { ...options(), rng: new Rng(9) });
    const b = bootstrapChange([1, 3, 2, 5], [2, 4, 3, 3], { ...options(), rng: new Rng(9) });
    expect(a).toEqual(b);
  });
});

describe('interval tails', () => {
  it('computes Student t quantiles (known table values)', () => {
    expect(studentTQuantile(0.975, 1)).toBeCloseTo(12.7062047, 5);
    expect(studentTQuantile(0.975, 4)).toBeCloseTo(2.7764451, 6);
    expect(studentTQuantile(0.975, 9)).toBeCloseTo(2.2621572, 6);
    expect(studentTQuantile(0.95, 30)).toBeCloseTo(1.6972609, 6);
  });
  it('computes the normal CDF (known values)', () => {
    expect(normalCdf(0)).toBeCloseTo(0.5, 7);
    expect(normalCdf(-1.959964)).toBeCloseTo(0.025, 6);
    expect(normalCdf(1)).toBeCloseTo(0.8413447, 6);
  });
  it('widens the tails for few values: Φ(−√(5/4)·t(0.975, 4)) at 5 seeds', () => {
    expect(expandedTailProbability(0.95, 5)).toBeCloseTo(0.000955, 5);
    expect(expandedTailProbability(0.95, 1000)).toBeCloseTo(0.025, 3);
  });
});
