/** The compare page of two runs: what changed, who wins on cost at equal SLOs, deltas against noise, charts, findings. */
import type { ResultsFile } from '../results/schema.ts';
import { shortLabels } from './axes.ts';
import { compareCharts } from './compare-charts.ts';
import { checkComparable, compareTable, costVerdict, directionText, formatDeltaPct, matchConfigurations, runChanges } from './compare.ts';
import type { CompareRow } from './compare.ts';
import { findingsOf } from './findings.ts';
import { escapeHtml } from './format.ts';
import { columnDurationUnit, formatMetric, formatMetricDelta, METRIC_LABEL, METRIC_UNIT } from './numbers.ts';
import { chartSection, htmlDocument } from './page.ts';
import { codeText, factsList, findingsBlock, invalidBanner, invalidConfigurations } from './report-page.ts';

/** Counts, per metric, how many matched configurations got better or worse beyond the noise. */
function compareSummary(rows: readonly CompareRow[], configs: number): string {
  if (configs === 0) return 'No configuration appears in both runs, so nothing can be compared.';
  const parts: string[] = [];
  for (const metric of ['costPerDayUsd', 'e2eP95Ms', 'ttftP95Ms', 'quality', 'errorRate'] as const) {
    const of = rows.filter((r) => r.metric === metric);
    const better = of.filter((r) => r.direction === 'better').length;
    const worse = of.filter((r) => r.direction === 'worse').length;
    parts.push(better === 0 && worse === 0 ? `${METRIC_LABEL[metric]}: no change` : `${METRIC_LABEL[metric]} better in ${better}, worse in ${worse}`);
  }
  return `Across ${configs} matched configuration${configs === 1 ? '' : 's'} (b against a, beyond the noise): ${parts.join('; ')}.`;
}

/** Per configuration name: which run ('a', 'b' or 'a and b') failed a validity check on it. */
export function invalidRuns(a: ResultsFile, b: ResultsFile): Map<string, string> {
  const inA = new Set(invalidConfigurations(a).map((x) => x.config.name));
  const inB = new Set(invalidConfigurations(b).map((x) => x.config.name));
  const out = new Map<string, string>();
  for (const n of new Set([...inA, ...inB])) out.set(n, inA.has(n) && inB.has(n) ? 'a and b' : inA.has(n) ? 'a' : 'b');
  return out;
}

function deltaTable(rows: readonly CompareRow[], labels: Map<string, string>, invalid: Map<string, string>): string {
  if (rows.length === 0) return '<p class="note">No configuration appears in both runs.</p>';
  const head = ['configuration', 'metric', 'a', 'b', 'delta', 'delta %', 'verdict'];
  // one duration unit per metric, across every configuration
  const units = new Map(
    [...new Set(rows.map((r) => r.metric))].map((m) => [
      m,
      METRIC_UNIT[m] === 'ms' ? columnDurationUnit(rows.filter((r) => r.metric === m).flatMap((r) => [r.a, r.b])) : undefined,
    ]),
  );
  const body = rows.map((r) => {
    const cls = r.direction === 'same' ? '' : r.direction;
    const unit = units.get(r.metric);
    const bad = invalid.get(r.config);
    return (
      `<tr data-direction="${r.direction}"${bad === undefined ? '' : ` class="invalid" data-invalid="${bad}"`}>` +
      `<td data-sort="${escapeHtml(r.config)}" title="${escapeHtml(r.config)}">${escapeHtml(labels.get(r.config) ?? r.config)}` +
      `${bad === undefined ? '' : ` <span class="tag invalid">invalid in ${bad}</span>`}</td>` +
      `<td class="text" data-sort="${r.metric}">${escapeHtml(METRIC_LABEL[r.metric])}</td>` +
      `<td data-sort="${r.a}">${escapeHtml(formatMetric(r.metric, r.a, unit))}</td>` +
      `<td data-sort="${r.b}">${escapeHtml(formatMetric(r.metric, r.b, unit))}</td>` +
      `<td class="${cls}" data-sort="${r.delta}">${escapeHtml(formatMetricDelta(r.metric, r.delta, unit))}</td>` +
      `<td class="${cls}" data-sort="${r.deltaPct ?? ''}">${escapeHtml(formatDeltaPct(r.deltaPct))}</td>` +
      `<td class="text ${cls}" data-sort="${r.direction}">${directionText(r.direction)}${bad === undefined ? '' : ' (invalid run: not evidence)'}</td></tr>`
    );
  });
  return (
    `<div class="table-wrap"><table class="sortable" id="deltas"><thead><tr>${head.map((h, i) => `<th scope="col"${i === 1 || i === 6 ? ' class="text"' : ''}>${h}</th>`).join('')}</tr></thead>` +
    `<tbody>${body.join('')}</tbody></table></div>` +
    `<p class="lede">Delta is b − a. A delta inside the 95% interval of the runs' noise (replications, or the sampling error of a share or percentile) reads "no change". Green: b is better; red: b is worse. Click a header to sort.</p>`
  );
}

