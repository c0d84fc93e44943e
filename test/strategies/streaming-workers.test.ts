/** Streaming (TTFT vs e2e) and workers (worker-hours priced, autoscaling in a full run). */
import { describe, expect, it } from 'vitest';
import { StreamingSchema, WorkersSchema } from '../../src/scenario/schema.ts';
import { simulate, tinyScenario } from './harness.ts';

const twoSteps = () =>
  tinyScenario({
    traffic: { requestsPerDay: 2000 },
    requestMix: [{ name: 'faq', share: 1, inputTokens: 100, outputTokens: { dist: 'lognormal', mean: 300, cv: 0.4 }, difficulty: 0.3 }],
    workflow: [
      { type: 'llm', name: 'plan', model: 'gpt-4o-mini', outputTokens: 40 },
      { type: 'llm', name: 'answer', model: 'gpt-4o', contextFrom: ['plan'] },
    ],
  });

describe('streaming', () => {
  it('streaming the final step brings TTFT far below e2e and leaves e2e exactly as without streaming', async () => {
    const loaded = twoSteps();
    const plain = await simulate(loaded, { streaming: StreamingSchema.parse({ steps: [] }) });
    const streamed = await simulate(loaded, { streaming: StreamingSchema.parse({ steps: ['answer'] }) });
    expect(streamed.latencyMs.e2e).toEqual(plain.latencyMs.e2e);
    // not streamed: the user sees the answer when it is complete
    expect(plain.latencyMs.ttft).toEqual(plain.latencyMs.e2e);
    expect(streamed.latencyMs.ttft.p50).toBeLessThan(streamed.latencyMs.e2e.p50 / 2);
    expect(streamed.latencyMs.ttft.p95).toBeLessThan(streamed.latencyMs.e2e.p95);
  });
});

describe('workers', () => {
  it('prices worker-hours into cost.workersPerDayUsd (fixed pool: workers × hours × price, scaled to a day)', async () => {
    const loaded = tinyScenario({ traffic: { requestsPerDay: 2400, durationHours: 2 } });
    const r = await simulate(loaded, { workers: WorkersSchema.parse({ type: 'fixed', workers: 3, costPerHourUsd: 2 }) });
    // the pool is paid for the whole period (2 h; the last request ends before it)
    expect(r.workers.workerHours).toBeCloseTo(3 * 2, 12);
    expect(r.cost.workersPerDayUsd).toBeCloseTo(r.workers.workerHours * 2 * 12, 9);
    const callsPerDayUsd = Object.values(r.cost.byModel).reduce((s, u) => s + u.costUsd, 0);
    expect(r.cost.perDayUsd).toBeCloseTo(r.cost.workersPerDayUsd + callsPerDayUsd, 9);
  });

  it('an autoscaled pool grows under a burst, completes every request, and costs fewer worker-hours than its max as a fixed pool', async () => {
    const loaded = tinyScenario({
      traffic: { requestsPerDay: 20_000, durationHours: 4, bursts: { count: 2, durationMin: 20, multiplier: 8 } },
      requestMix: [{ name: 'faq', share: 1, inputTokens: 100, outputTokens: 300, difficulty: 0.3 }],
    });
    const scaled = await simulate(loaded, {
      workers: WorkersSchema.parse({ type: 'autoscale', min: 1, max: 12, target: 0.6, intervalS: 30, coldStartS: 60, cooldownS: 120, costPerHourUsd: 1 }),
    });
    const fixedMax = await simulate(loaded, { workers: WorkersSchema.parse({ type: 'fixed', workers: 12, costPerHourUsd: 1 }) });
    expect(scaled.requests.completed).toBe(3333);
    expect(scaled.workers.max).toBeGreaterThan(3);
    expect(scaled.workers.min).toBe(1);
    expect(scaled.workers.workerHours).toBeLessThan(fixedMax.workers.workerHours / 2);
    expect(scaled.cost.workersPerDayUsd).toBeLessThan(fixedMax.cost.workersPerDayUsd / 2);
    // the price of scaling: more queueing than a pool sized for the peak
    expect(scaled.latencyMs.queueWait.p99).toBeGreaterThan(fixedMax.latencyMs.queueWait.p99);
  });
});
