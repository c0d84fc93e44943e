/**
 * Report and compare pages: one self-contained HTML file each, built from results.json only.
 * `bench report` and `bench compare` call these; nothing here knows the engine.
 */
import { routingCurves } from '../metrics/routing-curves.ts';
import { headlineMetrics, METRIC_DIRECTION } from '../results/headline.ts';
import type { HeadlineMetrics, ResultsFile } from '../results/schema.ts';
import { reportCharts } from './charts.ts';
import { compareCharts } from './compare-charts.ts';
import { checkComparable, compareTable, formatDeltaPct, matchConfigurations } from './compare.ts';
import type { CompareRow } from './compare.ts';
import { findings } from './findings.ts';
import type { Findings } from './findings.ts';
import { METRIC_LABEL, escapeHtml, formatMetric, formatMetricDelta, formatNumber } from './format.ts';
import { paretoOptimal } from './frontier.ts';
import { chartSection, htmlDocument } from './page.ts';

export { checkComparable, compareTable, formatCompareTable, matchConfigurations } from './compare.ts';
export type { CompareRow, ConfigMatch, DeltaDirection, FormatCompareOptions } from './compare.ts';
export { findings } from './findings.ts';
export type { CachingFinding, FindingSentence, Findings, RoutingFinding, RoutingOption, SloFinding, TopStepFinding } from './findings.ts';
export { paretoOptimal } from './frontier.ts';

const METRICS = Object.keys(METRIC_DIRECTION) as Array<keyof HeadlineMetrics>;

/** Requests a day implied by the first configuration (total scaled to 24 h), or null without one. */
function requestsPerDay(results: ResultsFile): number | null {
  const c = results.configurations[0];
  if (!c || c.durationHours <= 0) return null;
  return Math.round(c.requests.total * (24 / c.durationHours));
}

function machineText(results: ResultsFile): string {
  const m = results.machine;
  return `${m.cpus} × ${m.cpuModel}, ${formatNumber(m.totalMemGiB, 1)} GiB, ${m.platform}/${m.arch}, Node ${m.node}`;
}

function codeText(results: ResultsFile): string {
  return `llm-scale-bench ${results.code.version}${results.code.gitCommit ? ` (${results.code.gitCommit})` : ''}`;
}

