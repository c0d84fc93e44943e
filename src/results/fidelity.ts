/** Simulation against live: per metric, the simulated value, the live value and their difference. */
import type { ConfigResult, ResultsFile } from './schema.ts';

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
