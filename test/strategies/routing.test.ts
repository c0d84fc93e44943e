/** Routing: cascades pay both calls in sequence, routers route exactly, fallback retries, rate limits. */
import { describe, expect, it } from 'vitest';
import { PRESET_MODELS } from '../../src/provider/catalog.ts';
import { callCostUsd } from '../../src/provider/pricing.ts';
import { RoutingSchema, type RoutingInput } from '../../src/scenario/schema.ts';
import { drive, rowsOf, sequential, tinyScenario, type DrivenRun } from './harness.ts';

/** Outcomes in call-start order (rows are written when a call ends). */
const outcomesByStart = (run: DrivenRun) => [...run.rows].sort((a, b) => a.tMs - b.tMs).map((r) => r.outcome);

const routing = (r: RoutingInput) => RoutingSchema.parse(r);
const cascade = (minConfidence: number) => routing({ type: 'cascade', models: ['gpt-4o-mini', 'gpt-4o'], minConfidence });
const mixed = () =>
  tinyScenario({
    requestMix: [
      { name: 'faq', share: 0.5, inputTokens: 100, outputTokens: 50, difficulty: 0.3 },
      { name: 'hard', share: 0.5, inputTokens: 100, outputTokens: 50, difficulty: 0.7 },
    ],
  });

describe('cascade', () => {
  it('minConfidence 1 always escalates: two ledger rows, cost = sum, the calls run one after the other', async () => {
    const run = await drive(tinyScenario(), sequential(20, 60_000), { strategies: { routing: cascade(1) } });
    expect(run.agent.routingStats()).toMatchObject({ escalationRate: 1, strongCallShare: 1, callsByModel: { 'gpt-4o': 20 } });
    for (let job = 0; job < 20; job++) {
      const [small, large, ...rest] = rowsOf(run, job);
      expect(rest).toHaveLength(0);
      expect([small!.model, large!.model]).toEqual(['gpt-4o-mini', 'gpt-4o']);
      expect(small!.costUsd).toBeCloseTo(callCostUsd(PRESET_MODELS['gpt-4o-mini']!.pricing, { inputTokens: 100, cachedInputTokens: 0, outputTokens: 50 }), 15);
      expect(large!.costUsd).toBeCloseTo(callCostUsd(PRESET_MODELS['gpt-4o']!.pricing, { inputTokens: 100, cachedInputTokens: 0, outputTokens: 50 }), 15);
      // the large call starts when the small one ends; the request lasts at least both
      expect(large!.tMs).toBe(small!.tMs + small!.latencyMs);
      expect(run.endMs[job]! - job * 60_000).toBeGreaterThanOrEqual(small!.latencyMs + large!.latencyMs);
    }
    expect(run.ledger.total.costUsd).toBeCloseTo(
      run.rows.reduce((s, r) => s + r.costUsd, 0),
      15,
    );
  });

  it('minConfidence 0 never escalates: one call to the small model', async () => {
    const run = await drive(tinyScenario(), sequential(20, 60_000), { strategies: { routing: cascade(0) } });
    expect(run.rows.map((r) => r.model)).toEqual(new Array(20).fill('gpt-4o-mini'));
    expect(run.agent.routingStats()).toMatchObject({ escalationRate: 0, strongCallShare: 0 });
  });

  it('with the answer streamed, a kept small answer reaches the user when its call ends; an escalated one streams from the large model', async () => {
    const streamed = { steps: ['answer'] };
    const kept = await drive(tinyScenario(), sequential(5, 60_000), { strategies: { routing: cascade(0), streaming: streamed } });
    kept.outcomes.forEach((o, job) => {
      const [small] = rowsOf(kept, job);
      // the cascade must see the small model's confidence (its whole answer) before releasing it
      expect(o.firstTokenAtMs).toBe(small!.tMs + small!.latencyMs);
    });
    const escalated = await drive(tinyScenario(), sequential(5, 60_000), { strategies: { routing: cascade(1), streaming: streamed } });
    escalated.outcomes.forEach((o, job) => {
      const [, large] = rowsOf(escalated, job);
      expect(o.firstTokenAtMs).toBe(large!.tMs + large!.ttftMs);
    });
  });

  it('escalates exactly the answers whose confidence is below the threshold', async () => {
    // the same seed gives the small model the same confidences: with 0.7 some escalate, some not
    const run = await drive(tinyScenario(), sequential(200, 60_000, { difficulty: 0.55 }), { strategies: { routing: cascade(0.7) } });
    const stats = run.agent.routingStats()!;
    const twoCalls = Array.from({ length: 200 }, (_, j) => rowsOf(run, j).length === 2).filter(Boolean).length;
    expect(stats.escalationRate).toBe(twoCalls / 200);
    expect(twoCalls).toBeGreaterThan(0);
    expect(twoCalls).toBeLessThan(200);
  });
});

