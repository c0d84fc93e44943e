/**
 * What the gate checks and how much worsening it allows: the default thresholds (defined once,
 * here), the scenario's `gate` section, and `--threshold` flags, resolved in that order.
 */
import { BenchError } from '../core/errors.ts';
import { METRIC_DIRECTION } from '../results/headline.ts';
import type { HeadlineMetrics } from '../results/schema.ts';
import { GateSchema } from '../scenario/schema.ts';

/** A headline metric the gate can check. */
export type GateMetric = keyof HeadlineMetrics;

/**
 * Allowed worsening of one metric: `relative` as a share of the baseline (0.05 = 5%) and/or
 * `absolute` in the metric's unit (0.02 of quality = 2 percentage points). When both are set,
 * a change must exceed both to count (the relative part keeps big numbers honest, the absolute
 * part keeps ratios of tiny numbers — 0.1% → 0.2% errors is +100% — from failing the build).
 */
export interface Threshold {
  relative?: number;
  absolute?: number;
}

/**
 * The metrics gated by default and the worsening each may show before the gate fails.
 *
 * - cost per day, 5%: for a fixed workload cost is tokens × price, so a real change (a model
 *   swap, a longer prompt, a lower cache hit rate) moves it by far more than 5%, and 5% of a
 *   monthly LLM bill is what a team would want to hear about.
 * - e2e p95 and TTFT p95, 10%: tail latencies move with queueing and model speed; 10% is the
 *   smallest slowdown a user-facing SLO discussion usually cares about.
 * - e2e p99, 15%: the far tail rests on few requests at CI traffic and is the noisiest figure.
 * - quality, 2 points absolute: a share of correct answers; relative thresholds on shares read
 *   oddly, and two points of correctness is a visible drop in an eval.
 * - error rate, 1 point absolute: the baseline is often 0, where any relative threshold is
 *   meaningless; one request in a hundred failing more is a clear regression.
 *
 * Other headline metrics (cost per request, p50s, queue wait, peak req/s) follow from these or
 * describe the workload rather than the agent; gate them with the scenario's `gate.thresholds`
 * or `--threshold`.
 */
export const DEFAULT_GATE_THRESHOLDS: Readonly<Partial<Record<GateMetric, Readonly<Threshold>>>> = Object.freeze({
  costPerDayUsd: Object.freeze({ relative: 0.05 }),
  e2eP95Ms: Object.freeze({ relative: 0.1 }),
  e2eP99Ms: Object.freeze({ relative: 0.15 }),
  ttftP95Ms: Object.freeze({ relative: 0.1 }),
  itlP95Ms: Object.freeze({ relative: 0.1 }),
  tpotP95Ms: Object.freeze({ relative: 0.1 }),
  quality: Object.freeze({ absolute: 0.02 }),
  errorRate: Object.freeze({ absolute: 0.01 }),
});

/** Confidence level of the bootstrap intervals. @default 0.95 */
export const DEFAULT_GATE_CONFIDENCE = 0.95;
/** Bootstrap resamples per configuration and metric; the expanded tails at 5 seeds sit near 0.1%, so ~10 resamples lie beyond each end. */
export const DEFAULT_BOOTSTRAP_RESAMPLES = 10_000;
/** Seeds per configuration in a baseline when neither the flag nor the scenario's `gate.replications` says. */
export const DEFAULT_BASELINE_REPLICATIONS = 5;

/** Per-metric thresholds given by a caller; `null` turns a default-gated metric off. */
export type ThresholdOverrides = Partial<Record<GateMetric, Threshold | null>>;

/** One gated metric, resolved. */
export interface GatedMetric {
  metric: GateMetric;
  direction: 'lower' | 'higher';
  threshold: Threshold;
  /** Where the threshold came from. */
  source: 'default' | 'scenario' | 'option';
}

const METRICS = Object.keys(METRIC_DIRECTION) as GateMetric[];

/** True when `name` is a headline metric the gate can check. */
export function isGateMetric(name: string): name is GateMetric {
  return (METRICS as string[]).includes(name);
}

