/**
 * The gate: compares a candidate run with a baseline run of the same scenario, metric by metric
 * and configuration by configuration, and says whether the candidate made the agent slower,
 * costlier or worse by more than the allowed threshold — beyond the seed-to-seed noise.
 *
 * Pure: two results files in, a report out. Running scenarios and reading files is in run.ts.
 */
import { BenchError } from '../core/errors.ts';
import { headlineMetrics } from '../results/headline.ts';
import type { ConfigResult, Finding, ResultsFile } from '../results/schema.ts';
import { hashString, Rng } from '../core/random.ts';
import { mean } from 'simple-statistics';
import { bootstrapChange, relativeChange, type ChangeIntervals } from './bootstrap.ts';
import { configDifferences } from '../core/json-diff.ts';
import {
  DEFAULT_BOOTSTRAP_RESAMPLES,
  DEFAULT_GATE_CONFIDENCE,
  resolveThresholds,
  scenarioGateSection,
  type GatedMetric,
  type GateMetric,
  type Threshold,
  type ThresholdOverrides,
} from './thresholds.ts';

/** Options of `gate()`. */
export interface GateOptions {
  /** Per-metric thresholds over the scenario's `gate.thresholds` and the defaults; `null` turns a metric off. */
  thresholds?: ThresholdOverrides;
  /** Two-sided confidence of the intervals. @default the scenario's `gate.confidence`, else 0.95 */
  confidence?: number;
  /** Bootstrap resamples per configuration and metric. @default 10000 */
  resamples?: number;
  /** How the report names the baseline (e.g. its path). @default its scenario file */
  baselineLabel?: string;
  /** How the report names the candidate. @default its scenario file */
  candidateLabel?: string;
}

/** The point estimate of a change and, when both sides have replicates, its interval. */
interface ChangeEstimate {
  /** mean(candidate) / mean(baseline) − 1. */
  relative: number;
  /** mean(candidate) − mean(baseline), in the metric's unit. */
  absolute: number;
  /** Bootstrap intervals at the report's confidence; null for a single-run comparison. */
  interval: ChangeIntervals | null;
  /** Whether replicates were paired by seed (both sides ran the same seeds). */
  paired: boolean;
}

/**
 * The outcome of one metric in one configuration. `basis` says how a regression or improvement
 * was decided: 'interval' = the whole bootstrap interval lies beyond the threshold; 'single-run'
 * = one replicate a side (same seed), the plain difference lies beyond the threshold.
 */
export type Verdict =
  | { kind: 'regressed'; basis: 'interval' | 'single-run'; estimate: ChangeEstimate; reason: string }
  | { kind: 'improved'; basis: 'interval' | 'single-run'; estimate: ChangeEstimate; reason: string }
  | { kind: 'within-noise'; estimate: ChangeEstimate; reason: string }
  | { kind: 'no-change'; reason: string }
  | { kind: 'insufficient-data'; estimate: ChangeEstimate | null; reason: string }
  | { kind: 'incomparable'; reason: string };

/** The tag of a verdict. */
export type VerdictKind = Verdict['kind'];

/** Every verdict kind, in the order reports list them. */
export const VERDICT_KINDS: readonly VerdictKind[] = ['regressed', 'improved', 'within-noise', 'no-change', 'insufficient-data', 'incomparable'];

/** The values one side contributed to a row: one per replicate (seed). */
interface Sample {
  values: number[];
  seeds: number[];
  mean: number;
}

/** One configuration × metric of the report. */
export interface GateRow {
  config: string;
  metric: GateMetric;
  direction: 'lower' | 'higher';
  threshold: Threshold;
  baseline: Sample | null;
  candidate: Sample | null;
  verdict: Verdict;
}

/** Facts about one side of the comparison. */
interface GateRunFacts {
  label: string;
  configHash: string;
  seed: number;
  replications: number;
  createdAt: string;
  gitCommit: string | null;
}