describe('router', () => {
  it('by task kind sends largeKinds to the large model and the rest to the small one', async () => {
    const plans = Array.from({ length: 10 }, (_, i) => ({ atMs: i * 1000, kind: i % 2 === 0 ? 'faq' : 'hard' }));
    const run = await drive(mixed(), plans, {
      strategies: { routing: routing({ type: 'router', by: 'task', small: 'gpt-4o-mini', large: 'gpt-4o', largeKinds: ['hard'] }) },
    });
    expect(run.rows.map((r) => r.model)).toEqual(plans.map((p) => (p.kind === 'hard' ? 'gpt-4o' : 'gpt-4o-mini')));
    expect(run.agent.routingStats()).toMatchObject({ strongCallShare: 0.5, callsByModel: { 'gpt-4o': 5, 'gpt-4o-mini': 5 } });
  });

  it('by difficulty with accuracy 1 routes exactly by threshold (difficulty > threshold → large)', async () => {
    const difficulties = [0.1, 0.49, 0.5, 0.51, 0.9];
    const run = await drive(
      tinyScenario(),
      difficulties.map((difficulty, i) => ({ atMs: i * 1000, intent: i, difficulty })),
      {
        strategies: { routing: routing({ type: 'router', by: 'difficulty', small: 'gpt-4o-mini', large: 'gpt-4o', threshold: 0.5, accuracy: 1 }) },
      },
    );
    expect(run.rows.map((r) => r.model)).toEqual(['gpt-4o-mini', 'gpt-4o-mini', 'gpt-4o-mini', 'gpt-4o', 'gpt-4o']);
  });

  it('with accuracy 0 every prediction is wrong', async () => {
    const run = await drive(
      tinyScenario(),
      [0.1, 0.9].map((difficulty, i) => ({ atMs: i * 1000, intent: i, difficulty })),
      {
        strategies: { routing: routing({ type: 'router', by: 'difficulty', small: 'gpt-4o-mini', large: 'gpt-4o', threshold: 0.5, accuracy: 0 }) },
      },
    );
    expect(run.rows.map((r) => r.model)).toEqual(['gpt-4o', 'gpt-4o-mini']);
  });

  it('by classifier pays the classifier call (its own ledger row) before the routed call', async () => {
    const run = await drive(tinyScenario(), sequential(4, 60_000), {
      strategies: {
        routing: routing({
          type: 'router',
          by: 'classifier',
          small: 'gpt-4o-mini',
          large: 'gpt-4o',
          classifierModel: 'gemini-2.0-flash',
          classifierOutputTokens: 3,
          accuracy: 1,
        }),
      },
    });
    for (let job = 0; job < 4; job++) {
      const [classify, answer] = rowsOf(run, job);
      expect(classify).toMatchObject({ model: 'gemini-2.0-flash', outputTokens: 3, outcome: 'ok' });
      expect(classify!.costUsd).toBeCloseTo(
        callCostUsd(PRESET_MODELS['gemini-2.0-flash']!.pricing, { inputTokens: 100, cachedInputTokens: 0, outputTokens: 3 }),
        15,
      );
      expect(answer!.model).toBe('gpt-4o-mini');
      expect(answer!.tMs).toBe(classify!.tMs + classify!.latencyMs);
    }
  });
});