function checkThreshold(where: string, threshold: Threshold): Threshold {
  const out: Threshold = {};
  for (const key of ['relative', 'absolute'] as const) {
    const value = threshold[key];
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new BenchError('USAGE', `${where}.${key}: expected a number ≥ 0, received ${JSON.stringify(value)}.`);
    }
    out[key] = value;
  }
  if (out.relative === undefined && out.absolute === undefined) {
    throw new BenchError('USAGE', `${where}: give \`relative\` (0.05 = 5%) and/or \`absolute\` (in the metric's unit).`);
  }
  return out;
}

/** The scenario's `gate` section as recorded in a results file (`scenario.config.gate`); empty when absent. */
export function scenarioGateSection(config: unknown): { thresholds?: Record<string, Threshold>; replications?: number; confidence?: number } {
  const gate = typeof config === 'object' && config !== null ? (config as { gate?: unknown }).gate : undefined;
  const parsed = GateSchema.safeParse(gate ?? {});
  return parsed.success ? parsed.data : {};
}

/**
 * The gated metrics: defaults, replaced metric by metric by the scenario's `gate.thresholds`,
 * then by `overrides` (where `null` drops a metric). Throws BenchError('USAGE') on unknown metrics.
 */
export function resolveThresholds(scenarioThresholds: Record<string, Threshold> | undefined, overrides: ThresholdOverrides = {}): GatedMetric[] {
  const chosen = new Map<GateMetric, { threshold: Threshold; source: GatedMetric['source'] }>();
  for (const [metric, threshold] of Object.entries(DEFAULT_GATE_THRESHOLDS) as Array<[GateMetric, Threshold]>) {
    chosen.set(metric, { threshold: { ...threshold }, source: 'default' });
  }
  for (const [name, threshold] of Object.entries(scenarioThresholds ?? {})) {
    if (!isGateMetric(name)) throw new BenchError('USAGE', unknownMetric(`gate.thresholds: "${name}"`));
    chosen.set(name, { threshold: checkThreshold(`gate.thresholds.${name}`, threshold), source: 'scenario' });
  }
  for (const [name, threshold] of Object.entries(overrides) as Array<[string, Threshold | null | undefined]>) {
    if (!isGateMetric(name)) throw new BenchError('USAGE', unknownMetric(`--threshold: "${name}"`));
    if (threshold === undefined) continue;
    if (threshold === null) chosen.delete(name);
    else chosen.set(name, { threshold: checkThreshold(`--threshold ${name}`, threshold), source: 'option' });
  }
  if (chosen.size === 0) throw new BenchError('USAGE', 'Every metric is turned off; the gate has nothing to check. Keep at least one metric.');
  // report in the fixed headline order, whatever order the sources listed them in
  return METRICS.filter((m) => chosen.has(m)).map((metric) => ({ metric, direction: METRIC_DIRECTION[metric], ...chosen.get(metric)! }));
}

function unknownMetric(what: string): string {
  return `${what} is not a metric the gate knows. Gateable metrics: ${METRICS.join(', ')}.`;
}

/**
 * Parses one `--threshold` flag: `metric=5%` (relative), `metric=0.02` (absolute, in the
 * metric's unit), `metric=5%,0.02` (both must be exceeded), or `metric=off`.
 */
export function parseThresholdFlag(text: string): [GateMetric, Threshold | null] {
  const eq = text.indexOf('=');
  const usage = `--threshold ${JSON.stringify(text)}: expected metric=5% (relative), metric=0.02 (absolute, in the metric's unit), metric=5%,0.02 (both) or metric=off.`;
  if (eq <= 0) throw new BenchError('USAGE', usage);
  const name = text.slice(0, eq).trim();
  const value = text.slice(eq + 1).trim();
  if (!isGateMetric(name)) throw new BenchError('USAGE', unknownMetric(`--threshold: "${name}"`));
  if (value === 'off') return [name, null];
  const threshold: Threshold = {};
  for (const part of value.split(',').map((p) => p.trim())) {
    const relative = part.endsWith('%');
    const number = Number(relative ? part.slice(0, -1) : part);
    if (part === '' || part === '%' || !Number.isFinite(number) || number < 0) throw new BenchError('USAGE', usage);
    const key = relative ? 'relative' : 'absolute';
    if (threshold[key] !== undefined) throw new BenchError('USAGE', usage);
    threshold[key] = relative ? number / 100 : number;
  }
  return [name, threshold];
}
