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
  /** A/A comparisons to make (at most, with `budgetMs`). */
  trials: number;
  /**
   * Stop starting new batches of trials once this much wall time has passed (the soak's bound on
   * a busy machine); the result then holds the trials made, each as independent as before.
   * @default no limit
   */
  budgetMs?: number;
  /** Trials simulated per batch (one run of 2 × batch × replications seeds). @default 10 */
  batch?: number;
  /** Seeds a side in each comparison (as in a baseline). */
  replications: number;
  /** Traffic override (small keeps it quick). @default the scenario's */
  requestsPerDay?: number;
  /** Only the configurations this names (as `bench run --only`). @default all */
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
  /** Trials made (fewer than asked when the budget ran out). */
  trials: number;
  /** Trials in which any configuration × metric was 'regressed'. */
  falseAlarms: number;
  /** falseAlarms / trials. */
  rate: number;
  /** Exact (Clopper–Pearson) 95% interval of the rate from `trials` independent trials. */
  rateInterval95: [number, number];
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
  const batch = Math.max(1, options.batch ?? 10);
  let falseAlarms = 0;
  let checksPerTrial = 0;
  let trials = 0;
  const regressedByMetric: Partial<Record<GateMetric, number>> = {};
  while (trials < options.trials && (options.budgetMs === undefined || performance.now() - started < options.budgetMs)) {
    const n = Math.min(batch, options.trials - trials);
    // trial t compares seeds first+2tR … with the next R, whichever batch it falls in
    const { results } = await runScenarioFile(options.scenario, {
      noWrite: true,
      seed: first + 2 * trials * r,
      replications: 2 * n * r,
      ...(options.requestsPerDay !== undefined ? { requestsPerDay: options.requestsPerDay } : {}),
      ...(options.only !== undefined ? { only: options.only } : {}),
      ...(options.threads !== undefined ? { threads: options.threads } : {}),
    });
    for (let t = 0; t < n; t++) {
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
    trials += n;
  }
  return {
    trials,
    falseAlarms,
    rate: trials === 0 ? 0 : falseAlarms / trials,
    rateInterval95: clopperPearson95(falseAlarms, trials),
    checksPerTrial,
    regressedByMetric,
    wallMs: performance.now() - started,
  };
}

/**
 * The exact binomial 95% interval of k successes in n trials (Clopper–Pearson), by bisection on
 * the binomial tails: 0 alarms in 40 trials bound the rate below 8.8%, in 100 below 3.6%.
 */
export function clopperPearson95(k: number, n: number): [number, number] {
  if (n === 0) return [0, 1];
  const tail = (p: number, from: number) => {
    // P(X ≥ from) for X ~ Binomial(n, p)
    let sum = 0;
    let term = (1 - p) ** n;
    for (let i = 0; i <= n; i++) {
      if (i >= from) sum += term;
      term *= ((n - i) / (i + 1)) * (p / (1 - p));
    }
    return sum;
  };
  const solve = (f: (p: number) => number) => {
    let lo = 0;
    let hi = 1;
    for (let i = 0; i < 60; i++) {
      const mid = (lo + hi) / 2;
      if (f(mid) < 0) lo = mid;
      else hi = mid;
    }
    return (lo + hi) / 2;
  };
  // lower: P(X ≥ k | p) = 2.5%; upper: P(X ≤ k | p) = 2.5%
  const lower = k === 0 ? 0 : solve((p) => tail(p, k) - 0.025);
  const upper = k === n ? 1 : solve((p) => 0.025 - (1 - tail(p, k + 1)));
  return [lower, upper];
}

/** The run as if it had run only `count` seeds starting at replicate `start`. */
function seedBlock(results: ResultsFile, start: number, count: number): ResultsFile {
  const configurations = results.configurations.map((c) => {
    const replicates = (c.replicates ?? []).slice(start, start + count);
    return { ...c, seed: replicates[0]?.seed ?? c.seed, replicates };
  });
  return { ...results, seed: configurations[0]?.seed ?? results.seed, replications: count, configurations };
}
