/**
 * Whole-run properties of `simulateConfiguration`: determinism by seed, and the direction of each
 * strategy's effect over a day (cascade vs single models, worker counts, exact caching).
 */
import { describe, expect, it } from 'vitest';
import { simulateConfiguration } from '../../src/engine/simulate.ts';
import type { Configuration } from '../../src/scenario/configurations.ts';
import type { ConfigResult } from '../../src/results/schema.ts';
import { CacheSchema, RoutingSchema, WorkersSchema } from '../../src/scenario/schema.ts';
import { prepareScenario, type PreparedScenario } from '../../src/sweep/prepare.ts';
import { simulate, tinyScenario } from '../strategies/harness.ts';

function withoutWallTime(r: ConfigResult): unknown {
  return { ...r, engine: { ...r.engine, wallMs: 0 } };
}

let prepared: PreparedScenario | undefined;
async function cascadeScenario(): Promise<PreparedScenario> {
  prepared ??= await prepareScenario('scenarios/cascade.ts', { requestsPerDay: 20_000 });
  return prepared;
}
/**
 * The scenario's workload and workflow with explicit strategies (its own sweep may change):
 * routing `large` | `small` | `cascade` (@0.7) and a fixed pool of `workers`.
 */
const ROUTING = {
  large: RoutingSchema.parse({ type: 'single', model: 'gpt-4o' }),
  small: RoutingSchema.parse({ type: 'single', model: 'gpt-4o-mini' }),
  cascade: RoutingSchema.parse({ type: 'cascade', models: ['gpt-4o-mini', 'gpt-4o'], minConfidence: 0.7 }),
};
const results = new Map<string, Promise<ConfigResult>>();
async function run(routing: keyof typeof ROUTING, workers: number, seed?: number): Promise<ConfigResult> {
  const p = await cascadeScenario();
  const key = `${routing}/${workers}#${seed ?? p.seed}`;
  let r = results.get(key);
  if (r === undefined) {
    const config: Configuration = {
      name: key,
      axes: {},
      strategies: { ...p.scenario.strategies, routing: ROUTING[routing], workers: WorkersSchema.parse({ type: 'fixed', workers }) },
    };
    r = simulateConfiguration(p.scenario, p.catalog, config, { seed: seed ?? p.seed });
    results.set(key, r);
  }
  return r;
}

describe('determinism', () => {
  it('the same scenario and seed give identical results (all but wall time)', async () => {
    const p = await cascadeScenario();
    const config = p.configurations[p.configurations.length - 1]!;
    const a = await simulateConfiguration(p.scenario, p.catalog, config, { seed: 42 });
    const b = await simulateConfiguration(p.scenario, p.catalog, config, { seed: 42 });
    expect(withoutWallTime(b)).toEqual(withoutWallTime(a));
    expect(a.requests.total).toBe(20_000);
  });

  it('a different seed gives different numbers', async () => {
    const a = await run('cascade', 8, 42);
    const b = await run('cascade', 8, 43);
    expect(b.cost.perDayUsd).not.toBe(a.cost.perDayUsd);
    expect(b.latencyMs.e2e.mean).not.toBe(a.latencyMs.e2e.mean);
    expect(b.quality.correct).not.toBe(a.quality.correct);
  });
});

describe('direction of effect over a day (scenarios/cascade.ts at 20,000 requests/day)', () => {
  it('a cascade is cheaper than always-gpt-4o and better than always-mini', async () => {
    const [large, small, casc] = await Promise.all([run('large', 16), run('small', 16), run('cascade', 16)]);
    expect(casc.cost.perDayUsd).toBeLessThan(large.cost.perDayUsd);
    expect(casc.quality.share).toBeGreaterThan(small.quality.share);
    expect(small.cost.perDayUsd).toBeLessThan(casc.cost.perDayUsd);
    expect(large.quality.share).toBeGreaterThan(small.quality.share);
    // the cascade escalates some but not all answers
    expect(casc.routing!.escalationRate).toBeGreaterThan(0.05);
    expect(casc.routing!.escalationRate).toBeLessThan(0.95);
  });

  it('more workers lower the queue wait p95', async () => {
    // about 0.9 busy workers on average, more at the peak: 2 workers queue often, 3 less, 16 never
    const [w2, w3, w16] = await Promise.all([run('large', 2), run('large', 3), run('large', 16)]);
    expect(w2.latencyMs.queueWait.p95).toBeGreaterThan(w3.latencyMs.queueWait.p95);
    expect(w3.latencyMs.queueWait.p99).toBeGreaterThan(w16.latencyMs.queueWait.p99);
    expect(w16.latencyMs.queueWait.p99).toBe(0);
    expect(w2.workers.utilization).toBeGreaterThan(w16.workers.utilization);
  });

  it('an exact cache lowers the cost of a day with repeated prompts', async () => {
    const loaded = tinyScenario({
      traffic: { requestsPerDay: 5000 },
      requestMix: [{ name: 'faq', share: 1, inputTokens: 100, outputTokens: 200, difficulty: 0.3, intents: 500, zipf: 1.1, paraphrases: 2 }],
      workflow: [{ type: 'llm', name: 'answer', model: 'gpt-4o' }],
    });
    const plain = await simulate(loaded);
    const cached = await simulate(loaded, { caches: [CacheSchema.parse({ type: 'exact', step: 'answer' })] });
    const stats = cached.caches['exact:answer']!;
    expect(stats.hitRate).toBeGreaterThan(0.5);
    expect(cached.cost.perDayUsd).toBeLessThan(plain.cost.perDayUsd * (1 - stats.hitRate) * 1.05);
    // what the cache says it saved is what the day costs less
    expect(stats.savedUsd).toBeCloseTo(plain.cost.perDayUsd - cached.cost.perDayUsd, 6);
  });
});