function runColumn(label: string, results: ResultsFile): string {
  return `<div><h3>Run ${label}</h3>${factsList(results)}</div>`;
}

/** The full HTML compare page of two runs of one scenario; throws BenchError('INCOMPARABLE') otherwise. */
export function renderCompare(a: ResultsFile, b: ResultsFile): string {
  checkComparable(a, b);
  const match = matchConfigurations(a, b);
  const rows = compareTable(a, b);
  const charts = compareCharts(match);
  const changes = runChanges(a, b);
  const labels = shortLabels(match.matched.map((m) => m.a));
  const invalid = invalidRuns(a, b);
  const unmatched =
    match.onlyInA.length + match.onlyInB.length === 0
      ? '<p class="lede">Every configuration appears in both runs.</p>'
      : `<div id="unmatched"><p>Configurations not in both runs (not compared):</p><ul>` +
        match.onlyInA.map((n) => `<li>only in a: ${escapeHtml(n)}</li>`).join('') +
        match.onlyInB.map((n) => `<li>only in b: ${escapeHtml(n)}</li>`).join('') +
        `</ul></div>`;
  const body = [
    `<header><h1 id="scenario-name">Compare: ${escapeHtml(a.scenario.name)}</h1>`,
    `<p class="lede" id="scenario-description">${escapeHtml(a.scenario.description)}</p>`,
    invalidBanner(a, 'invalid-banner-a', 'Run a'),
    `${invalidBanner(b, 'invalid-banner-b', 'Run b')}</header>`,
    `<div class="summary" id="summary"><h3>Which run wins</h3><p id="verdict">${escapeHtml(costVerdict(a, b))}</p>` +
      `<p>${escapeHtml(compareSummary(rows, match.matched.length))}</p>` +
      (invalid.size === 0
        ? ''
        : `<p class="warn" id="invalid-note">${escapeHtml(`${invalid.size} compared configuration${invalid.size === 1 ? ' is' : 's are'} invalid in one run or both (marked in the deltas): their deltas are not evidence of a change.`)}</p>`) +
      `</div>`,
    `<h2>What changed between the runs</h2>`,
    changes.length === 0
      ? '<p class="lede" id="changes">Nothing: same scenario, traffic, seed, code and machine.</p>'
      : `<ul id="changes">${changes.map((c) => `<li>${escapeHtml(c)}</li>`).join('')}</ul>`,
    `<div class="side">${runColumn('a', a)}${runColumn('b', b)}</div>`,
    unmatched,
    `<h2>Deltas</h2>`,
    deltaTable(rows, labels, invalid),
    `<h2>Charts</h2>`,
    charts.length === 0 ? '<p class="note">No configuration appears in both runs, so there is nothing to overlay.</p>' : charts.map(chartSection).join('\n'),
    `<h2>Findings of each run</h2>`,
    `<div class="side"><div>${findingsBlock(findingsOf(a), 'findings-a', 'Run a says')}</div><div>${findingsBlock(findingsOf(b), 'findings-b', 'Run b says')}</div></div>`,
    `<footer>Generated by ${escapeHtml(codeText(b))}. Built from ${escapeHtml(a.scenario.file)} runs of ${escapeHtml(a.createdAt)} and ${escapeHtml(b.createdAt)}.</footer>`,
  ].join('\n');
  return htmlDocument({ title: `${a.scenario.name} — compare — llm-scale-bench`, body, charts });
}
