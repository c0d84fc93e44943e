/** The report page of one run: facts, findings, the configurations table and the charts. */
import { routingCurves } from '../metrics/routing-curves.ts';
import type { ConfigResult, Finding, ResultsFile } from '../results/schema.ts';
import { invalidRecords } from '../results/validity.ts';
import { shortLabels } from './axes.ts';
import { reportCharts } from './charts.ts';
import { requestsPerDay } from './compare.ts';
import { formatColumn, METRIC_COLUMNS, sloStatus } from './columns.ts';
import { findingsOf } from './findings.ts';
import { escapeHtml } from './format.ts';
import { formatCount, formatDuration, formatMetric, formatPct, formatUsd } from './numbers.ts';
import { paretoOptimal } from './frontier.ts';
import { chartSection, htmlDocument } from './page.ts';
import { workloadComparisonBlock } from './workload-compare.ts';

function machineText(results: ResultsFile): string {
  const m = results.machine;
  return `${m.cpus} × ${m.cpuModel}, ${formatCount(m.totalMemGiB)} GiB, ${m.platform}/${m.arch}, Node ${m.node}`;
}

/** The harness version that wrote a run. */
export function codeText(results: ResultsFile): string {
  return `llm-scale-bench ${results.code.version}${results.code.gitCommit ? ` (${results.code.gitCommit})` : ''}`;
}

/** The facts that say where a run came from, as a definition list (values escaped). */
export function factsList(results: ResultsFile): string {
  const perDay = requestsPerDay(results);
  const facts: Array<[string, string]> = [
    ['Scenario file', results.scenario.file],
    ['Requests a day', perDay === null ? 'unknown' : formatCount(perDay)],
    ['Seed', String(results.seed)],
    ['Run at', results.createdAt],
    ['Mode', results.mode === 'sim' ? 'simulated (virtual clock)' : 'live (real HTTP)'],
    ['Configurations', `${results.configurations.length}${results.missing.length ? ` (${results.missing.length} did not finish)` : ''}`],
    ['Replications', String(results.replications)],
    ['Code', codeText(results)],
    ['Machine', machineText(results)],
    ['Scenario hash', results.scenario.configHash],
  ];
  return `<dl class="facts">${facts.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`).join('')}</dl>`;
}

/** The configurations whose validity records failed, each with its failed records. */
export function invalidConfigurations(results: ResultsFile): Array<{ config: ConfigResult; records: ReturnType<typeof invalidRecords> }> {
  return results.configurations.map((config) => ({ config, records: invalidRecords(config.validity) })).filter((x) => x.records.length > 0);
}

/**
 * The banner over an invalid run (empty for a valid one): which configurations failed which
 * validity check. Their figures were measured, but not under the conditions they claim (the load
 * generator fell behind, the target failed, live left the simulation far behind), so they are
 * not evidence about the system.
 */
export function invalidBanner(results: ResultsFile, id = 'invalid-banner', runName = 'This run'): string {
  const invalid = invalidConfigurations(results);
  if (invalid.length === 0) return '';
  const items = invalid.flatMap(({ config, records }) => records.map((r) => `<li><strong>${escapeHtml(config.name)}</strong>: ${escapeHtml(r.message)}</li>`));
  return (
    `<div class="banner invalid" role="alert" id="${id}"><p><strong>${escapeHtml(runName)} is invalid</strong>: ` +
    `${invalid.length} of ${results.configurations.length} configuration${results.configurations.length === 1 ? '' : 's'} failed a validity check, ` +
    `so their figures do not describe the system; rerun on an idle machine or at a lower time scale.</p><ul>${items.join('')}</ul></div>`
  );
}

const SEVERITY_TAG: Record<Finding['severity'], string> = { critical: 'act', warning: 'warning', recommendation: 'recommended', info: 'note' };

/** The findings as one ordered list, each said once, most important first. */
export function findingsBlock(list: readonly Finding[], id = 'findings', heading = 'What this run says'): string {
  return (
    `<section class="summary" id="${id}-section"><h3>${escapeHtml(heading)}</h3><ol class="findings" id="${id}">` +
    list
      .map(
        (f) =>
          `<li data-id="${escapeHtml(f.id)}" data-kind="${f.kind}" class="${f.severity}"><span class="tag">${SEVERITY_TAG[f.severity]}</span> ${escapeHtml(f.text)}</li>`,
      )
      .join('') +
    `</ol></section>`
  );
}

/** The sortable table of every configuration's metrics (one column per METRIC_COLUMNS row). */
function configurationsTable(results: ResultsFile): string {
  const configs = results.configurations;
  if (configs.length === 0) return '<p class="note">No configuration finished.</p>';
  const optimal = paretoOptimal(configs);
  const invalid = new Set(invalidConfigurations(results).map((x) => x.config.name));
  const labels = shortLabels(configs);
  const cells = METRIC_COLUMNS.map((col) => formatColumn(col, configs));
  const head = ['configuration', ...METRIC_COLUMNS.map((c) => c.label), 'SLOs', 'frontier'];
  const rows = configs.map((c, i) => {
    const slo = sloStatus(c);
    const cls = slo === '–' ? '' : slo === 'met' ? 'better' : 'worse';
    return (
      `<tr${invalid.has(c.name) ? ' class="invalid"' : ''}><td data-sort="${escapeHtml(c.name)}" title="${escapeHtml(c.name)}">${escapeHtml(labels.get(c.name)!)}` +
      `${invalid.has(c.name) ? ' <span class="tag invalid">invalid</span>' : ''}</td>` +
      METRIC_COLUMNS.map((col, k) => `<td data-sort="${col.value(c) ?? ''}">${escapeHtml(cells[k][i])}</td>`).join('') +
      `<td class="text ${cls}" data-sort="${c.slo.meetsAll ? 1 : 0}">${escapeHtml(slo)}</td>` +
      `<td class="text" data-sort="${optimal.has(c.name) ? 1 : 0}">${optimal.has(c.name) ? 'Pareto-optimal' : ''}</td></tr>`
    );
  });
  return (
    `<div class="table-wrap"><table class="sortable" id="configurations">` +
    `<thead><tr>${head.map((h) => `<th scope="col">${escapeHtml(h)}</th>`).join('')}</tr></thead>` +
    `<tbody>${rows.join('')}</tbody></table></div>` +
    `<p class="lede">Click a column header to sort; hover a configuration for its full name. Costs are per simulated day; each latency column is in one unit. Peak req/s is the offered load (an input).</p>`
  );
}

function sloTargetsText(results: ResultsFile): string {
  const t = results.slo;
  const parts: string[] = [];
  if (t.e2eP95Ms !== undefined) parts.push(`e2e p95 ≤ ${formatMetric('e2eP95Ms', t.e2eP95Ms)}`);
  if (t.ttftP95Ms !== undefined) parts.push(`TTFT p95 ≤ ${formatMetric('ttftP95Ms', t.ttftP95Ms)}`);
  if (t.minQuality !== undefined) parts.push(`quality ≥ ${formatMetric('quality', t.minQuality)}`);
  if (t.maxCostPerDayUsd !== undefined) parts.push(`cost ≤ ${formatUsd(t.maxCostPerDayUsd)} a day`);
  if (t.requestLatencyMs !== undefined) parts.push(`goodput counts requests ≤ ${formatDuration(t.requestLatencyMs)}`);
  if (t.maxErrorRate !== undefined) parts.push(`errors ≤ ${formatPct(t.maxErrorRate)}`);
  return parts.length === 0 ? 'The scenario sets no SLOs.' : `SLOs: ${parts.join('; ')}.`;
}

/** The full HTML report of one run: header, findings, sortable table and charts, self-contained. */
export function renderReport(results: ResultsFile): string {
  const charts = reportCharts(results);
  const body = [
    `<header><h1 id="scenario-name">${escapeHtml(results.scenario.name)}</h1>`,
    `<p class="lede" id="scenario-description">${escapeHtml(results.scenario.description)}</p>`,
    invalidBanner(results),
    factsList(results),
    `<p class="lede">${escapeHtml(sloTargetsText(results))}</p></header>`,
    findingsBlock(findingsOf(results)),
    `<h2>Configurations</h2>`,
    configurationsTable(results),
    workloadComparisonBlock(results),
    routingCurvesBlock(results),
    `<h2>Charts</h2>`,
    charts.length === 0 ? '<p class="note">No configuration finished, so there is nothing to chart.</p>' : charts.map(chartSection).join('\n'),
    `<footer>Generated by ${escapeHtml(codeText(results))}. The results file this page was built from is embedded in it (script#results-data).</footer>`,
  ].join('\n');
  return htmlDocument({ title: `${results.scenario.name} — llm-scale-bench report`, body, charts });
}

