/** A semantic cache in front of changing tool data: stale hits counted, and they lower quality. */
import { describe, expect, it } from 'vitest';
import { CacheSchema } from '../../src/scenario/schema.ts';
import { drive, sequential, tinyScenario } from './harness.ts';

// difficulty 0 on gpt-4o-mini: every fresh answer is right, so any wrong one is the cache's doing
const changing = (changesPerHour: number, staleImpact: number) =>
  tinyScenario({
    workflow: [
      { type: 'tool', name: 'lookup', latencyMs: 100, costUsd: 0.001, changesPerHour, staleImpact },
      { type: 'llm', name: 'answer', model: 'routed' },
    ],
  });
const semanticDay = [CacheSchema.parse({ type: 'semantic', step: 'answer', threshold: 0.9, ttlS: 86_400 })];

describe('semantic cache over changing data', () => {
  it('data changing 60 times an hour, hits 10 minutes apart: every hit is stale, and wrong at staleImpact 1', async () => {
    const run = await drive(changing(60, 1), sequential(5, 600_000), { strategies: { caches: semanticDay } });
    expect(run.agent.cacheStats()['semantic:answer']).toMatchObject({ hits: 4, misses: 1, falseHits: 0, staleHits: 4, staleRate: 1 });
    // hand-computed: 1 right (the fresh answer), 4 wrong (stale, impact 1): quality 1/5
    expect(run.outcomes.map((o) => o.correct)).toEqual([true, false, false, false, false]);
  });

  it('the same cache over data that never changes: the same hits, none stale, every answer right', async () => {
    const run = await drive(changing(0, 1), sequential(5, 600_000), { strategies: { caches: semanticDay } });
    expect(run.agent.cacheStats()['semantic:answer']).toMatchObject({ hits: 4, misses: 1, staleHits: 0 });
    expect(run.outcomes.every((o) => o.correct)).toBe(true);
  });
});