/** Everything the gate decided, rendered by format.ts as a table, Markdown or JUnit. */
export interface GateReport {
  scenario: string;
  /** False when any row regressed. */
  passed: boolean;
  confidence: number;
  resamples: number;
  metrics: GatedMetric[];
  baseline: GateRunFacts;
  candidate: GateRunFacts;
  /** Paths of the resolved scenario that differ (the change under test), e.g. `traffic.requestsPerDay: 20000 → 40000`. */
  scenarioChanges: string[];
  /** Caveats about how to read the report. */
  notes: string[];
  rows: GateRow[];
  counts: Record<VerdictKind, number>;
  /** What the candidate run says (its findings records), for the Markdown report; absent when not computed. */
  findings?: Finding[];
}

/** Exit code of `bench gate` for a report: 0 pass, 1 regression (incomparable inputs throw, exit 2). */
export function exitCodeFor(report: GateReport): 0 | 1 {
  return report.passed ? 0 : 1;
}

/** Seed of the bootstrap's generator; a constant so reports are reproducible. */
const BOOTSTRAP_SEED = 0x6a7e;

/**
 * Gates `candidate` against `baseline`. Throws BenchError('INCOMPARABLE') when the two runs
 * cannot be compared at all (different scenario, schema version or mode, single runs with
 * different seeds, different replication counts when either side ran only one, or no
 * configuration in common).
 */
export function gate(candidate: ResultsFile, baseline: ResultsFile, options: GateOptions = {}): GateReport {
  checkComparable(candidate, baseline);
  // the thresholds are the baseline's: a change must not loosen its own gate
  const section = scenarioGateSection(baseline.scenario.config);
  const metrics = resolveThresholds(section.thresholds, options.thresholds);
  const confidence = options.confidence ?? section.confidence ?? DEFAULT_GATE_CONFIDENCE;
  if (!(confidence > 0 && confidence < 1)) throw new BenchError('USAGE', `confidence must be between 0 and 1 (exclusive), received ${confidence}.`);
  const resamples = options.resamples ?? DEFAULT_BOOTSTRAP_RESAMPLES;
  if (!Number.isInteger(resamples) || resamples < 1) throw new BenchError('USAGE', `resamples must be a positive integer, received ${resamples}.`);

  const baseByName = new Map(baseline.configurations.map((c) => [c.name, c]));
  const candByName = new Map(candidate.configurations.map((c) => [c.name, c]));
  const names = [...baseline.configurations.map((c) => c.name), ...candidate.configurations.map((c) => c.name).filter((n) => !baseByName.has(n))];

  const rows: GateRow[] = [];
  for (const name of names) {
    const b = baseByName.get(name);
    const c = candByName.get(name);
    for (const m of metrics) {
      const row = { config: name, metric: m.metric, direction: m.direction, threshold: m.threshold };
      if (b === undefined || c === undefined) {
        const only = b === undefined ? 'candidate' : 'baseline';
        rows.push({
          ...row,
          baseline: b ? sampleOf(b, m.metric) : null,
          candidate: c ? sampleOf(c, m.metric) : null,
          verdict: { kind: 'incomparable', reason: `configuration only in the ${only} run` },
        });
        continue;
      }
      const bs = sampleOf(b, m.metric);
      const cs = sampleOf(c, m.metric);
      // a metric neither run has (both written before it existed) is not a row at all
      if (!bs.values.some(Number.isFinite) && !cs.values.some(Number.isFinite)) continue;
      const rng = new Rng(hashString(`${name}\u0000${m.metric}`, BOOTSTRAP_SEED));
      rows.push({ ...row, baseline: bs, candidate: cs, verdict: decide(bs, cs, m, { confidence, resamples, rng }) });
    }
  }

  const counts = Object.fromEntries(VERDICT_KINDS.map((k) => [k, 0])) as Record<VerdictKind, number>;
  for (const r of rows) counts[r.verdict.kind]++;
  return {
    scenario: candidate.scenario.name,
    passed: counts.regressed === 0,
    confidence,
    resamples,
    metrics,
    baseline: facts(baseline, options.baselineLabel),
    candidate: facts(candidate, options.candidateLabel),
    scenarioChanges: configDifferences(baseline.scenario.config, candidate.scenario.config),
    notes: notesFor(candidate, baseline, rows),
    rows,
    counts,
  };
}

