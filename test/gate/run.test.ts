/**
 * The gate end to end on real simulated runs of a small test scenario (fixtures/gate-scenario.ts):
 * record a baseline, gate unchanged, busier and costlier variants against it.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readBaseline, writeBaseline } from '../../src/gate/baseline.ts';
import { gateCommand } from '../../src/cli/gate-command.ts';
import { runGate, candidateRequestsPerDay } from '../../src/gate/run.ts';
import { readResultsFile } from '../../src/results/read.ts';
import { runScenarioFile } from '../../src/sweep/run.ts';
import { checkWellFormedXml, expectBenchRejection } from './helpers.ts';

const SCENARIO = 'test/gate/fixtures/gate-scenario.ts';
const COSTLIER = 'test/gate/fixtures/gate-scenario-costlier.ts';
const OTHER = 'test/gate/fixtures/gate-scenario-other.ts';
/** The baseline runs at half the scenario's own 5,000 requests a day, as a CI baseline would. */
const BASELINE_RPD = 2500;

let dir: string;
let baseline: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bench-gate-'));
  baseline = await writeBaseline(SCENARIO, { out: join(dir, 'gate-fixture.json'), replications: 5, requestsPerDay: BASELINE_RPD, threads: 0 });
}, 30_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function capture() {
  const out = { stdout: '', stderr: '' };
  return { out, io: { stdout: (t: string) => void (out.stdout += t), stderr: (t: string) => void (out.stderr += t) } };
}

const regressedMetrics = (report: Awaited<ReturnType<typeof runGate>>) => [
  ...new Set(report.rows.filter((r) => r.verdict.kind === 'regressed').map((r) => r.metric)),
];

describe('writeBaseline', () => {
  it('records how it ran, and stays a valid results file', async () => {
    const { results, gateRun } = await readBaseline(baseline);
    expect(gateRun).toEqual({ seed: 7, replications: 5, requestsPerDay: BASELINE_RPD, scenarioRequestsPerDay: 5000, durationHours: null, only: null });
    expect(results.configurations.map((c) => c.replicates?.length)).toEqual([5, 5]);
    expect((await readResultsFile(baseline)).scenario.name).toBe('gate-fixture');
    expect(results.configurations[0]!.timeSeries.intervalS).toBe(3600);
  });
});

describe('runGate', () => {
  it('passes a run of the unchanged scenario against its own baseline (exit 0)', async () => {
    const { out, io } = capture();
    const code = await gateCommand({ target: SCENARIO, baseline, markdown: false, threads: 0 }, io);
    expect(code).toBe(0);
    expect(out.stdout.split('\n')[0]).toBe('gate PASS: gate-fixture — 16 no-change (5 replications a configuration, 95% intervals)');
  }, 20_000);

  it('fails a run at twice the traffic (exit 1), naming costPerDayUsd', async () => {
    const { out, io } = capture();
    const junit = join(dir, 'report.xml');
    const code = await gateCommand({ target: SCENARIO, baseline, markdown: true, junit, 'requests-per-day': 2 * BASELINE_RPD, threads: 0 }, io);
    expect(code).toBe(1);
    expect(out.stdout).toContain('· **costPerDayUsd**: +');
    expect(out.stderr.split('\n')[0]).toMatch(/^gate FAIL: gate-fixture — \d+ regressed/);
    const failures = checkWellFormedXml(await readFile(junit, 'utf8')).elements.filter((e) => e.name === 'failure');
    expect(failures.length).toBeGreaterThanOrEqual(2);
  }, 20_000);

  it('fails a change to a costlier model, naming costPerDayUsd', async () => {
    const report = await runGate({ target: COSTLIER, baseline, threads: 0 });
    expect(report.passed).toBe(false);
    expect(regressedMetrics(report)).toContain('costPerDayUsd');
    expect(report.scenarioChanges).toContain('workflow[0].model: "gpt-4o-mini" → "gpt-4o"');
    const cost = report.rows.find((r) => r.metric === 'costPerDayUsd' && r.config.includes('mini'))!;
    expect(cost.verdict.kind).toBe('regressed');
    expect(cost.verdict.kind === 'regressed' && cost.verdict.basis).toBe('interval');
  }, 20_000);

  it('gates a results.json written by a run with the baseline settings', async () => {
    const { results } = await runScenarioFile(SCENARIO, { seed: 7, replications: 5, requestsPerDay: BASELINE_RPD, outDir: join(dir, 'run'), threads: 0 });
    expect(results.configurations.length).toBe(2);
    const report = await runGate({ target: join(dir, 'run', 'results.json'), baseline });
    expect(report.passed).toBe(true);
    expect(report.counts['no-change']).toBe(16);
  }, 20_000);

  it('refuses a baseline of another scenario (BenchError INCOMPARABLE → exit 2)', async () => {
    await expectBenchRejection(
      runGate({ target: OTHER, baseline, threads: 0 }),
      'INCOMPARABLE',
      'Cannot gate: the baseline is of scenario "gate-fixture" and the candidate of "gate-fixture-other". Gate a scenario against its own baseline.',
    );
  }, 20_000);

  it('refuses a missing baseline with how to make one', async () => {
    await expectBenchRejection(
      runGate({ target: SCENARIO, baseline: join(dir, 'nope.json') }),
      'USAGE',
      `Cannot read baseline ${join(dir, 'nope.json')}: no such file. Record one with \`bench baseline <scenario.ts>\`.`,
    );
  });
});

describe('candidateRequestsPerDay', () => {
  const run = { seed: 1, replications: 5, requestsPerDay: 20_000, scenarioRequestsPerDay: 100_000, durationHours: null, only: null };
  it('reruns the recorded override while the scenario traffic is unchanged', () => {
    expect(candidateRequestsPerDay(run, 100_000)).toBe(20_000);
  });
  it('scales the override with a change to the scenario traffic', () => {
    expect(candidateRequestsPerDay(run, 200_000)).toBe(40_000);
  });
  it('runs the scenario traffic when the baseline had no override', () => {
    expect(candidateRequestsPerDay({ ...run, requestsPerDay: null }, 200_000)).toBeUndefined();
  });
});
