/**
 * A short live run against mock-llm (its own process, loopback) carries the streaming figures:
 * ITL and TPOT percentiles and output tokens per second. Presence and sanity only: timing
 * tolerances belong to live.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { resolveScenario } from '../../src/scenario/load.ts';
import { expandSweep } from '../../src/scenario/configurations.ts';
import { runLiveConfiguration } from '../../src/live/engine.ts';
import type { Percentiles } from '../../src/results/schema.ts';

const TIME_SCALE = 2;
const WALL_SECONDS = 3;
const { scenario, catalog } = resolveScenario({
  name: 'live-streaming-figures',
  seed: 3,
  traffic: { requestsPerDay: 1_000_000, durationHours: (WALL_SECONDS * TIME_SCALE) / 3600 },
  requestMix: [{ name: 'q', share: 1, inputTokens: 200, outputTokens: { dist: 'lognormal', mean: 40, cv: 0.3 }, difficulty: 0.3, intents: 100 }],
  workflow: [{ type: 'llm', name: 'answer', model: 'gpt-4o-mini' }],
  strategies: { workers: { type: 'fixed', workers: 32 }, streaming: { steps: ['answer'] } },
});

function expectSane(p: Percentiles | undefined): void {
  expect(p).toBeDefined();
  expect(p!.count).toBeGreaterThan(0);
  expect(p!.p50).toBeGreaterThan(0);
  expect(p!.p50).toBeLessThanOrEqual(p!.p99);
  expect(p!.p99).toBeLessThanOrEqual(p!.max);
}

describe('a live run against mock-llm', () => {
  it('records ITL, TPOT and output tokens/s', async () => {
    const live = await runLiveConfiguration(scenario, catalog, expandSweep(scenario)[0]!, { seed: 3, timeScale: TIME_SCALE });
    const calls = live.requests.completed;
    expect(calls).toBeGreaterThan(10);
    expect(live.requests.failed).toBe(0);
    const outputTokens = live.cost.byModel['gpt-4o-mini']!.outputTokens;
    expectSane(live.latencyMs.itl);
    expectSane(live.latencyMs.tpot);
    // one TPOT per call with at least 2 output tokens; ITL pools the gaps between a call's tokens
    expect(live.latencyMs.tpot!.count).toBeLessThanOrEqual(calls);
    expect(live.latencyMs.tpot!.count).toBeGreaterThan(calls / 2);
    expect(live.latencyMs.itl!.count).toBeGreaterThan(live.latencyMs.tpot!.count);
    expect(live.latencyMs.itl!.count).toBeLessThanOrEqual(outputTokens - calls);
    const tps = live.throughput.outputTokensPerS;
    expect(tps).toBeDefined();
    expect(tps!.aggregate).toBeGreaterThan(0);
    expectSane(tps!.perRequest);
    console.log('live streaming figures:', JSON.stringify({ calls, outputTokens, itl: live.latencyMs.itl, tpot: live.latencyMs.tpot, tps }));
  }, 60_000);
});