/** The facts that say where a run came from, as a definition list (values escaped). */
function factsList(results: ResultsFile): string {
  const perDay = requestsPerDay(results);
  const facts: Array<[string, string]> = [
    ['Scenario file', results.scenario.file],
    ['Requests a day', perDay === null ? 'unknown' : perDay.toLocaleString('en-US')],
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

function findingsBlock(f: Findings, heading = 'What this run says'): string {
  const topics: Record<string, string> = { slo: 'SLOs', cost: 'Most expensive step', caching: 'Caching', routing: 'Routing' };
  return (
    `<div class="summary" id="summary"><h3>${escapeHtml(heading)}</h3><p>${escapeHtml(f.summary)}</p></div>` +
    `<ul class="findings" id="findings">${f.sentences
      .map((s) => `<li data-topic="${s.topic}"><strong>${escapeHtml(topics[s.topic])}.</strong> ${escapeHtml(s.text)}</li>`)
      .join('')}</ul>`
  );
}

/** The sortable table of every configuration's headline figures. */
function configurationsTable(results: ResultsFile): string {
  if (results.configurations.length === 0) return '<p class="note">No configuration finished.</p>';
  const optimal = paretoOptimal(results.configurations);
  const head = ['configuration', ...METRICS.map((m) => METRIC_LABEL[m]), 'SLOs', 'frontier'];
  const rows = results.configurations.map((c) => {
    const h = headlineMetrics(c);
    const failed = c.slo.checks.filter((x) => !x.met).map((x) => x.metric);
    const sloText = c.slo.checks.length === 0 ? '–' : c.slo.meetsAll ? 'met' : `missed: ${failed.join(', ')}`;
    const cells = [
      `<td data-sort="${escapeHtml(c.name)}">${escapeHtml(c.name)}</td>`,
      ...METRICS.map((m) => {
        const v = h[m];
        return v === undefined ? '<td data-sort="">–</td>' : `<td data-sort="${v}">${escapeHtml(formatMetric(m, v))}</td>`;
      }),
      `<td class="text ${c.slo.checks.length === 0 ? '' : c.slo.meetsAll ? 'better' : 'worse'}" data-sort="${c.slo.meetsAll ? 1 : 0}">${escapeHtml(sloText)}</td>`,
      `<td class="text" data-sort="${optimal.has(c.name) ? 1 : 0}">${optimal.has(c.name) ? 'Pareto-optimal' : ''}</td>`,
    ];
    return `<tr>${cells.join('')}</tr>`;
  });
  return (
    `<div class="table-wrap"><table class="sortable" id="configurations">` +
    `<thead><tr>${head.map((h) => `<th scope="col">${escapeHtml(h)}</th>`).join('')}</tr></thead>` +
    `<tbody>${rows.join('')}</tbody></table></div>` +
    `<p class="lede">Click a column header to sort. Costs are per simulated day, latencies in milliseconds.</p>`
  );
}

function sloTargetsText(results: ResultsFile): string {
  const t = results.slo;
  const parts: string[] = [];
  if (t.e2eP95Ms !== undefined) parts.push(`e2e p95 ≤ ${formatMetric('e2eP95Ms', t.e2eP95Ms)}`);
  if (t.ttftP95Ms !== undefined) parts.push(`TTFT p95 ≤ ${formatMetric('ttftP95Ms', t.ttftP95Ms)}`);
  if (t.minQuality !== undefined) parts.push(`quality ≥ ${formatMetric('quality', t.minQuality)}`);
  if (t.maxCostPerDayUsd !== undefined) parts.push(`cost ≤ ${formatMetric('costPerDayUsd', t.maxCostPerDayUsd)} a day`);
  if (t.requestLatencyMs !== undefined) parts.push(`goodput counts requests ≤ ${formatMetric('e2eP95Ms', t.requestLatencyMs)}`);
  return parts.length === 0 ? 'The scenario sets no SLOs.' : `SLOs: ${parts.join('; ')}.`;
}

/** The full HTML report of one run: header, findings, sortable table and charts, self-contained. */
export function renderReport(results: ResultsFile): string {
  const f = findings(results);
  const charts = reportCharts(results);
  const body = [
    `<header><h1 id="scenario-name">${escapeHtml(results.scenario.name)}</h1>`,
    `<p class="lede" id="scenario-description">${escapeHtml(results.scenario.description)}</p>`,
    factsList(results),
    `<p class="lede">${escapeHtml(sloTargetsText(results))}</p></header>`,
    findingsBlock(f),
    `<h2>Configurations</h2>`,
    configurationsTable(results),
    routingCurvesBlock(results),
    `<h2>Charts</h2>`,
    charts.length === 0 ? '<p class="note">No configuration finished, so there is nothing to chart.</p>' : charts.map(chartSection).join('\n'),
    `<footer>Generated by ${escapeHtml(codeText(results))}. The results file this page was built from is embedded in it (script#results-data).</footer>`,
  ].join('\n');
  return htmlDocument({ title: `${results.scenario.name} — llm-scale-bench report`, body, charts, data: results });
}

/** RouteLLM's metrics of each cascade/router sweep: APGR and the strong-call share needed for 50% / 80% PGR. */
function routingCurvesBlock(results: ResultsFile): string {
  const curves = routingCurves(results);
  if (curves.length === 0) return '';
  const pctText = (v: number | null) => (v === null ? 'not reached' : `${(v * 100).toFixed(1)}%`);
  const rows = curves.map((c) => {
    const group = Object.entries(c.group).map(([k, v]) => `${k}=${v}`).join(' ') || '(all)';
    return (
      `<tr><td class="text">${escapeHtml(group)}</td><td class="text">${escapeHtml(`${c.weak} → ${c.strong}`)}</td>` +
      `<td>${(c.weakQuality * 100).toFixed(1)}%</td><td>${(c.strongQuality * 100).toFixed(1)}%</td>` +
      `<td>${c.apgr.toFixed(3)}</td><td>${pctText(c.cpt50)}</td><td>${pctText(c.cpt80)}</td></tr>`
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

/** Counts, per metric, how many matched configurations got better or worse: the compare summary. */
function compareSummary(rows: readonly CompareRow[], configs: number): string {
  if (configs === 0) return 'No configuration appears in both runs, so nothing can be compared.';
  const parts: string[] = [];
  for (const metric of ['costPerDayUsd', 'e2eP95Ms', 'ttftP95Ms', 'quality', 'errorRate'] as const) {
    const of = rows.filter((r) => r.metric === metric);
    const better = of.filter((r) => r.direction === 'better').length;
    const worse = of.filter((r) => r.direction === 'worse').length;
    if (better === 0 && worse === 0) parts.push(`${METRIC_LABEL[metric]} unchanged`);
    else parts.push(`${METRIC_LABEL[metric]} better in ${better}, worse in ${worse}`);
  }
  return `Across ${configs} matched configuration${configs === 1 ? '' : 's'} (b against a): ${parts.join('; ')}.`;
}

function deltaTable(rows: readonly CompareRow[]): string {
  if (rows.length === 0) return '<p class="note">No configuration appears in both runs.</p>';
  const head = ['configuration', 'metric', 'a', 'b', 'delta', 'delta %', 'direction'];
  const body = rows.map((r) => {
    const cls = r.direction === 'same' ? '' : r.direction;
    return (
      `<tr data-direction="${r.direction}">` +
      `<td data-sort="${escapeHtml(r.config)}">${escapeHtml(r.config)}</td>` +
      `<td class="text" data-sort="${r.metric}">${escapeHtml(METRIC_LABEL[r.metric])}</td>` +
      `<td data-sort="${r.a}">${escapeHtml(formatMetric(r.metric, r.a))}</td>` +
      `<td data-sort="${r.b}">${escapeHtml(formatMetric(r.metric, r.b))}</td>` +
      `<td class="${cls}" data-sort="${r.delta}">${escapeHtml(formatMetricDelta(r.metric, r.delta))}</td>` +
      `<td class="${cls}" data-sort="${r.deltaPct ?? ''}">${escapeHtml(formatDeltaPct(r.deltaPct))}</td>` +
      `<td class="text ${cls}" data-sort="${r.direction}">${r.direction}</td></tr>`
    );
  });
  return (
    `<div class="table-wrap"><table class="sortable" id="deltas"><thead><tr>${head.map((h, i) => `<th scope="col"${i === 1 || i === 6 ? ' class="text"' : ''}>${h}</th>`).join('')}</tr></thead>` +
    `<tbody>${body.join('')}</tbody></table></div>` +
    `<p class="lede">Delta is b − a. Green: b is better (cheaper, faster, more correct); red: b is worse. Click a header to sort.</p>`
  );
}

function runColumn(label: string, results: ResultsFile): string {
  return `<div><h3>Run ${label}</h3>${factsList(results)}</div>`;
}

/** Differences that do not block a comparison but change how to read it. */
function compareCaveats(a: ResultsFile, b: ResultsFile): string[] {
  const out: string[] = [];
  if (a.scenario.configHash !== b.scenario.configHash) out.push('The scenario configuration differs between the runs (different hashes): the deltas include that change.');
  if (a.mode !== b.mode) out.push(`Run a is ${a.mode} and run b is ${b.mode}: simulated and live numbers are not measured the same way.`);
  if (a.seed !== b.seed) out.push(`The runs used different seeds (${a.seed} and ${b.seed}): part of each delta is noise.`);
  if (a.machine.cpuModel !== b.machine.cpuModel || a.machine.cpus !== b.machine.cpus) out.push('The runs come from different machines.');
  return out;
}

/** The full HTML compare page of two runs of one scenario; throws BenchError('INCOMPARABLE') otherwise. */
export function renderCompare(a: ResultsFile, b: ResultsFile): string {
  checkComparable(a, b);
  const match = matchConfigurations(a, b);
  const rows = compareTable(a, b);
  const charts = compareCharts(match);
  const caveats = compareCaveats(a, b);
  const unmatched =
    match.onlyInA.length + match.onlyInB.length === 0
      ? '<p class="lede">Every configuration appears in both runs.</p>'
      : `<div id="unmatched"><p>Configurations not in both runs (not compared):</p><ul>` +
        match.onlyInA.map((n) => `<li>only in a: ${escapeHtml(n)}</li>`).join('') +
        match.onlyInB.map((n) => `<li>only in b: ${escapeHtml(n)}</li>`).join('') +
        `</ul></div>`;
  const fa = findings(a);
  const fb = findings(b);
  const body = [
    `<header><h1 id="scenario-name">Compare: ${escapeHtml(a.scenario.name)}</h1>`,
    `<p class="lede" id="scenario-description">${escapeHtml(a.scenario.description)}</p>`,
    `<div class="side">${runColumn('a', a)}${runColumn('b', b)}</div></header>`,
    `<div class="summary" id="summary"><h3>What changed</h3><p>${escapeHtml(compareSummary(rows, match.matched.length))}</p></div>`,
    caveats.length ? `<ul class="warn">${caveats.map((c) => `<li>${escapeHtml(c)}</li>`).join('')}</ul>` : '',
    unmatched,
    `<h2>Deltas</h2>`,
    deltaTable(rows),
    `<h2>Charts</h2>`,
    charts.length === 0 ? '<p class="note">No configuration appears in both runs, so there is nothing to overlay.</p>' : charts.map(chartSection).join('\n'),
    `<h2>Findings of each run</h2>`,
    `<div class="side"><div>${findingsBlock(fa, 'Run a says').replace('id="summary"', 'id="summary-a"').replace('id="findings"', 'id="findings-a"')}</div>` +
      `<div>${findingsBlock(fb, 'Run b says').replace('id="summary"', 'id="summary-b"').replace('id="findings"', 'id="findings-b"')}</div></div>`,
    `<footer>Generated by ${escapeHtml(codeText(b))}. Both results files are embedded in this page (script#results-data).</footer>`,
  ].join('\n');
  return htmlDocument({ title: `${a.scenario.name} — compare — llm-scale-bench`, body, charts, data: { a, b } });
}
