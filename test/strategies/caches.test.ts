/** The four caches on hand-made request sequences: exact counts of hits, misses, false and stale hits. */
import { describe, expect, it } from 'vitest';
import { callCostUsd } from '../../src/provider/pricing.ts';
import { PRESET_MODELS } from '../../src/provider/catalog.ts';
import type { CacheInput } from '../../src/scenario/schema.ts';
import { CacheSchema } from '../../src/scenario/schema.ts';
import { Rng } from '../../src/core/random.ts';
import { judgeAnswer } from '../../src/provider/quality.ts';
import { cachedAnswerCorrect } from '../../src/strategies/caches.ts';
import { drive, sequential, simulate, tinyScenario } from './harness.ts';

const mini = PRESET_MODELS['gpt-4o-mini']!.pricing;
const cache = (c: CacheInput) => CacheSchema.parse(c);

describe('exact cache', () => {
  it('one prompt asked N times in sequence: 1 miss, N − 1 hits; hits cost no tokens', async () => {
    const run = await drive(tinyScenario(), sequential(10, 60_000), { strategies: { caches: [cache({ type: 'exact', step: 'answer' })] } });
    const stats = run.agent.cacheStats()['exact:answer']!;
    expect(stats).toMatchObject({ lookups: 10, hits: 9, misses: 1, hitRate: 0.9, falseHits: 0, precision: 1, evictions: 0 });
    const paid = run.rows.filter((r) => r.cache === null);
    const hits = run.rows.filter((r) => r.cache === 'exact');
    expect(paid).toHaveLength(1);
    expect(hits).toHaveLength(9);
    for (const h of hits) expect(h).toMatchObject({ inputTokens: 0, cachedInputTokens: 0, costUsd: 0, outcome: 'cache_hit', latencyMs: 2 });
    const callCost = callCostUsd(mini, { inputTokens: 100, cachedInputTokens: 0, outputTokens: 50 });
    expect(paid[0]!.costUsd).toBeCloseTo(callCost, 15);
    expect(run.ledger.total.costUsd).toBeCloseTo(callCost, 15);
    // what the hits saved: nine times the call
    expect(stats.savedUsd).toBeCloseTo(9 * callCost, 15);
    // a hit's answer is the stored one: same output tokens, same correctness
    expect(run.outcomes.every((o) => o.ok && o.correct)).toBe(true);
  });

  it('an entry expires ttlS after it was written: the next request misses', async () => {
    // written at ~1 s (when the first call ends); 50 s: hit; 200 s: expired → miss, rewritten; 250 s: hit
    const run = await drive(
      tinyScenario(),
      [0, 50_000, 200_000, 250_000].map((atMs) => ({ atMs })),
      {
        strategies: { caches: [cache({ type: 'exact', step: 'answer', ttlS: 100 })] },
      },
    );
    expect(run.rows.map((r) => r.cache ?? 'call')).toEqual(['call', 'exact', 'call', 'exact']);
    expect(run.agent.cacheStats()['exact:answer']).toMatchObject({ hits: 2, misses: 2 });
  });

  it('LRU with capacity 1 and two alternating prompts: every lookup misses, every write evicts', async () => {
    const plans = Array.from({ length: 8 }, (_, i) => ({ atMs: i * 60_000, intent: i % 2 }));
    const run = await drive(tinyScenario(), plans, { strategies: { caches: [cache({ type: 'exact', step: 'answer', capacity: 1 })] } });
    expect(run.agent.cacheStats()['exact:answer']).toMatchObject({ lookups: 8, hits: 0, misses: 8, evictions: 7 });
  });

  it('LRU with capacity 2 and the same two prompts: only the first two miss', async () => {
    const plans = Array.from({ length: 8 }, (_, i) => ({ atMs: i * 60_000, intent: i % 2 }));
    const run = await drive(tinyScenario(), plans, { strategies: { caches: [cache({ type: 'exact', step: 'answer', capacity: 2 })] } });
    expect(run.agent.cacheStats()['exact:answer']).toMatchObject({ hits: 6, misses: 2, evictions: 0 });
  });

  it('different wordings of one intent are different exact keys', async () => {
    const plans = [0, 1, 2, 3, 0, 1].map((p, i) => ({ atMs: i * 60_000, paraphrase: p }));
    const run = await drive(tinyScenario(), plans, { strategies: { caches: [cache({ type: 'exact', step: 'answer' })] } });
    expect(run.agent.cacheStats()['exact:answer']).toMatchObject({ hits: 2, misses: 4 });
  });
});