function facts(results: ResultsFile, label: string | undefined): GateRunFacts {
  return {
    label: label ?? results.scenario.file,
    configHash: results.scenario.configHash,
    seed: results.seed,
    replications: results.replications,
    createdAt: results.createdAt,
    gitCommit: results.code.gitCommit,
  };
}

/** The values of `metric` in a configuration: every replicate's, or the main figures' when not replicated. */
function sampleOf(config: ConfigResult, metric: GateMetric): Sample {
  const reps = config.replicates;
  // NaN for a metric the run does not have (results written before the metric existed)
  const values = reps && reps.length > 0 ? reps.map((r) => r.metrics[metric] ?? NaN) : [headlineMetrics(config)[metric] ?? NaN];
  const seeds = reps && reps.length > 0 ? reps.map((r) => r.seed) : [config.seed];
  return { values, seeds, mean: mean(values) };
}

function sameValues(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  const sa = [...a].sort((x, y) => x - y);
  const sb = [...b].sort((x, y) => x - y);
  return sa.every((v, i) => v === sb[i]);
}

function sameSeeds(a: Sample, b: Sample): boolean {
  return a.seeds.length === b.seeds.length && a.seeds.every((s, i) => s === b.seeds[i]);
}

/** A change's size: relative (ratio of means − 1) and absolute (in the metric's unit). */
interface Change {
  relative: number;
  absolute: number;
}

/** How a metric's changes are judged: as worsenings (positive = worse) against its threshold. */
interface WorseningRule {
  /** +1 when lower is better, −1 when higher is. */
  sign: number;
  /** The worsening of a change. */
  worse(relative: number, absolute: number): Change;
  /** Whether a worsening exceeds every threshold set. */
  beyond(w: Change): boolean;
  allowedText: string;
}

function worseningRule(gated: Pick<GatedMetric, 'metric' | 'direction' | 'threshold'>): WorseningRule {
  const sign = gated.direction === 'lower' ? 1 : -1;
  const { relative: relAllowed, absolute: absAllowed } = gated.threshold;
  return {
    sign,
    worse: (relative, absolute) => ({ relative: sign * relative, absolute: sign * absolute }),
    beyond: (w) => (relAllowed === undefined || w.relative > relAllowed) && (absAllowed === undefined || w.absolute > absAllowed),
    allowedText: describeAllowed(gated.threshold, gated.metric),
  };
}

/**
 * The verdict of one metric. Changes are turned into "worsening" (positive = worse) so one rule
 * serves lower-is-better and higher-is-better metrics. With thresholds both relative and
 * absolute, a change must exceed both.
 */
function decide(
  baseline: Sample,
  candidate: Sample,
  gated: Pick<GatedMetric, 'metric' | 'direction' | 'threshold'>,
  options: { confidence: number; resamples: number; rng: Rng },
): Verdict {
  if (!baseline.values.some(Number.isFinite) && candidate.values.every(Number.isFinite)) {
    return { kind: 'incomparable', reason: 'not in the baseline (recorded before this metric existed); re-record the baseline to gate it' };
  }
  if (![...baseline.values, ...candidate.values].every(Number.isFinite)) {
    return { kind: 'incomparable', reason: 'a value is missing or not finite' };
  }
  if (sameValues(baseline.values, candidate.values)) {
    return { kind: 'no-change', reason: baseline.values.length > 1 ? 'identical values for every seed' : 'identical value' };
  }
  const rule = worseningRule(gated);
  const paired = sameSeeds(baseline, candidate);
  const point = { relative: relativeChange(baseline.mean, candidate.mean), absolute: candidate.mean - baseline.mean };
  if (baseline.values.length < 2 || candidate.values.length < 2) return singleRunVerdict(point, paired, gated.metric, rule);

  const interval = bootstrapChange(baseline.values, candidate.values, { ...options, paired });
  const estimate: ChangeEstimate = { ...point, interval, paired };
  const { sign, worse, beyond, allowedText } = rule;
  // the interval of the worsening: the worst end is `hi` for lower-is-better, `lo` for higher-is-better
  const best = worse(sign > 0 ? interval.relative.lo : interval.relative.hi, sign > 0 ? interval.absolute.lo : interval.absolute.hi);
  const worst = worse(sign > 0 ? interval.relative.hi : interval.relative.lo, sign > 0 ? interval.absolute.hi : interval.absolute.lo);
  const ci = `${Math.round(options.confidence * 100)}% CI ${describeInterval(interval, gated)}`;
  const change = describeChange(point, gated.metric);
  if (beyond(best)) {
    return {
      kind: 'regressed',
      basis: 'interval',
      estimate,
      reason: `${change} (${ci}): worse by more than the allowed ${allowedText} across the whole interval`,
    };
  }
  if (beyond({ relative: -worst.relative, absolute: -worst.absolute })) {
    return { kind: 'improved', basis: 'interval', estimate, reason: `${change} (${ci}): better by more than ${allowedText} across the whole interval` };
  }
  return { kind: 'within-noise', estimate, reason: `${change} (${ci}): the interval reaches within ${allowedText}` };
}

