/**
 * The bucket's pruned similarity: either `cosine` to the bit, or -Infinity only when the exact
 * similarity is below what was needed; and it does prune on prompt-like vectors.
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/random.ts';
import { VectorBucket } from '../../src/strategies/vector-bucket.ts';
import { cosine } from '../../src/workload/prompt-space.ts';

function unit(rng: Rng, width: number): Float64Array {
  const v = new Float64Array(width);
  for (let k = 0; k < width; k++) v[k] = rng.normal();
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
}

/** `base` mixed with noise: similarity to it falls as `noise` grows. */
function near(base: Float64Array, noise: number, rng: Rng): Float64Array {
  const n = unit(rng, base.length);
  const v = base.map((x, k) => x + noise * n[k]!);
  const len = Math.hypot(...v);
  return v.map((x) => x / len);
}

describe('VectorBucket.similarity', () => {
  it('is cosine to the bit, or -Infinity only below the needed similarity', () => {
    for (const width of [64, 7, 1]) {
      const rng = new Rng(width);
      const topic = unit(rng, width);
      const b = new VectorBucket<number>(width);
      const vectors = Array.from({ length: 40 }, (_, i) => {
        const v = near(topic, 0.2 + rng.next() * 1.5, rng);
        b.add(i, 0, v);
        return v;
      });
      let pruned = 0;
      for (let t = 0; t < 300; t++) {
        const query = near(topic, 0.2 + rng.next() * 1.5, rng);
        const q = b.query(query);
        for (let i = 0; i < vectors.length; i++) {
          const exact = cosine(query, vectors[i]!);
          // thresholds around the exact value, down to its last bits, and anywhere
          for (const needed of [exact, exact + 1e-15, exact - 1e-15, exact + 1e-3, exact - 1e-3, rng.next() * 2 - 0.5, -Infinity]) {
            const s = b.similarity(q, i, needed);
            if (s === -Infinity) {
              pruned++;
              expect(exact).toBeLessThan(needed);
            } else expect(Object.is(s, exact)).toBe(true);
          }
        }
      }
      if (width === 64) expect(pruned).toBeGreaterThan(2_000);
    }
  });

  it('does not prune a tail whose squared components underflow', () => {
    // ‖q[2:]‖ summed as plain squares is 0 (1e-324 rounds to 0), yet q·v = 1.5e-8
    const q = new Float64Array([0, 1e-162, 1e-162, 1e-162]);
    const v = new Float64Array([5e153, 5e153, 5e153, 5e153]);
    const b = new VectorBucket<number>(4);
    b.add(0, 0, v);
    expect(b.similarity(b.query(q), 0, 1.2e-8)).toBe(cosine(q, v));
  });

  it('keeps vectors, norms and store times in step through deletes', () => {
    const rng = new Rng(3);
    const b = new VectorBucket<string>(16);
    const kept = new Map<string, Float64Array>();
    for (let i = 0; i < 60; i++) {
      const v = unit(rng, 16);
      b.add(`n${i}`, i, v);
      kept.set(`n${i}`, v);
      if (i % 3 === 2) {
        const victim = `n${rng.int(i + 1)}`;
        b.delete(victim);
        kept.delete(victim);
      }
    }
    expect(b.nodes).toEqual([...kept.keys()]);
    expect(b.storedAt).toEqual([...kept.keys()].map((k) => Number(k.slice(1))));
    const query = unit(rng, 16);
    const q = b.query(query);
    b.nodes.forEach((node, i) => expect(b.similarity(q, i, -Infinity)).toBe(cosine(query, kept.get(node)!)));
    expect(() => b.query(new Float64Array(8))).toThrow(/a query of 8 numbers against vectors of 16/);
    expect(() => b.add('bad', 0, new Float64Array(3))).toThrow(/holds vectors of 16 numbers, not 3/);
  });
});