describe('semantic cache', () => {
  const semantic = (threshold: number) => [cache({ type: 'semantic', step: 'answer', threshold })];

  it('serves another intent’s answer below a low threshold: a false hit, counted, and the answer is wrong', async () => {
    // intents 0 and 1 share topic 0; the first answer is correct (difficulty 0 on gpt-4o-mini)
    const run = await drive(
      tinyScenario(),
      [
        { atMs: 0, intent: 0 },
        { atMs: 60_000, intent: 1 },
        { atMs: 120_000, intent: 0, paraphrase: 1 },
      ],
      {
        strategies: { caches: semantic(0.3) },
      },
    );
    const stats = run.agent.cacheStats()['semantic:answer']!;
    expect(stats).toMatchObject({ lookups: 3, hits: 2, misses: 1, falseHits: 1, precision: 0.5 });
    expect(run.outcomes.map((o) => o.correct)).toEqual([true, false, true]);
    // every lookup embeds the prompt (paid): 3 embedding rows, 1 chat call, 2 hits
    expect(run.rows.filter((r) => r.kind === 'embedding' && r.costUsd > 0)).toHaveLength(3);
    expect(run.rows.filter((r) => r.cache === 'semantic')).toHaveLength(2);
  });

  it('precision = (hits − falseHits) / hits, and a higher threshold gives fewer false hits over a day', async () => {
    const loaded = tinyScenario({
      traffic: { requestsPerDay: 4000 },
      requestMix: [{ name: 'faq', share: 1, inputTokens: 100, outputTokens: 50, difficulty: 0.2, intents: 200, paraphrases: 4, intentsPerTopic: 5, zipf: 1 }],
    });
    const low = (await simulate(loaded, { caches: semantic(0.6) })).caches['semantic:answer']!;
    const high = (await simulate(loaded, { caches: semantic(0.9) })).caches['semantic:answer']!;
    for (const s of [low, high]) {
      expect(s.precision).toBeCloseTo((s.hits - s.falseHits) / s.hits, 12);
      expect(s.hits + s.misses).toBe(s.lookups);
      expect(s.lookups).toBe(4000);
    }
    expect(low.falseHits).toBeGreaterThan(0);
    expect(high.falseHits).toBeLessThan(low.falseHits);
    expect(high.precision).toBeGreaterThan(low.precision);
  });
});

describe('tool cache', () => {
  const toolScenario = (changesPerHour: number) =>
    tinyScenario({
      workflow: [
        { type: 'tool', name: 'lookup', latencyMs: 100, costUsd: 0.001, changesPerHour, staleImpact: 1 },
        { type: 'llm', name: 'answer', model: 'routed' },
      ],
    });
  const toolCache = [cache({ type: 'tool', step: 'lookup', ttlS: 3600 })];

  it('a source that changes often behind a long TTL gives stale hits, and stale answers are wrong (staleImpact 1)', async () => {
    // the source changes 60 times an hour: 10 minutes later the stored value is stale
    const run = await drive(toolScenario(60), sequential(5, 600_000), { strategies: { caches: toolCache } });
    expect(run.agent.cacheStats()['tool:lookup']).toMatchObject({ hits: 4, misses: 1, staleHits: 4, staleRate: 1 });
    expect(run.outcomes.map((o) => o.correct)).toEqual([true, false, false, false, false]);
    // the tool was paid once
    expect(run.ledger.byStep.get('lookup')!.costUsd).toBeCloseTo(0.001, 15);
  });

  it('a source that never changes gives no stale hits', async () => {
    const run = await drive(toolScenario(0), sequential(5, 600_000), { strategies: { caches: toolCache } });
    expect(run.agent.cacheStats()['tool:lookup']).toMatchObject({ hits: 4, misses: 1, staleHits: 0, staleRate: 0 });
    expect(run.outcomes.every((o) => o.correct)).toBe(true);
  });
});

describe('embedding cache', () => {
  it('chunks hit once embedded: misses = distinct chunks, only missed tokens are paid', async () => {
    const loaded = tinyScenario({
      workflow: [
        { type: 'embedding', name: 'embed-chunks', input: 'chunks', chunks: { perRequest: 3, tokens: 100, corpus: 5, zipf: 0 } },
        { type: 'llm', name: 'answer', model: 'routed' },
      ],
    });
    const run = await drive(loaded, sequential(20, 60_000), { strategies: { caches: [cache({ type: 'embedding', step: 'embed-chunks' })] } });
    const stats = run.agent.cacheStats()['embedding:embed-chunks']!;
    expect(stats.lookups).toBe(60);
    expect(stats.misses).toBe(5);
    expect(stats.hits).toBe(55);
    const embedded = run.rows.filter((r) => r.step === 'embed-chunks' && r.cache === null);
    expect(embedded.reduce((s, r) => s + r.inputTokens, 0)).toBe(500);
    const price = PRESET_MODELS['text-embedding-3-small']!.pricing.inputPer1M;
    expect(run.ledger.byStep.get('embed-chunks')!.costUsd).toBeCloseTo((500 * price) / 1e6, 15);
  });
});