/** RouteLLM's metrics of each cascade/router sweep: APGR and the strong-call share needed for 50% / 80% PGR. */
function routingCurvesBlock(results: ResultsFile): string {
  const curves = routingCurves(results);
  if (curves.length === 0) return '';
  const pctText = (v: number | null) => (v === null ? 'not reached' : formatPct(v));
  const rows = curves.map((c) => {
    const group =
      Object.entries(c.group)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ') || '(all)';
    return (
      `<tr><td class="text">${escapeHtml(group)}</td><td class="text">${escapeHtml(`${c.weak} → ${c.strong}`)}</td>` +
      `<td>${formatPct(c.weakQuality)}</td><td>${formatPct(c.strongQuality)}</td>` +
      `<td>${formatCount(c.apgr)}</td><td>${pctText(c.cpt50)}</td><td>${pctText(c.cpt80)}</td></tr>`
    );
  });
  return (
    `<h2>Routing: quality recovered per strong call</h2>` +
    `<p class="note">As RouteLLM defines them: PGR = (quality − weak) / (strong − weak); APGR is the area under PGR against the share of ` +
    `requests sent to the strong model (0.5 = no better than routing at random); CPT(x%) is the strong-call share needed to recover x% of the gap.</p>` +
    `<div class="table-wrap"><table id="routing-curves"><thead><tr><th class="text">group</th><th class="text">weak → strong</th>` +
    `<th>weak quality</th><th>strong quality</th><th>APGR</th><th>CPT(50%)</th><th>CPT(80%)</th></tr></thead><tbody>${rows.join('')}</tbody></table></div>`
  );
}