/**
 * One replicate a side: no noise estimate. The sim is deterministic per seed and gate() only gets
 * here with equal seeds, so a difference beyond the threshold is a real effect of the change at
 * that seed; within it, we cannot tell noise from a small effect.
 */
function singleRunVerdict(point: Change, paired: boolean, metric: GateMetric, rule: WorseningRule): Verdict {
  const estimate: ChangeEstimate = { ...point, interval: null, paired };
  const change = describeChange(point, metric);
  const { worse, beyond, allowedText } = rule;
  if (beyond(worse(point.relative, point.absolute))) {
    return {
      kind: 'regressed',
      basis: 'single-run',
      estimate,
      reason: `${change} on one seed, beyond the allowed ${allowedText} (no noise estimate: run with --replications ≥ 2)`,
    };
  }
  if (beyond(worse(-point.relative, -point.absolute))) {
    return { kind: 'improved', basis: 'single-run', estimate, reason: `${change} on one seed, better by more than ${allowedText}` };
  }
  return { kind: 'insufficient-data', estimate, reason: `${change} on one seed, within ${allowedText}; one replicate a side gives no noise estimate` };
}

/** `+5%`, `+0.02`, `+5% and +0.02` — the allowed worsening in words. */
export function describeAllowed(threshold: Threshold, metric: GateMetric): string {
  const parts: string[] = [];
  if (threshold.relative !== undefined) parts.push(`${formatPercent(threshold.relative)}`);
  if (threshold.absolute !== undefined) parts.push(formatAbsolute(threshold.absolute, metric));
  return parts.join(' and ');
}

/** The relative change when the metric is judged relatively, else the absolute one (both when both). */
function describeChange(point: { relative: number; absolute: number }, metric: GateMetric): string {
  return `${signedPercent(point.relative)} (${signedAbsolute(point.absolute, metric)})`;
}

/** The interval of the change in the unit the threshold uses (relative first). */
export function describeInterval(interval: ChangeIntervals, gated: Pick<GatedMetric, 'metric' | 'threshold'>): string {
  const rel = `${signedPercent(interval.relative.lo)} to ${signedPercent(interval.relative.hi)}`;
  const abs = `${signedAbsolute(interval.absolute.lo, gated.metric)} to ${signedAbsolute(interval.absolute.hi, gated.metric)}`;
  if (gated.threshold.relative !== undefined && gated.threshold.absolute !== undefined) return `${rel}; ${abs}`;
  return gated.threshold.absolute !== undefined ? abs : rel;
}

function formatPercent(share: number): string {
  return `${Number((share * 100).toFixed(2))}%`;
}

function signedPercent(share: number): string {
  if (share === Infinity) return '+∞%';
  if (share === -Infinity) return '−∞%';
  const pct = share * 100;
  const digits = Math.abs(pct) >= 10 ? 1 : 2;
  return `${pct >= 0 ? '+' : '−'}${Math.abs(pct).toFixed(digits)}%`;
}

