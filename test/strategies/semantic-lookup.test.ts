/**
 * The semantic cache's lookup on the in-memory store (visited in place; with the bucket's vectors
 * packed, as a semantic cache's memory store keeps them, and without) against the same lookup
 * through the generic store contract (`scan`, then `get` to refresh the winner), as a Redis store
 * is read: the same entry, the same similarity, the same expiries and the same LRU order after.
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/random.ts';
import { CacheSchema } from '../../src/scenario/schema.ts';
import { MemoryStore, type CacheStore } from '../../src/strategies/cache-store.ts';
import { nearestAnswer, StepCache, storedVector, type AnswerValue } from '../../src/strategies/caches.ts';

const spec = CacheSchema.parse({ type: 'semantic', step: 'answer', threshold: 0.5, capacity: 12, ttlS: 100 });

/** The memory store behind the plain contract only (not `instanceof MemoryStore`): the generic path. */
function contractOnly(store: MemoryStore<AnswerValue>): CacheStore<AnswerValue> {
  return {
    get: (key, nowMs) => store.get(key, nowMs),
    set: (key, value, nowMs, bucket) => store.set(key, value, nowMs, bucket),
    scan: (bucket, nowMs) => store.scan(bucket, nowMs),
    clear: () => store.clear(),
  };
}

function unit(rng: Rng): Float64Array {
  const v = new Float64Array(64);
  let s = 0;
  for (let k = 0; k < 64; k++) s += (v[k] = rng.normal()) ** 2;
  for (let k = 0; k < 64; k++) v[k]! /= Math.sqrt(s);
  return v;
}

/** A query near `base`: similarity to it falls as `noise` grows. */
function near(base: Float64Array, noise: number, rng: Rng): Float64Array {
  const n = unit(rng);
  const v = base.map((x, k) => x + noise * n[k]!);
  const len = Math.hypot(...v);
  return v.map((x) => x / len);
}

const answer = (model: string, vector: ArrayLike<number>): AnswerValue => ({
  model,
  outputTokens: 10,
  correct: true,
  intentKey: model,
  costUsd: 0.001,
  dataChangesAtMs: null,
  staleImpact: 0,
  vector,
});

describe('semantic lookup on the memory store', () => {
  it('finds what the generic scan finds, with the same expiries, ties and LRU refreshes', async () => {
    const rng = new Rng(7);
    const packed = new StepCache<AnswerValue>(spec, new MemoryStore<AnswerValue>(spec, (v) => v.vector));
    const fast = new StepCache<AnswerValue>(spec, new MemoryStore(spec));
    const slowStore = new MemoryStore<AnswerValue>(spec);
    const slow = new StepCache<AnswerValue>(spec, contractOnly(slowStore));
    expect(fast.store).toBeInstanceOf(MemoryStore);
    expect((packed.store as MemoryStore<AnswerValue>).indexesVectors).toBe(true);
    expect((fast.store as MemoryStore<AnswerValue>).indexesVectors).toBe(false);
    const bases = Array.from({ length: 6 }, () => unit(rng));
    let now = 0;
    for (let i = 0; i < 400; i++) {
      now += 1_000 + Math.floor(rng.next() * 20_000); // entries expire after 100 s
      const bucket = `b${rng.int(2)}`;
      const query = near(bases[rng.int(bases.length)]!, rng.next() * 1.5, rng);
      const [a, b, p] = [
        await nearestAnswer(fast, query, bucket, now),
        await nearestAnswer(slow, query, bucket, now),
        await nearestAnswer(packed, query, bucket, now),
      ];
      expect(a?.key).toBe(b?.key);
      expect(a?.similarity).toBe(b?.similarity);
      expect(p?.key).toBe(b?.key);
      expect(p?.similarity).toBe(b?.similarity);
      if (a === undefined) {
        // a miss is stored; every few, twice under two keys (an exact tie: the older one must win)
        const v = storedVector(fast, query);
        expect(v).toBe(query);
        const copies = i % 5 === 0 ? 2 : 1;
        for (let c = 0; c < copies; c++) {
          await fast.set(`k${i}.${c}`, answer(`m${i}.${c}`, v), now, bucket);
          await packed.set(`k${i}.${c}`, answer(`m${i}.${c}`, v), now, bucket);
          await slow.set(`k${i}.${c}`, answer(`m${i}.${c}`, Array.from(query)), now, bucket);
        }
      }
    }
    // the same entries survived expiry and capacity, in the same LRU order
    const order = (s: MemoryStore<AnswerValue>) => ['b0', 'b1'].flatMap((b) => s.scanSync(b, now).map((e) => e.key));
    expect(order(fast.store as MemoryStore<AnswerValue>)).toEqual(order(slowStore));
    expect(order(packed.store as MemoryStore<AnswerValue>)).toEqual(order(slowStore));
    expect(fast.counter.stats.evictions).toBe(slow.counter.stats.evictions);
    expect(packed.counter.stats.evictions).toBe(slow.counter.stats.evictions);
    expect(fast.counter.stats.evictions).toBeGreaterThan(0);
  });
});
