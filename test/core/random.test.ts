/** The seeded generator: reseeding and the cached lognormal parameters draw exactly what fresh generators draw. */
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/random.ts';

const draws = (rng: Rng) => [rng.next(), rng.normal(), rng.normal(), rng.normal(), rng.lognormal(800, 0.3), rng.exponential(2), rng.int(10)];

describe('Rng', () => {
  it('reseed(s) continues as new Rng(s) would start, whatever was drawn before (a spare normal included)', () => {
    const reused = new Rng(1);
    for (const seed of [0, 7, 0xffff_ffff, 2 ** 32 + 5, -3, 123.9]) {
      reused.normal(); // leaves a spare behind
      expect(draws(reused.reseed(seed))).toEqual(draws(new Rng(seed)));
    }
  });

  it('lognormal with changing cv draws exp(ln(mean) − σ²/2 + σ·z), σ² = ln(1 + cv²), as computed afresh each time', () => {
    const rng = new Rng(3);
    const normals = new Rng(3);
    for (const [mean, cv] of [
      [100, 0.5],
      [100, 0.5],
      [3, 0.2],
      [100, 0.5],
      [7, 1e-9],
      [9, 0.2],
    ] as const) {
      const sigma2 = Math.log(1 + cv * cv);
      expect(rng.lognormal(mean, cv)).toBe(Math.exp(Math.log(mean) - sigma2 / 2 + Math.sqrt(sigma2) * normals.normal()));
    }
  });

  it('a clone draws what the original draws next, a pending spare normal included', () => {
    const rng = new Rng(11);
    rng.normal();
    const copy = rng.clone();
    expect(draws(copy)).toEqual(draws(rng));
  });
});