/** Shares (quality, error rate) in percentage points; others in their unit. */
function formatAbsolute(value: number, metric: GateMetric): string {
  if (metric === 'quality' || metric === 'errorRate') return `${Number((value * 100).toFixed(2))} pp`;
  if (metric.endsWith('Usd')) return `$${Number(value.toPrecision(4))}`;
  if (metric.endsWith('Ms')) return `${Number(value.toFixed(1))} ms`;
  return `${Number(value.toPrecision(4))}`;
}

function signedAbsolute(value: number, metric: GateMetric): string {
  return `${value >= 0 ? '+' : '−'}${formatAbsolute(Math.abs(value), metric)}`;
}

/** Throws BenchError('INCOMPARABLE') when no comparison of the two runs would mean anything. */
function checkComparable(candidate: ResultsFile, baseline: ResultsFile): void {
  const fail = (reason: string): never => {
    throw new BenchError('INCOMPARABLE', `Cannot gate: ${reason}`);
  };
  if ((candidate.schemaVersion as number) !== (baseline.schemaVersion as number)) {
    fail(
      `the baseline has results schemaVersion ${baseline.schemaVersion} and the candidate ${candidate.schemaVersion}. Re-record the baseline with this version (bench baseline <scenario.ts>).`,
    );
  }
  if (candidate.scenario.name !== baseline.scenario.name) {
    fail(
      `the baseline is of scenario "${baseline.scenario.name}" and the candidate of "${candidate.scenario.name}". Gate a scenario against its own baseline.`,
    );
  }
  if (candidate.mode !== baseline.mode) {
    fail(`the baseline is a ${baseline.mode} run and the candidate a ${candidate.mode} run; simulated and live numbers are not measured the same way.`);
  }
  const rb = baseline.replications;
  const rc = candidate.replications;
  if (rb !== rc && Math.min(rb, rc) < 2) {
    fail(
      `the baseline ran ${rb} replication${rb === 1 ? '' : 's'} per configuration and the candidate ${rc}; a single run can only be compared with a single run. Run the candidate with --replications ${rb}.`,
    );
  }
  if (rb === 1 && rc === 1 && baseline.seed !== candidate.seed) {
    fail(
      `the baseline ran seed ${baseline.seed} and the candidate seed ${candidate.seed}, one replication each; without replicates the difference would be seed noise. Run the candidate with --seed ${baseline.seed}, or both with --replications ≥ 2.`,
    );
  }
  const candidateNames = new Set(candidate.configurations.map((c) => c.name));
  if (!baseline.configurations.some((c) => candidateNames.has(c.name))) {
    const list = (r: ResultsFile) => (r.configurations.length === 0 ? '(none)' : r.configurations.map((c) => `"${c.name}"`).join(', '));
    fail(`no configuration is in both runs (baseline: ${list(baseline)}; candidate: ${list(candidate)}).`);
  }
}

function notesFor(candidate: ResultsFile, baseline: ResultsFile, rows: GateRow[]): string[] {
  const notes: string[] = [];
  if (candidate.scenario.configHash !== baseline.scenario.configHash) {
    notes.push(
      `The scenario differs from the baseline's (config hash ${baseline.scenario.configHash} → ${candidate.scenario.configHash}); the changes listed are what the gate measures.`,
    );
  }
  if (candidate.replications !== baseline.replications) {
    notes.push(`The baseline ran ${baseline.replications} replications and the candidate ${candidate.replications}.`);
  }
  if (candidate.replications >= 2 && rows.some((r) => 'estimate' in r.verdict && r.verdict.estimate !== null && !r.verdict.estimate.paired)) {
    notes.push('Some replicates ran different seeds in the two runs, so they were compared unpaired (wider intervals).');
  }
  if (baseline.machine.cpuModel !== candidate.machine.cpuModel && baseline.mode === 'live') {
    notes.push('The live runs come from different machines.');
  }
  const missing = [...baseline.missing.map((n) => `baseline: ${n}`), ...candidate.missing.map((n) => `candidate: ${n}`)];
  if (missing.length > 0) notes.push(`Configurations that did not finish: ${missing.join('; ')}.`);
  return notes;
}
