/**
 * Run statistics of a BullMQ run: each worker meters what a job moved in its agent and the run
 * sums it. The sums must read exactly as the in-process agent's own statistics, strong model
 * included (without it the report plotted every BullMQ cascade at 0 strong share).
 */
import { describe, expect, it } from 'vitest';
import { JobStatsTotals, meterJob } from '../../src/live/job-stats.ts';
import { reportCharts } from '../../src/report/charts.ts';
import { CacheSchema, RoutingSchema } from '../../src/scenario/schema.ts';
import { buildResults } from '../fixtures/results.ts';
import { drive, rowsOf, sequential, tinyScenario } from '../strategies/harness.ts';

const cascade = RoutingSchema.parse({ type: 'cascade', models: ['gpt-4o-mini', 'gpt-4o'], minConfidence: 0.7 });
const exact = CacheSchema.parse({ type: 'exact', step: 'answer' });

describe('BullMQ run statistics (per-job counters summed by the run)', () => {
  it('a cascade run reports the strong share, strong model and cache figures of the in-process agent', async () => {
    const totals = new JobStatsTotals(cascade);
    // requests a minute apart finish one by one, as jobs on one worker; 20 prompts, so the cache hits
    const plans = sequential(120, 60_000, { difficulty: 0.55 }).map((p, i) => ({ ...p, intent: i % 20 }));
    const run = await drive(tinyScenario(), plans, {
      strategies: { routing: cascade, caches: [exact] },
      perJob: (agent) => {
        const moved = meterJob(agent);
        return () => totals.add(moved());
      },
    });
    const inProcess = run.agent.routingStats()!;
    // from the ledger: a routed request made one call (kept) or two (escalated); a cache hit none
    const calls = plans.map((_, j) => rowsOf(run, j).filter((r) => r.cache === null).length);
    const escalated = calls.filter((n) => n === 2).length;
    const routed = calls.filter((n) => n > 0).length;
    expect(escalated).toBeGreaterThan(0);
    expect(inProcess.strongCallShare).toBe(escalated / routed);
    expect(inProcess.strongModel).toBe('gpt-4o');
    expect(totals.routingStats()).toEqual(inProcess);
    expect(totals.cacheStats()).toEqual(run.agent.cacheStats());
    expect(totals.cacheStats()['exact:answer']!.hits).toBeGreaterThan(0);

    // and the report plots the BullMQ run at its true strong share
    const results = buildResults({ routings: ['cascade'], caches: ['none'] });
    results.configurations[0]!.routing = totals.routingStats();
    const chart = reportCharts(results).find((c) => c.id === 'quality-vs-strong')!;
    const [point] = chart.data!['quality-vs-strong'] as Array<{ strongCallShare: number }>;
    expect(point!.strongCallShare).toBe(escalated / routed);
  });
});