describe('the quality of a cache hit (cachedAnswerCorrect)', () => {
  const facts = { falseHit: false, stale: false, staleImpact: 0.5, capability: 0.5, difficulty: 0.5, seed: 12345, rng: new Rng(1) };
  // P(correct) = σ(10 · (0.5 − 0.5)) = 0.5: the verdict is the first draw of Rng(seed) against 0.5
  const fresh = new Rng(12345).next() < 0.5;

  it('a true, fresh hit is judged as its model answering this request: exactly judgeAnswer', () => {
    expect(judgeAnswer(0.5, 0.5, 12345).correct).toBe(fresh);
    expect(cachedAnswerCorrect({ ...facts, rng: new Rng(1) })).toBe(fresh);
    // a sure answer stays sure, a hopeless one hopeless
    expect(cachedAnswerCorrect({ ...facts, capability: 1, difficulty: 0, rng: new Rng(1) })).toBe(true);
    expect(cachedAnswerCorrect({ ...facts, capability: 0, difficulty: 1, rng: new Rng(1) })).toBe(false);
  });

  it('a false hit is wrong, whatever the model', () => {
    expect(cachedAnswerCorrect({ ...facts, falseHit: true, capability: 1, difficulty: 0, rng: new Rng(1) })).toBe(false);
  });

  it('a stale hit is wrong with probability staleImpact (one draw of the step generator)', () => {
    const sure = { ...facts, capability: 1, difficulty: 0, stale: true };
    expect(cachedAnswerCorrect({ ...sure, staleImpact: 1, rng: new Rng(1) })).toBe(false);
    expect(cachedAnswerCorrect({ ...sure, staleImpact: 0, rng: new Rng(1) })).toBe(true);
    // impact 0.3: wrong exactly when the step generator's next draw is below 0.3
    let wrong = 0;
    for (let s = 0; s < 1000; s++) {
      const expected = new Rng(s).next() < 0.3;
      const got = !cachedAnswerCorrect({ ...sure, staleImpact: 0.3, rng: new Rng(s) });
      expect(got).toBe(expected);
      if (got) wrong++;
    }
    expect(wrong / 1000).toBeGreaterThan(0.25);
    expect(wrong / 1000).toBeLessThan(0.35);
  });
});

describe('caches in front of changing tool data', () => {
  // difficulty 0 on gpt-4o-mini: every fresh answer is right, so any wrong one is the cache's doing
  const changing = (changesPerHour: number, staleImpact: number) =>
    tinyScenario({
      workflow: [
        { type: 'tool', name: 'lookup', latencyMs: 100, costUsd: 0.001, changesPerHour, staleImpact },
        { type: 'llm', name: 'answer', model: 'routed' },
      ],
    });
  const exactDay = [cache({ type: 'exact', step: 'answer', ttlS: 86_400 })];

  it('an exact answer cached for a day over data that changes 60 times an hour: every later hit is stale, and wrong at staleImpact 1', async () => {
    // hits 10 minutes apart: the data (changing every minute on average) changed long before each
    const run = await drive(changing(60, 1), sequential(5, 600_000), { strategies: { caches: exactDay } });
    expect(run.agent.cacheStats()['exact:answer']).toMatchObject({ hits: 4, misses: 1, staleHits: 4, staleRate: 1 });
    // hand-computed: 1 right (the fresh answer), 4 wrong (stale, impact 1): quality 1/5
    expect(run.outcomes.map((o) => o.correct)).toEqual([true, false, false, false, false]);
  });

  it('the same cache over data that never changes: no stale hits, quality untouched', async () => {
    const run = await drive(changing(0, 1), sequential(5, 600_000), { strategies: { caches: exactDay } });
    expect(run.agent.cacheStats()['exact:answer']).toMatchObject({ hits: 4, staleHits: 0 });
    expect(run.outcomes.every((o) => o.correct)).toBe(true);
  });

  it('stale at impact 0 is counted but costs nothing', async () => {
    const run = await drive(changing(60, 0), sequential(5, 600_000), { strategies: { caches: exactDay } });
    expect(run.agent.cacheStats()['exact:answer']).toMatchObject({ hits: 4, staleHits: 4 });
    expect(run.outcomes.every((o) => o.correct)).toBe(true);
  });

  it('a semantic cache without false or stale hits gives exactly the quality of no cache, request by request', async () => {
    // a day of a popular FAQ at difficulty where gpt-4o-mini is right about half the time
    const loaded = tinyScenario({
      traffic: { requestsPerDay: 3000 },
      requestMix: [{ name: 'faq', share: 1, inputTokens: 100, outputTokens: 50, difficulty: 0.55, intents: 50, paraphrases: 4, intentsPerTopic: 1, zipf: 1.1 }],
    });
    const none = await simulate(loaded, { caches: [] });
    const semantic = await simulate(loaded, { caches: [cache({ type: 'semantic', step: 'answer', threshold: 0.9 })] });
    const stats = semantic.caches['semantic:answer']!;
    expect(stats.hits).toBeGreaterThan(1000);
    expect(stats.falseHits).toBe(0);
    expect(stats.staleHits).toBe(0);
    expect(semantic.quality).toEqual(none.quality);
    expect(none.quality.share).toBeGreaterThan(0.2);
    expect(none.quality.share).toBeLessThan(0.8);
  });
});