describe('fallback and faults', () => {
  it('a model failing every call: retries, then the next model answers; retries and fallbacks are counted', async () => {
    const loaded = tinyScenario({ faults: { 'gpt-4o': { errorRate: 1 } } });
    const run = await drive(loaded, sequential(5, 60_000), {
      strategies: { routing: routing({ type: 'fallback', models: ['gpt-4o', 'gpt-4o-mini'], retries: 2, backoffMs: 100 }) },
    });
    expect(run.outcomes.every((o) => o.ok)).toBe(true);
    for (let job = 0; job < 5; job++) {
      expect(rowsOf(run, job).map((r) => `${r.model}:${r.outcome}`)).toEqual([
        'gpt-4o:server_error',
        'gpt-4o:server_error',
        'gpt-4o:server_error',
        'gpt-4o-mini:ok',
      ]);
    }
    expect(run.agent.routingStats()).toMatchObject({ retries: 10, fallbacks: 5, callsByModel: { 'gpt-4o-mini': 5 } });
    // refused calls cost nothing
    expect(run.ledger.byModel.get('gpt-4o')!.costUsd).toBe(0);
  });

  it('backs off exponentially between retries (backoffMs · 2^attempt · jitter in [0.5, 1.5))', async () => {
    const loaded = tinyScenario({ faults: { 'gpt-4o': { errorRate: 1 } } });
    const run = await drive(loaded, [{ atMs: 0 }], {
      strategies: { routing: routing({ type: 'fallback', models: ['gpt-4o', 'gpt-4o-mini'], retries: 2, backoffMs: 1000 }) },
    });
    const r = rowsOf(run, 0);
    const gap1 = r[1]!.tMs - (r[0]!.tMs + r[0]!.latencyMs);
    const gap2 = r[2]!.tMs - (r[1]!.tMs + r[1]!.latencyMs);
    expect(gap1).toBeGreaterThanOrEqual(500);
    expect(gap1).toBeLessThan(1500);
    expect(gap2).toBeGreaterThanOrEqual(1000);
    expect(gap2).toBeLessThan(3000);
  });

  it('an RPM limit refuses calls past the limit in a minute (rate_limited) and the request fails without fallback', async () => {
    const loaded = tinyScenario({ faults: { 'gpt-4o-mini': { requestsPerMinute: 2 } } });
    const run = await drive(loaded, sequential(5, 1000));
    expect(outcomesByStart(run)).toEqual(['ok', 'ok', 'rate_limited', 'rate_limited', 'rate_limited']);
    expect(run.outcomes.map((o) => o.ok)).toEqual([true, true, false, false, false]);
    // a minute after the first two, calls are admitted again
    const later = await drive(loaded, [...sequential(3, 1000), { atMs: 61_000 }]);
    expect(outcomesByStart(later)).toEqual(['ok', 'ok', 'rate_limited', 'ok']);
  });

  it('fallback waits out a 429 (retry-after) and succeeds on the same model', async () => {
    const loaded = tinyScenario({ faults: { 'gpt-4o-mini': { requestsPerMinute: 1 } } });
    const run = await drive(loaded, sequential(2, 1000), {
      strategies: { routing: routing({ type: 'fallback', models: ['gpt-4o-mini'], retries: 1, backoffMs: 10 }) },
    });
    expect(outcomesByStart(run)).toEqual(['ok', 'rate_limited', 'ok']);
    expect(run.outcomes.every((o) => o.ok)).toBe(true);
    // the retry waited until the first call left the one-minute window
    expect(rowsOf(run, 1).map((r) => r.outcome)).toEqual(['rate_limited', 'ok']);
    expect(rowsOf(run, 1)[1]!.tMs).toBeGreaterThanOrEqual(60_000);
  });
});
