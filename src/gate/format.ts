/**
 * Renderings of a gate report: a console table, Markdown (a CI job summary or PR comment) and
 * JUnit XML (one testcase per configuration × metric). All three switch over the same verdicts.
 */
import { textTable } from '../report/text-table.ts';
import { TERMINAL_FINDINGS } from '../report/findings.ts';
import { formatMetric, formatPp, formatRelativeChange, METRIC_LABEL } from '../report/numbers.ts';
import { describeAllowed, describeInterval, VERDICT_KINDS, type GateReport, type GateRow, type Verdict, type VerdictKind } from './gate.ts';

/** Short label and symbol of each verdict. */
function verdictLabel(kind: VerdictKind): string {
  switch (kind) {
    case 'regressed':
      return '✗ regressed';
    case 'improved':
      return '✓ improved';
    case 'within-noise':
      return '· within noise';
    case 'no-change':
      return '= no change';
    case 'insufficient-data':
      return '? insufficient data';
    case 'incomparable':
      return '– incomparable';
  }
}

/** Whether a verdict fails the build. */
function verdictFails(verdict: Verdict): boolean {
  switch (verdict.kind) {
    case 'regressed':
      return true;
    case 'improved':
    case 'within-noise':
    case 'no-change':
    case 'insufficient-data':
    case 'incomparable':
      return false;
  }
}

function valueText(row: GateRow, side: 'baseline' | 'candidate'): string {
  const sample = row[side];
  return sample === null ? '—' : formatMetric(row.metric, sample.mean);
}

function changeText(row: GateRow): string {
  const v = row.verdict;
  switch (v.kind) {
    case 'regressed':
    case 'improved':
    case 'within-noise':
    case 'insufficient-data': {
      if (v.estimate === null) return '—';
      const rel = v.estimate.relative;
      if (row.threshold.relative === undefined) return signedPoints(v.estimate.absolute, row);
      return Number.isFinite(rel) ? formatRelativeChange(rel) : 'new (baseline 0)';
    }
    case 'no-change':
      return '0';
    case 'incomparable':
      return '—';
  }
}

function signedPoints(absolute: number, row: GateRow): string {
  if (row.metric === 'quality' || row.metric === 'errorRate') return formatPp(absolute);
  return `${absolute >= 0 ? '+' : '−'}${formatMetric(row.metric, Math.abs(absolute))}`;
}

function intervalText(row: GateRow): string {
  const v = row.verdict;
  switch (v.kind) {
    case 'regressed':
    case 'improved':
    case 'within-noise':
    case 'insufficient-data':
      return v.estimate?.interval ? describeInterval(v.estimate.interval, row) : 'one seed';
    case 'no-change':
    case 'incomparable':
      return '—';
  }
}

function headline(report: GateReport): string {
  const c = report.counts;
  const parts = VERDICT_KINDS.filter((k) => c[k] > 0).map((k) => `${c[k]} ${k}`);
  const status = report.passed ? 'PASS' : 'FAIL';
  return `gate ${status}: ${report.scenario} — ${parts.join(', ')} (${report.candidate.replications} replication${report.candidate.replications === 1 ? '' : 's'} a configuration, ${Math.round(report.confidence * 100)}% intervals)`;
}

/** Rows that fail the build, in report order. */
function failures(report: GateReport): GateRow[] {
  return report.rows.filter((r) => verdictFails(r.verdict));
}

/** A plain-text report for the terminal: one line a configuration × metric, regressions spelled out below. */
export function formatGateTable(report: GateReport): string {
  const ci = `${Math.round(report.confidence * 100)}% interval`;
  const table = textTable(
    ['verdict', 'configuration', 'metric', 'baseline', 'candidate', 'change', ci, 'allowed'],
    report.rows.map((r) => [
      verdictLabel(r.verdict.kind),
      r.config,
      METRIC_LABEL[r.metric],
      valueText(r, 'baseline'),
      valueText(r, 'candidate'),
      changeText(r),
      intervalText(r),
      `${describeAllowed(r.threshold, r.metric)} ${r.direction === 'lower' ? 'up' : 'down'}`,
    ]),
  );
  const lines = [headline(report), '', table];
  const failed = failures(report);
  if (failed.length > 0) {
    lines.push('', 'Regressions:');
    for (const r of failed) lines.push(`  ${r.config} · ${r.metric}: ${r.verdict.reason}`);
  }
  if (report.scenarioChanges.length > 0) lines.push('', 'Scenario changes vs the baseline:', ...report.scenarioChanges.map((c) => `  ${c}`));
  if (report.notes.length > 0) lines.push('', ...report.notes.map((n) => `note: ${n}`));
  return lines.join('\n');
}

/** Escapes text for a Markdown table cell (pipes, HTML, newlines). */
function md(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\|/g, '\\|')
    .replace(/[\r\n]+/g, ' ');
}

