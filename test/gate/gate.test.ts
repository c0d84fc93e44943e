import { describe, expect, it } from 'vitest';
import { exitCodeFor, gate, type GateReport, type GateRow } from '../../src/gate/gate.ts';
import type { GateMetric } from '../../src/gate/thresholds.ts';
import { RESULTS_SCHEMA_VERSION, type ResultsFile } from '../../src/results/schema.ts';
import { buildResults } from '../fixtures/results.ts';
import { expectBenchError, replicatedRun } from './helpers.ts';

const SEEDS = [42, 43, 44, 45, 46];
/** Seed-to-seed spread of the fixture's replicates: ±3%. */
const NOISE = [1, 1.03, 0.97, 1.02, 0.98];
const STRONG = 'routing=strong cache=none';

const noisy = (seeds = SEEDS, factor = 1) =>
  replicatedRun(seeds, (m, i) => ({ costPerDayUsd: m.costPerDayUsd * NOISE[i]! * factor, e2eP95Ms: m.e2eP95Ms * NOISE[(i + 2) % 5]! }));

function row(report: GateReport, metric: GateMetric, config = STRONG): GateRow {
  const found = report.rows.find((r) => r.config === config && r.metric === metric);
  if (found === undefined) throw new Error(`no row ${config} ${metric}`);
  return found;
}

