/**
 * A traced or fitted run beside its source trace: the trace's workload figures (rate, token
 * quantiles, hourly profile) and the simulation's, quantile by quantile, with the difference.
 */
import type { ResultsFile } from '../results/schema.ts';
import type { WorkloadFigures } from '../scenario/schema.ts';
import { escapeHtml } from './format.ts';

/** The trace side of a run: a replayed trace's figures, or those of the trace the scenario was fitted to. */
function sourceFigures(results: ResultsFile): { label: string; figures: WorkloadFigures } | null {
  if (results.trace?.figures !== undefined) return { label: `replayed trace ${results.trace.file}`, figures: results.trace.figures };
  const fitted = (results.scenario.config as { fittedFrom?: WorkloadFigures & { file: string } } | null)?.fittedFrom;
  return fitted === undefined ? null : { label: `trace the scenario was fitted to, ${fitted.file}`, figures: fitted };
}

/** The HTML block, or '' when the run has no source trace or no workload figures. */
export function workloadComparisonBlock(results: ResultsFile): string {
  const source = sourceFigures(results);
  const sim = results.configurations.find((c) => c.workload !== undefined);
  if (source === null || sim?.workload === undefined) return '';
  const a = source.figures;
  const b = sim.workload;
  const row = (label: string, x: number, y: number) =>
    `<tr><td class="text">${escapeHtml(label)}</td><td>${fmt(x)}</td><td>${fmt(y)}</td><td>${x === 0 ? '—' : `${(((y - x) / x) * 100).toFixed(1)}%`}</td></tr>`;
  const rows = [row('requests/day', a.requestsPerDay, b.requestsPerDay)];
  for (const side of ['inputTokens', 'outputTokens'] as const) {
    for (const q of ['mean', 'p50', 'p90', 'p99'] as const)
      rows.push(row(`${side === 'inputTokens' ? 'input' : 'output'} tokens ${q}`, a[side][q], b[side][q]));
  }
  const hours = Array.from({ length: 24 }, (_, h) => `<th>${h}</th>`).join('');
  const profile = (p: number[]) => p.map((r) => `<td>${r.toFixed(2)}</td>`).join('');
  return (
    `<h2>Workload: trace and simulation</h2>` +
    `<p class="note">Trace side: ${escapeHtml(source.label)}. Simulation side: the requests configuration ${escapeHtml(sim.name)} generated (output tokens of its first LLM step).</p>` +
    `<div class="table-wrap"><table id="workload-compare"><thead><tr><th class="text">figure</th><th>trace</th><th>simulation</th><th>difference</th></tr></thead>` +
    `<tbody>${rows.join('')}</tbody></table></div>` +
    `<div class="table-wrap"><table id="workload-hourly"><thead><tr><th class="text">relative rate by hour</th>${hours}</tr></thead>` +
    `<tbody><tr><td class="text">trace</td>${profile(a.hourlyProfile)}</tr><tr><td class="text">simulation</td>${profile(b.hourlyProfile)}</tr></tbody></table></div>`
  );
}

function fmt(v: number): string {
  return Number.isInteger(v) ? v.toLocaleString('en-US') : v.toLocaleString('en-US', { maximumFractionDigits: 2 });
}