/** Escapes text for Markdown inline code. */
function mdCode(text: string): string {
  return `<code>${md(text).replace(/`/g, '&#96;')}</code>`;
}

function markdownTable(rows: GateRow[], confidence: number): string[] {
  const head = ['', 'configuration', 'metric', 'baseline', 'candidate', 'change', `${Math.round(confidence * 100)}% interval`, 'allowed worsening'];
  return [
    `| ${head.join(' | ')} |`,
    `|${head.map((_, i) => (i >= 3 && i <= 5 ? '---:' : '---')).join('|')}|`,
    ...rows.map(
      (r) =>
        `| ${[
          md(verdictLabel(r.verdict.kind)),
          md(r.config),
          md(METRIC_LABEL[r.metric]),
          md(valueText(r, 'baseline')),
          md(valueText(r, 'candidate')),
          md(changeText(r)),
          md(intervalText(r)),
          md(describeAllowed(r.threshold, r.metric)),
        ].join(' | ')} |`,
    ),
  ];
}

/** A Markdown report for `$GITHUB_STEP_SUMMARY` or a PR comment: verdict first, regressions, then every row folded. */
export function formatGateMarkdown(report: GateReport): string {
  const icon = report.passed ? '✅' : '❌';
  const failed = failures(report);
  const lines = [
    `### ${icon} bench gate: ${md(report.scenario)} — ${report.passed ? 'pass' : `${failed.length} regression${failed.length === 1 ? '' : 's'}`}`,
    '',
    `${md(headline(report))}.`,
    '',
    `Baseline ${mdCode(report.baseline.label)} (seed ${report.baseline.seed}, ${report.baseline.replications} replications${report.baseline.gitCommit ? `, commit ${mdCode(report.baseline.gitCommit.slice(0, 12))}` : ''}) · candidate ${mdCode(report.candidate.label)}${report.candidate.gitCommit ? ` (commit ${mdCode(report.candidate.gitCommit.slice(0, 12))})` : ''}.`,
    '',
  ];
  if (failed.length > 0) {
    lines.push('**Regressions**', '');
    for (const r of failed) lines.push(`- ${mdCode(r.config)} · **${md(r.metric)}**: ${md(r.verdict.reason)}`);
    lines.push('');
  }
  const improved = report.rows.filter((r) => r.verdict.kind === 'improved');
  if (improved.length > 0) {
    lines.push('**Improvements**', '');
    for (const r of improved) lines.push(`- ${mdCode(r.config)} · ${md(r.metric)}: ${md(r.verdict.reason)}`);
    lines.push('');
  }
  if (report.findings !== undefined && report.findings.length > 0) {
    lines.push('**What the candidate run says**', '');
    report.findings.slice(0, TERMINAL_FINDINGS).forEach((f, i) => lines.push(`${i + 1}. ${md(f.text)}`));
    lines.push('');
  }
  if (report.scenarioChanges.length > 0) {
    lines.push(
      '<details><summary>Scenario changes vs the baseline</summary>',
      '',
      ...report.scenarioChanges.map((c) => `- ${mdCode(c)}`),
      '',
      '</details>',
      '',
    );
  }
  lines.push(
    `<details${report.passed ? '' : ' open'}><summary>All ${report.rows.length} checks</summary>`,
    '',
    ...markdownTable(report.rows, report.confidence),
    '',
    '</details>',
    '',
  );
  if (report.notes.length > 0) lines.push(...report.notes.map((n) => `> ${md(n)}`), '');
  lines.push(
    `<sub>A metric regresses when the whole ${Math.round(report.confidence * 100)}% bootstrap interval of the change (over the seeds) is worse than the allowed worsening.</sub>`,
    '',
  );
  return lines.join('\n');
}

/** Escapes text for XML content and attribute values, dropping characters XML 1.0 forbids. */
function escapeXml(text: string): string {
  return text
    .replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/**
 * JUnit XML: one testsuite for the scenario, one testcase per configuration × metric.
 * Regressions are failures; insufficient-data and incomparable rows are skipped; the rest pass.
 */
export function formatGateJunit(report: GateReport): string {
  const x = escapeXml;
  const skippedKinds = (v: Verdict): boolean => v.kind === 'insufficient-data' || v.kind === 'incomparable';
  const failuresCount = report.rows.filter((r) => verdictFails(r.verdict)).length;
  const skipped = report.rows.filter((r) => skippedKinds(r.verdict)).length;
  const cases = report.rows.map((r) => {
    const open = `    <testcase classname="${x(`${report.scenario}.${r.config}`)}" name="${x(r.metric)}" time="0">`;
    const detail = `${r.verdict.kind}: baseline ${valueText(r, 'baseline')}, candidate ${valueText(r, 'candidate')}; ${r.verdict.reason}`;
    const v = r.verdict;
    switch (v.kind) {
      case 'regressed':
        return `${open}\n      <failure type="regressed" message="${x(v.reason)}">${x(detail)}</failure>\n    </testcase>`;
      case 'insufficient-data':
      case 'incomparable':
        return `${open}\n      <skipped message="${x(`${v.kind}: ${v.reason}`)}"/>\n    </testcase>`;
      case 'improved':
      case 'within-noise':
      case 'no-change':
        return `${open}\n      <system-out>${x(detail)}</system-out>\n    </testcase>`;
    }
  });
  const counts = `tests="${report.rows.length}" failures="${failuresCount}" errors="0" skipped="${skipped}"`;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="bench gate" ${counts}>`,
    `  <testsuite name="${x(`gate: ${report.scenario}`)}" ${counts} timestamp="${x(report.candidate.createdAt)}">`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}