describe('gate verdicts', () => {
  it('passes with no-change everywhere when the runs are identical', () => {
    const report = gate(noisy(), noisy());
    expect(report.rows.every((r) => r.verdict.kind === 'no-change')).toBe(true);
    expect(report.passed).toBe(true);
    expect(exitCodeFor(report)).toBe(0);
  });

  it('fails on a cost rise whose whole interval is beyond the threshold, naming the metric', () => {
    const report = gate(noisy(SEEDS, 1.5), noisy());
    const verdict = row(report, 'costPerDayUsd').verdict;
    expect(verdict.kind).toBe('regressed');
    expect(verdict.kind === 'regressed' && verdict.basis).toBe('interval');
    expect(verdict.reason).toBe('+50.0% (+$476.5) (95% CI +50.0% to +50.0%): worse by more than the allowed 5% across the whole interval');
    expect(report.rows.filter((r) => r.verdict.kind === 'regressed').map((r) => r.metric)).toEqual(['costPerDayUsd', 'costPerDayUsd']);
    expect(exitCodeFor(report)).toBe(1);
  });

  it('calls a rise inside the threshold within-noise', () => {
    const report = gate(noisy(SEEDS, 1.03), noisy());
    expect(row(report, 'costPerDayUsd').verdict.kind).toBe('within-noise');
    expect(report.passed).toBe(true);
  });

  it('calls a rise past the threshold within-noise when the noise interval still reaches the threshold', () => {
    // different seeds: unpaired, so the ±3% spread of each side widens the interval
    const report = gate(noisy([101, 102, 103, 104, 105], 1.07), noisy());
    const verdict = row(report, 'costPerDayUsd').verdict;
    expect(verdict.kind).toBe('within-noise');
    if (verdict.kind !== 'within-noise') return;
    expect(verdict.estimate.paired).toBe(false);
    expect(verdict.estimate.interval!.relative.lo).toBeLessThan(0.05);
    expect(verdict.estimate.interval!.relative.hi).toBeGreaterThan(0.05);
  });

  it('calls a fall beyond the threshold improved', () => {
    const report = gate(noisy(SEEDS, 0.5), noisy());
    expect(row(report, 'costPerDayUsd').verdict.kind).toBe('improved');
    expect(report.passed).toBe(true);
  });

  it('judges quality as higher-is-better with an absolute threshold', () => {
    const drop = (by: number) => replicatedRun(SEEDS, (m, i) => ({ quality: m.quality - by + (i - 2) * 0.001 }));
    const base = replicatedRun(SEEDS, (m, i) => ({ quality: m.quality + (i - 2) * 0.001 }));
    expect(row(gate(drop(0.05), base), 'quality').verdict.kind).toBe('regressed');
    expect(row(gate(drop(0.01), base), 'quality').verdict.kind).toBe('within-noise');
    expect(row(gate(drop(-0.05), base), 'quality').verdict.kind).toBe('improved');
  });

  it('treats any rise from a zero baseline as beyond a relative threshold', () => {
    const base = replicatedRun(SEEDS, () => ({ errorRate: 0 }));
    const cand = replicatedRun(SEEDS, () => ({ errorRate: 0.001 }));
    const verdict = row(gate(cand, base, { thresholds: { errorRate: { relative: 0.1 } } }), 'errorRate').verdict;
    expect(verdict.kind).toBe('regressed');
    // the default absolute threshold (1 point) lets the same rise pass
    expect(row(gate(cand, base), 'errorRate').verdict.kind).toBe('within-noise');
  });

  it('takes thresholds from the scenario gate section of the baseline', () => {
    const base = noisy();
    const relaxedBase: ResultsFile = { ...base, scenario: { ...base.scenario, config: { gate: { thresholds: { costPerDayUsd: { relative: 0.6 } } } } } };
    const report = gate(noisy(SEEDS, 1.5), relaxedBase);
    expect(row(report, 'costPerDayUsd').verdict.kind).toBe('within-noise');
    expect(row(report, 'costPerDayUsd').threshold).toEqual({ relative: 0.6 });
  });

  it('ignores a candidate that loosens its own gate', () => {
    const cand = noisy(SEEDS, 1.5);
    const relaxed: ResultsFile = { ...cand, scenario: { ...cand.scenario, config: { gate: { thresholds: { costPerDayUsd: { relative: 0.6 } } } } } };
    expect(row(gate(relaxed, noisy()), 'costPerDayUsd').verdict.kind).toBe('regressed');
  });

  it('compares single runs on the same seed against the threshold, marking the basis', () => {
    const base = buildResults({ intervals: 4, routings: ['strong'], caches: ['none'] });
    const dearer = buildResults({ intervals: 4, routings: ['strong'], caches: ['none'], priceFactor: 1.3 });
    const slightly = buildResults({ intervals: 4, routings: ['strong'], caches: ['none'], priceFactor: 1.01 });
    const hit = row(gate(dearer, base), 'costPerDayUsd').verdict;
    expect(hit.kind).toBe('regressed');
    expect(hit.kind === 'regressed' && hit.basis).toBe('single-run');
    const small = row(gate(slightly, base), 'costPerDayUsd').verdict;
    expect(small.kind).toBe('insufficient-data');
    expect(gate(slightly, base).passed).toBe(true);
  });

  it('reports configurations in only one run as incomparable without failing', () => {
    const base = replicatedRun(SEEDS, () => ({}), { routings: ['strong'] });
    const report = gate(noisy(), base);
    const only = report.rows.filter((r) => r.config === 'routing=small cache=none');
    expect(only.length).toBe(8);
    expect(only.every((r) => r.verdict.kind === 'incomparable' && r.verdict.reason === 'configuration only in the candidate run')).toBe(true);
    expect(report.passed).toBe(true);
  });

  it('counts every row once', () => {
    const report = gate(noisy(SEEDS, 1.5), noisy());
    expect(Object.values(report.counts).reduce((a, b) => a + b, 0)).toBe(report.rows.length);
  });

  it('lists what changed in the scenario', () => {
    const base = noisy();
    const cand: ResultsFile = {
      ...noisy(),
      scenario: { ...base.scenario, configHash: 'ffff', config: { ...(base.scenario.config as object), requestsPerDay: 200000 } },
    };
    const report = gate(cand, base);
    expect(report.scenarioChanges).toEqual(['requestsPerDay: 100000 → 200000']);
    expect(report.notes[0]).toMatch(/^The scenario differs from the baseline's \(config hash .+ → ffff\)/);
  });
});

describe('incomparable runs', () => {
  it('refuses different scenarios', () => {
    expectBenchError(
      () =>
        gate(
          replicatedRun(SEEDS, () => ({}), { scenarioName: 'other' }),
          noisy(),
        ),
      'INCOMPARABLE',
      'Cannot gate: the baseline is of scenario "cascade-fixture" and the candidate of "other". Gate a scenario against its own baseline.',
    );
  });
  it('refuses different schema versions', () => {
    const old = { ...noisy(), schemaVersion: 0 } as unknown as ResultsFile;
    expectBenchError(
      () => gate(noisy(), old),
      'INCOMPARABLE',
      `Cannot gate: the baseline has results schemaVersion 0 and the candidate ${RESULTS_SCHEMA_VERSION}. Re-record the baseline with this version (bench baseline <scenario.ts>).`,
    );
  });
  it('refuses a single run against a replicated one', () => {
    expectBenchError(
      () => gate(buildResults({ intervals: 4, routings: ['strong'], caches: ['none'] }), noisy()),
      'INCOMPARABLE',
      'Cannot gate: the baseline ran 5 replications per configuration and the candidate 1; a single run can only be compared with a single run. Run the candidate with --replications 5.',
    );
  });
  it('refuses single runs of different seeds', () => {
    expectBenchError(
      () => gate(buildResults({ intervals: 4, seed: 7 }), buildResults({ intervals: 4 })),
      'INCOMPARABLE',
      'Cannot gate: the baseline ran seed 42 and the candidate seed 7, one replication each; without replicates the difference would be seed noise. Run the candidate with --seed 42, or both with --replications ≥ 2.',
    );
  });
  it('refuses runs with no configuration in common', () => {
    expectBenchError(
      () =>
        gate(
          replicatedRun(SEEDS, () => ({}), { routings: ['cascade'] }),
          replicatedRun(SEEDS, () => ({}), { routings: ['strong'] }),
        ),
      'INCOMPARABLE',
      'Cannot gate: no configuration is in both runs (baseline: "routing=strong cache=none"; candidate: "routing=cascade cache=none").',
    );
  });
  it('refuses a live run against a simulated one', () => {
    expectBenchError(
      () => gate({ ...noisy(), mode: 'live' }, noisy()),
      'INCOMPARABLE',
      'Cannot gate: the baseline is a sim run and the candidate a live run; simulated and live numbers are not measured the same way.',
    );
  });
});
