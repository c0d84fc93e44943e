/**
 * How often the gate cries wolf: A/A comparisons of a scenario with itself, on disjoint seed
 * sets. Nothing changed, so every 'regressed' verdict is a false alarm.
 */
import type { ResultsFile } from '../results/schema.ts';
import { runScenarioFile } from '../sweep/run.ts';
import { gate } from './gate.ts';
import type { GateMetric, ThresholdOverrides } from './thresholds.ts';

/** Options of `measureFalseAlarmRate`. */
export interface FalseAlarmOptions {
  /** Scenario file. */
  scenario: string;
  /** A/A comparisons to make. */
  trials: number;
  /** Seeds a side in each comparison (as in a baseline). */
  replications: number;
  /** Traffic override (small keeps it quick). @default the scenario's */
  requestsPerDay?: number;
  /** Only configurations whose name contains this. @default all */
  only?: string;
  /** First seed; trial t compares seeds first+2tR … first+2tR+R−1 with the next R. @default 1 */
  seed?: number;
  thresholds?: ThresholdOverrides;
  confidence?: number;
  resamples?: number;
  threads?: number;
}

/** What the A/A comparisons found. */
export interface FalseAlarmResult {
  trials: number;
  /** Trials in which any configuration × metric was 'regressed'. */
  falseAlarms: number;
  /** falseAlarms / trials. */
  rate: number;
  /** Configuration × metric checks made per trial. */
  checksPerTrial: number;
  /** Regressed checks by metric, over all trials. */
  regressedByMetric: Partial<Record<GateMetric, number>>;
  wallMs: number;
}

/**
 * Runs the scenario once for 2 × trials × replications consecutive seeds and gates each block
 * of `replications` seeds against the next (disjoint seeds, the same scenario): the share of
 * trials with any regression is the gate's false-alarm rate at these settings.
 */
export async function measureFalseAlarmRate(options: FalseAlarmOptions): Promise<FalseAlarmResult> {
  const started = performance.now();
  const r = options.replications;
  const first = options.seed ?? 1;
  const { results } = await runScenarioFile(options.scenario, {
    noWrite: true,
    seed: first,
    replications: 2 * options.trials * r,
    ...(options.requestsPerDay !== undefined ? { requestsPerDay: options.requestsPerDay } : {}),
    ...(options.only !== undefined ? { only: options.only } : {}),
    ...(options.threads !== undefined ? { threads: options.threads } : {}),
  });
  let falseAlarms = 0;
  let checksPerTrial = 0;
  const regressedByMetric: Partial<Record<GateMetric, number>> = {};
  for (let t = 0; t < options.trials; t++) {
    const a = seedBlock(results, 2 * t * r, r);
    const b = seedBlock(results, (2 * t + 1) * r, r);
    const report = gate(b, a, {
      ...(options.thresholds !== undefined ? { thresholds: options.thresholds } : {}),
      ...(options.confidence !== undefined ? { confidence: options.confidence } : {}),
      ...(options.resamples !== undefined ? { resamples: options.resamples } : {}),
    });
    checksPerTrial = report.rows.length;
    if (!report.passed) falseAlarms++;
    for (const row of report.rows) {
      if (row.verdict.kind === 'regressed') regressedByMetric[row.metric] = (regressedByMetric[row.metric] ?? 0) + 1;
    }
  }
  return {
    trials: options.trials,
    falseAlarms,
    rate: options.trials === 0 ? 0 : falseAlarms / options.trials,
    checksPerTrial,
    regressedByMetric,
    wallMs: performance.now() - started,
  };
}

/** The run as if it had run only `count` seeds starting at replicate `start`. */
function seedBlock(results: ResultsFile, start: number, count: number): ResultsFile {
  const configurations = results.configurations.map((c) => {
    const replicates = (c.replicates ?? []).slice(start, start + count);
    return { ...c, seed: replicates[0]?.seed ?? c.seed, replicates };
  });
  return { ...results, seed: configurations[0]?.seed ?? results.seed, replications: count, configurations };
}
