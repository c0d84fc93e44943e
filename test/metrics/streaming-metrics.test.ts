/** ITL, TPOT and output tokens/s against hand-computed values (vLLM bench serve's and GuideLLM's definitions). */
import { describe, expect, it } from 'vitest';
import { buildCatalog } from '../../src/provider/catalog.ts';
import { VirtualClock } from '../../src/engine/virtual-clock.ts';
import type { ChatCall } from '../../src/llm/client.ts';
import { SimLlmClient } from '../../src/llm/sim-client.ts';
import { Recorder } from '../../src/metrics/recorder.ts';
import { resolveScenario } from '../../src/scenario/load.ts';
import { simulateConfiguration } from '../../src/engine/simulate.ts';
import { expandSweep } from '../../src/scenario/configurations.ts';
import { headlineMetrics } from '../../src/results/headline.ts';
import type { LedgerRow } from '../../src/metrics/ledger.ts';

const row = (r: Partial<LedgerRow>): LedgerRow => ({
  tMs: 0,
  job: 0,
  step: 'answer',
  model: 'm',
  kind: 'llm',
  inputTokens: 10,
  cachedInputTokens: 0,
  outputTokens: 11,
  costUsd: 0,
  latencyMs: 1200,
  ttftMs: 200,
  cache: null,
  retries: 0,
  outcome: 'ok',
  ...r,
});

describe('streaming metrics', () => {
  it('TPOT per call is (latency − TTFT) / (output tokens − 1); output tokens/s per call is tokens ÷ latency', () => {
    const { scenario } = resolveScenario({
      name: 't',
      traffic: { requestsPerDay: 10 },
      requestMix: [{ name: 'q', share: 1, inputTokens: 1, outputTokens: 1, difficulty: 0 }],
      workflow: [{ type: 'llm', name: 'answer' }],
    });
    const rec = new Recorder({ scenario, slo: scenario.slo });
    rec.row(row({})); // (1200 − 200) / 10 = 100 ms; 11 / 1.2 s = 9.1667 tokens/s
    rec.row(row({ outputTokens: 1 })); // one token: no gap, no TPOT; 1 / 1.2 s
    rec.row(row({ cache: 'exact', outputTokens: 50 })); // a cache's answer was not generated: neither
    rec.row(row({ outcome: 'server_error', outputTokens: 0 }));
    rec.tokenGap(100, 10);
    const r = rec.result({
      config: { name: 'c', axes: {}, strategies: scenario.strategies },
      seed: 1,
      endMs: 10_000,
      durationHours: 1,
      workerHours: 0,
      workers: scenario.strategies.workers,
      routing: null,
      caches: {},
      promptCache: new Map(),
      catalog: {},
      ledger: { byModel: new Map(), byStep: new Map(), total: { costUsd: 0 }, rows: 4 } as never,
      engine: { wallMs: 0, simulatedRequests: 0, simulatedCalls: 0 },
    });
    expect(r.latencyMs.tpot).toMatchObject({ count: 1, mean: 100, max: 100 });
    expect(r.latencyMs.itl).toMatchObject({ count: 10, mean: 100 });
    expect(r.throughput.outputTokensPerS!.perRequest.count).toBe(2);
    expect(r.throughput.outputTokensPerS!.perRequest.mean).toBeCloseTo((11 / 1.2 + 1 / 1.2) / 2, 9);
    // aggregate: every output token of the run ÷ its duration (10 s): 11 + 1 + 50 = 62
    expect(r.throughput.outputTokensPerS!.aggregate).toBeCloseTo(6.2, 9);
  });

  it('the simulator pools every gap from the per-token latency model: with no spread each gap is itlMs × load', async () => {
    const catalog = buildCatalog({
      steady: {
        extends: 'gpt-4o-mini',
        latency: { ttftBaseMs: 100, prefillMsPerInputToken: 0, ttftCv: 0, itlMs: 10, itlCv: 0, concurrencyCap: 4, slowdownAtCap: 0 },
      },
    });
    const clock = new VirtualClock();
    const client = new SimLlmClient({ catalog, clock, promptCaching: false });
    const gaps: Array<[number, number]> = [];
    client.observeTokenGaps((g, n) => gaps.push([g, n]));
    const call: ChatCall = {
      model: 'steady',
      step: 's',
      jobId: 1,
      jobSeed: 1,
      stepSeed: 1,
      callIndex: 0,
      inputTokens: 10,
      prefixTokens: 0,
      outputTokens: 21,
      difficulty: 0,
      stream: true,
    };
    clock.spawn(async () => void (await client.chat(call)));
    await clock.run();
    // 20 gaps as 8 samples weighing 3,3,3,3,2,2,2,2, each 10 ms
    expect(gaps.map(([, n]) => n)).toEqual([3, 3, 3, 3, 2, 2, 2, 2]);
    for (const [g] of gaps) expect(g).toBeCloseTo(10, 9);
  });

  it('a simulated run reports ITL, TPOT and output tokens/s, and they are headline (gate) metrics', async () => {
    const { scenario, catalog } = resolveScenario({
      name: 't',
      traffic: { requestsPerDay: 2000, durationHours: 1 },
      models: { steady: { extends: 'gpt-4o-mini', latency: { itlMs: 20, itlCv: 0.2, slowdownAtCap: 0 } } },
      requestMix: [{ name: 'q', share: 1, inputTokens: 100, outputTokens: { dist: 'uniform', min: 50, max: 150 }, difficulty: 0.5 }],
      workflow: [{ type: 'llm', name: 'answer', model: 'steady' }],
    });
    const r = await simulateConfiguration(scenario, catalog, expandSweep(scenario)[0]!, { seed: 3 });
    const calls = r.requests.completed;
    expect(r.latencyMs.tpot!.count).toBe(calls);
    // no slowdown: the mean gap is itlMs (the normal-approximated decode sum has mean gaps × itl)
    expect(r.latencyMs.itl!.mean).toBeGreaterThan(19);
    expect(r.latencyMs.itl!.mean).toBeLessThan(21);
    // one gap per output token after each answer's first
    expect(r.latencyMs.itl!.count).toBe(r.cost.byModel.steady!.outputTokens - calls);
    const h = headlineMetrics(r);
    expect(h.itlP95Ms).toBe(r.latencyMs.itl!.p95);
    expect(h.tpotP95Ms).toBe(r.latencyMs.tpot!.p95);
    expect(h.outputTokensPerS).toBe(r.throughput.outputTokensPerS!.aggregate);
  });
});
