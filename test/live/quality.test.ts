import { describe, expect, it } from 'vitest';
import { simulateConfiguration } from '../../src/engine/simulate.ts';
import { runLiveConfiguration } from '../../src/live/engine.ts';
import { expandSweep } from '../../src/scenario/configurations.ts';
import { resolveScenario } from '../../src/scenario/load.ts';

/**
 * Quality is one function of (seed, request, step, model, cache decision), shared by the
 * simulator and mock-llm (the live client sends the answer seed): the same seed and
 * configuration give the same verdict on every answer, and so the same escalations and the same
 * correct count, whatever the timing. A cascade (escalates on the reported confidence), a RAG
 * step (its misses raise difficulty) and a spread of difficulties; 40× faster than real time,
 * which timing-sensitive figures would not survive on a loaded box but quality must.
 */
const TIME_SCALE = 40;
const WALL_SECONDS = 4;
const { scenario, catalog } = resolveScenario({
  name: 'live-quality',
  seed: 11,
  traffic: { requestsPerDay: 200_000, durationHours: (WALL_SECONDS * TIME_SCALE) / 3600 },
  requestMix: [
    {
      name: 'q',
      share: 1,
      inputTokens: { dist: 'lognormal', mean: 80, cv: 0.4 },
      outputTokens: { dist: 'lognormal', mean: 12, cv: 0.3 },
      difficulty: { dist: 'uniform', min: 0.1, max: 0.8 },
      intents: 300,
    },
  ],
  workflow: [
    { type: 'llm', name: 'plan', model: 'gpt-4o-mini', outputTokens: 8, quality: false },
    { type: 'llm', name: 'answer', model: 'routed', rag: { topK: 2, chunkTokens: 50 } },
  ],
  strategies: { workers: { type: 'fixed', workers: 256 }, routing: { type: 'cascade', models: ['gpt-4o-mini', 'gpt-4o'], minConfidence: 0.5 } },
});
const config = expandSweep(scenario)[0]!;

describe('quality in live mode against mock-llm', () => {
  it('equals the simulation exactly: same correct answers, same escalations', async () => {
    const sim = await simulateConfiguration(scenario, catalog, config, { seed: 11 });
    const live = await runLiveConfiguration(scenario, catalog, config, { seed: 11, timeScale: TIME_SCALE });
    console.log('live quality (sim, live):', sim.quality, live.quality, sim.routing?.escalationRate, live.routing?.escalationRate);
    expect(sim.requests.total).toBeGreaterThan(200);
    expect(live.requests.failed).toBe(0);
    expect(live.requests.total).toBe(sim.requests.total);
    expect(live.quality).toEqual(sim.quality);
    expect(live.routing!.callsByModel).toEqual(sim.routing!.callsByModel);
    expect(live.routing!.escalationRate).toBe(sim.routing!.escalationRate);
    // the cascade did escalate, and not everything was right: the comparison has something to compare
    expect(sim.routing!.escalationRate).toBeGreaterThan(0.05);
    expect(sim.routing!.escalationRate).toBeLessThan(0.95);
    expect(sim.quality.share).toBeLessThan(0.99);
  });
});
