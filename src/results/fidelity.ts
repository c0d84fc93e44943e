/** Simulation against live: per metric, the simulated value, the live value and their difference. */
import type { ConfigResult, ResultsFile } from './schema.ts';
import type { ValidityRecord } from './validity.ts';

/** One row of the fidelity table. */
export interface FidelityRow {
  config: string;
  metric: string;
  sim: number;
  live: number;
  /** (live − sim) / sim; null when sim is 0. */
  diff: number | null;
}

const METRICS: Array<[string, (c: ConfigResult) => number]> = [
  ['requests', (c) => c.requests.total],
  ['input tokens', (c) => sum(c, 'inputTokens')],
  ['cached input tokens', (c) => sum(c, 'cachedInputTokens')],
  ['output tokens', (c) => sum(c, 'outputTokens')],
  ['cost/day (USD)', (c) => c.cost.perDayUsd],
  ['e2e p50 (ms)', (c) => c.latencyMs.e2e.p50],
  ['e2e p95 (ms)', (c) => c.latencyMs.e2e.p95],
  ['TTFT p50 (ms)', (c) => c.latencyMs.ttft.p50],
  ['TTFT p95 (ms)', (c) => c.latencyMs.ttft.p95],
  ['ITL p50 (ms)', (c) => c.latencyMs.itl?.p50 ?? 0],
  ['ITL p95 (ms)', (c) => c.latencyMs.itl?.p95 ?? 0],
  ['TPOT p50 (ms)', (c) => c.latencyMs.tpot?.p50 ?? 0],
  ['TPOT p95 (ms)', (c) => c.latencyMs.tpot?.p95 ?? 0],
  ['queue wait p95 (ms)', (c) => c.latencyMs.queueWait.p95],
  ['quality', (c) => c.quality.share],
];

function sum(c: ConfigResult, key: 'inputTokens' | 'cachedInputTokens' | 'outputTokens'): number {
  return Object.values(c.cost.byModel).reduce((s, u) => s + u[key], 0);
}

/** Rows for every configuration present in both runs. */
export function fidelityRows(sim: ResultsFile, live: ResultsFile): FidelityRow[] {
  const rows: FidelityRow[] = [];
  for (const l of live.configurations) {
    const s = sim.configurations.find((c) => c.name === l.name);
    if (s === undefined) continue;
    for (const [metric, f] of METRICS) {
      const a = f(s);
      const b = f(l);
      rows.push({ config: l.name, metric, sim: a, live: b, diff: a === 0 ? (b === 0 ? 0 : null) : (b - a) / a });
    }
  }
  return rows;
}

/** The table as Markdown (for BENCHMARKS.md and the terminal). */
export function fidelityMarkdown(rows: FidelityRow[]): string {
  const fmt = (v: number) => (Math.abs(v) >= 100 ? Math.round(v).toLocaleString('en-US') : v.toFixed(Math.abs(v) < 1 ? 4 : 2));
  const lines = ['| configuration | metric | simulated | live | difference |', '|---|---|---:|---:|---:|'];
  for (const r of rows) {
    lines.push(`| ${r.config} | ${r.metric} | ${fmt(r.sim)} | ${fmt(r.live)} | ${r.diff === null ? 'n/a' : `${(r.diff * 100).toFixed(1)}%`} |`);
  }
  return lines.join('\n');
}

/**
 * How far a live figure may sit from the simulation of the same configuration (|live − sim| / sim)
 * before the live run is invalid. Against the mock-llm bench starts, the simulator models the
 * target exactly (same latency model, tokens, prices and quality function): tokens, cost and
 * quality agree exactly, and on an idle box latency medians agree within 10% (test/live). 25%
 * leaves room for a busy box's jitter, and still flags a generator that fell behind (a 500×
 * run on a loaded box was TTFT +4289%).
 */
const SIM_DIVERGENCE_LIMIT = 0.25;

/** The figures the divergence check compares: medians (not tails) and totals. */
const DIVERGENCE_METRICS: Array<[string, (c: ConfigResult) => number | undefined]> = [
  ['e2e p50', (c) => c.latencyMs.e2e.p50],
  ['TTFT p50', (c) => c.latencyMs.ttft.p50],
  ['TPOT p50', (c) => c.latencyMs.tpot?.p50],
  ['ITL p50', (c) => c.latencyMs.itl?.p50],
  ['output tokens', (c) => sum(c, 'outputTokens')],
  ['cost/day', (c) => c.cost.perDayUsd],
  ['quality', (c) => c.quality.share],
];

/** The target a live run starts itself (its simulation is the target's model). */
export const OWN_MOCK_TARGET = 'mock-llm (started by bench)';

/**
 * The `sim-divergence` validity record of a live configuration against its simulation: the
 * largest relative difference over `DIVERGENCE_METRICS`. It invalidates a run against the mock
 * bench started; against another target the simulation is only a model of it, so the record
 * says how far off the model is and leaves the run valid.
 */
export function simDivergence(sim: ConfigResult, live: ConfigResult): ValidityRecord {
  let worst = 0;
  const beyond: string[] = [];
  for (const [metric, f] of DIVERGENCE_METRICS) {
    const a = f(sim);
    const b = f(live);
    if (a === undefined || b === undefined) continue;
    const d = a === 0 ? (b === 0 ? 0 : Infinity) : Math.abs(b - a) / Math.abs(a);
    worst = Math.max(worst, d);
    if (d > SIM_DIVERGENCE_LIMIT) beyond.push(`${metric} ${b >= a ? '+' : '−'}${d === Infinity ? '∞' : (d * 100).toFixed(0)}%`);
  }
  const ownMock = live.live?.target === OWN_MOCK_TARGET;
  const limit = `${SIM_DIVERGENCE_LIMIT * 100}%`;
  const message =
    beyond.length === 0
      ? `live within ${limit} of the simulation on every compared figure (largest difference ${(worst * 100).toFixed(1)}%)`
      : `live differs from the simulation by more than ${limit}: ${beyond.join(', ')}${ownMock ? '' : ' (an external target: the simulation is only its model, so this does not invalidate the run)'}`;
  return { kind: 'sim-divergence', valid: beyond.length === 0 || !ownMock, observed: worst, threshold: SIM_DIVERGENCE_LIMIT, unit: 'share', message };
}

/** Adds each live configuration's `sim-divergence` record (replacing an earlier one); returns how many are invalid. */
export function recordSimDivergence(sim: ResultsFile, live: ResultsFile): number {
  let invalid = 0;
  for (const l of live.configurations) {
    const s = sim.configurations.find((c) => c.name === l.name);
    if (s === undefined) continue;
    const record = simDivergence(s, l);
    l.validity = [...(l.validity ?? []).filter((r) => r.kind !== 'sim-divergence'), record];
    if (!record.valid) invalid++;
  }
  return invalid;
}
