import { describe, expect, it } from 'vitest';
import { refuseInvalid } from '../../src/gate/run.ts';
import { OWN_MOCK_TARGET, recordSimDivergence, simDivergence } from '../../src/results/fidelity.ts';
import type { ConfigResult, ResultsFile } from '../../src/results/schema.ts';
import { invalidRecords, liveValidity } from '../../src/results/validity.ts';
import { buildResults } from '../fixtures/results.ts';

const conditions = { timeScale: 20, sendLagP99Ms: 50, lateShare: () => 0, ttftP50Ms: 1000, eventLoopDelayP99WallMs: 3, errorRate: 0, maxErrorRate: 0.01 };

describe('validity records', () => {
  it('send lag p99 is allowed up to max(5 ms wall, 5% of TTFT p50): at 20× that is max(100, 50) = 100 scenario ms', () => {
    const ok = liveValidity(conditions);
    expect(ok.find((r) => r.kind === 'send-lag')).toMatchObject({ valid: true, observed: 50, threshold: 100 });
    const lagging = liveValidity({ ...conditions, sendLagP99Ms: 29_000 });
    expect(invalidRecords(lagging).map((r) => r.kind)).toEqual(['send-lag']);
    // at 1× and a 4 s TTFT, 5% of TTFT (200 ms) is the larger allowance
    expect(liveValidity({ ...conditions, timeScale: 1, ttftP50Ms: 4000 })[0]!.threshold).toBe(200);
  });

  it('flags late starts, event-loop delay and target errors beyond their limits', () => {
    const bad = liveValidity({ ...conditions, lateShare: () => 0.2, eventLoopDelayP99WallMs: 120, errorRate: 0.05 });
    expect(invalidRecords(bad).map((r) => r.kind)).toEqual(['late-starts', 'event-loop-delay', 'target-errors']);
  });

  it('bench gate refuses an invalid run (exit 2 through BenchError) unless allowed', () => {
    const run = (validity: ReturnType<typeof liveValidity>) => ({ configurations: [{ name: 'c', validity }] }) as unknown as ResultsFile;
    expect(() => refuseInvalid([['candidate', run(liveValidity({ ...conditions, sendLagP99Ms: 29_000 }))]])).toThrow(
      /^the candidate run is invalid \(c: send lag p99 29,000 ms .*pass --allow-invalid to gate it anyway$/,
    );
    expect(() => refuseInvalid([['candidate', run(liveValidity(conditions))]])).not.toThrow();
    // results written before validity existed are not refused
    expect(() => refuseInvalid([['baseline', { configurations: [{ name: 'c' }] } as unknown as ResultsFile]])).not.toThrow();
  });
});

describe('sim-divergence record', () => {
  const base = () => buildResults({ routings: ['strong'] }).configurations[0]!;
  const withLive = (c: ConfigResult, target = OWN_MOCK_TARGET): ConfigResult => ({
    ...c,
    live: { target, timeScale: 20, sendLagMs: c.latencyMs.ttft, warnings: [] },
  });

  it('is valid when every compared figure is within 25% of the simulation', () => {
    const sim = base();
    const live = withLive(structuredClone(sim));
    live.latencyMs.ttft.p50 = sim.latencyMs.ttft.p50 * 1.2; // +20%: inside
    const r = simDivergence(sim, live);
    expect(r).toMatchObject({ kind: 'sim-divergence', valid: true, threshold: 0.25, unit: 'share' });
    expect(r.observed).toBeCloseTo(0.2, 12);
  });

  it('invalidates a live run against the mock bench started when a figure is off by more (TTFT +4289% as on the loaded box)', () => {
    const sim = base();
    const live = withLive(structuredClone(sim));
    live.latencyMs.ttft.p50 = sim.latencyMs.ttft.p50 * 43.89;
    live.quality.share = sim.quality.share * 0.7; // −30%
    const r = simDivergence(sim, live);
    expect(r.valid).toBe(false);
    expect(r.observed).toBeCloseTo(42.89, 9);
    expect(r.message).toBe('live differs from the simulation by more than 25%: TTFT p50 +4289%, quality −30%');
    // the same figures against an external target describe the model, not the run
    const external = simDivergence(sim, withLive(live, 'https://api.example.com/v1'));
    expect(external.valid).toBe(true);
    expect(external.message).toContain('an external target');
  });

  it('recordSimDivergence adds one record per matched configuration, replacing an earlier one', () => {
    const sim = buildResults({ routings: ['strong'] });
    const live = structuredClone(sim);
    live.configurations = live.configurations.map((c) => withLive(c));
    live.configurations[0]!.latencyMs.e2e.p50 *= 2;
    expect(recordSimDivergence(sim, live)).toBe(1);
    expect(recordSimDivergence(sim, live)).toBe(1);
    expect(live.configurations[0]!.validity!.filter((r) => r.kind === 'sim-divergence')).toHaveLength(1);
    expect(invalidRecords(live.configurations[0]!.validity).map((r) => r.kind)).toEqual(['sim-divergence']);
    expect(invalidRecords(live.configurations[1]!.validity)).toEqual([]);
  });
});
