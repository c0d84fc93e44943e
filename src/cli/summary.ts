/** What `bench run` prints: a row per configuration, the findings (at most 7), and `--json` / `--quiet` forms. */
import { formatColumn, METRIC_COLUMNS, sloStatus } from '../report/columns.ts';
import { findingsOf, TERMINAL_FINDINGS } from '../report/findings.ts';
import { formatCount, formatDuration } from '../report/numbers.ts';
import type { Finding, ResultsFile } from '../results/schema.ts';
import { textTable } from '../report/text-table.ts';
import { invalidRecords, type ValidityRecord } from '../results/validity.ts';

/** The per-configuration summary table. */
export function summaryTable(results: ResultsFile): string {
  const configs = results.configurations;
  const columns = METRIC_COLUMNS.filter((c) => c.terminal);
  const cells = columns.map((c) => formatColumn(c, configs));
  const rows = configs.map((c, i) => [c.name, ...cells.map((col) => col[i]!), sloStatus(c) === 'met' ? 'yes' : sloStatus(c) === '–' ? '–' : 'no']);
  return textTable(['configuration', ...columns.map((c) => c.label), 'SLOs met'], rows);
}

/** The traffic line and the findings, numbered, most important first. */
export function summaryNotes(results: ResultsFile): string[] {
  const configs = results.configurations;
  const lines: string[] = [];
  if (configs.length > 0) {
    const first = configs[0]!;
    const wallMs = configs.map((c) => c.engine.wallMs);
    lines.push(
      `${formatCount(first.requests.total)} requests per configuration over ${formatDuration(first.durationHours * 3_600_000)} (seed ${results.seed}); ` +
        `${results.mode === 'live' ? 'ran live' : 'simulated'} in ${formatDuration(wallMs.reduce((s, v) => s + v, 0))} ` +
        `(${configs.length} configuration${configs.length === 1 ? '' : 's'}, the longest ${formatDuration(Math.max(...wallMs))}).`,
      '',
    );
  }
  findingsOf(results)
    .slice(0, TERMINAL_FINDINGS)
    .forEach((f, i) => lines.push(`${i + 1}. ${f.text}`));
  return lines;
}

/** The `--json` summary: per-configuration headline metrics and the findings (full data stays in results.json). */
export interface RunSummaryJson {
  scenario: string;
  seed: number;
  mode: ResultsFile['mode'];
  slo: ResultsFile['slo'];
  configurations: Array<{ name: string; axes: Record<string, string>; meetsAllSlos: boolean; missed: string[]; metrics: Record<string, number> }>;
  findings: Finding[];
  missing: string[];
  paths: { results: string | null; report: string | null };
}

/** Builds the `--json` summary. */
export function summaryJson(results: ResultsFile, paths: RunSummaryJson['paths']): RunSummaryJson {
  return {
    scenario: results.scenario.name,
    seed: results.seed,
    mode: results.mode,
    slo: results.slo,
    configurations: results.configurations.map((c) => ({
      name: c.name,
      axes: c.axes,
      meetsAllSlos: c.slo.meetsAll,
      missed: c.slo.checks.filter((x) => !x.met).map((x) => x.metric),
      metrics: Object.fromEntries(
        METRIC_COLUMNS.flatMap((col) => {
          const v = col.value(c);
          return v === undefined ? [] : [[col.id, v]];
        }),
      ),
    })),
    findings: findingsOf(results),
    missing: results.missing,
    paths,
  };
}

/** The `--quiet` lines: the headline finding and where the files are. */
export function quietLines(results: ResultsFile, paths: RunSummaryJson['paths']): string[] {
  const headline = findingsOf(results).find((f) => f.id === 'headline');
  return [...(headline ? [headline.text] : []), ...(paths.results ? [`results: ${paths.results}`] : []), ...(paths.report ? [`report:  ${paths.report}`] : [])];
}

/**
 * One INVALID line per failed validity record of a configuration, red when `color` (stdout is a
 * terminal): `INVALID <where><configuration>: <message>`. `bench run` and `bench compare` print these.
 */
export function invalidLines(
  configs: ReadonlyArray<{ name: string; validity?: ValidityRecord[] | undefined }>,
  where = '',
  color = process.stdout.isTTY === true,
): string[] {
  const red = (t: string) => (color ? `\x1b[31m${t}\x1b[39m` : t);
  return configs.flatMap((c) => invalidRecords(c.validity).map((r) => red(`INVALID ${where}${c.name}: ${r.message}`)));
}
