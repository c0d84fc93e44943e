/** Comparing two runs of one scenario: comparability, configurations matched by name, deltas. */
import { BenchError } from '../errors.ts';
import { METRIC_DIRECTION, headlineMetrics } from '../results/headline.ts';
import type { ConfigResult, HeadlineMetrics, ResultsFile } from '../results/schema.ts';
import { METRIC_LABEL, formatMetric, formatMetricDelta } from './format.ts';

/** Whether b moved a metric the good way, the bad way, or not at all. */
export type DeltaDirection = 'better' | 'worse' | 'same';

/** One metric of one configuration, run a against run b. */
export interface CompareRow {
  config: string;
  metric: keyof HeadlineMetrics;
  a: number;
  b: number;
  /** b − a. */
  delta: number;
  /** (b − a) / |a|; null when a is 0 and b is not (no meaningful percentage). */
  deltaPct: number | null;
  direction: DeltaDirection;
}

/** Configurations of two runs paired by name, and those only one run has. */
export interface ConfigMatch {
  matched: Array<{ name: string; a: ConfigResult; b: ConfigResult }>;
  onlyInA: string[];
  onlyInB: string[];
}

/** Throws BenchError('INCOMPARABLE') when a and b are runs of different scenarios or schema versions. */
export function checkComparable(a: ResultsFile, b: ResultsFile): void {
  if (a.schemaVersion !== b.schemaVersion) {
    throw new BenchError(
      'INCOMPARABLE',
      `Cannot compare results of different schema versions: the first run has schemaVersion ${a.schemaVersion}, the second ${b.schemaVersion}. Re-run both with the same version of llm-scale-bench.`,
    );
  }
  if (a.scenario.name !== b.scenario.name) {
    throw new BenchError(
      'INCOMPARABLE',
      `Cannot compare runs of different scenarios: the first run is of ${JSON.stringify(a.scenario.name)}, the second of ${JSON.stringify(b.scenario.name)}. Compare two runs of the same scenario.`,
    );
  }
}

/** Pairs the configurations of a and b by name, keeping a's order. */
export function matchConfigurations(a: ResultsFile, b: ResultsFile): ConfigMatch {
  const inB = new Map(b.configurations.map((c) => [c.name, c]));
  const inA = new Set(a.configurations.map((c) => c.name));
  const matched: ConfigMatch['matched'] = [];
  const onlyInA: string[] = [];
  for (const config of a.configurations) {
    const other = inB.get(config.name);
    if (other) matched.push({ name: config.name, a: config, b: other });
    else onlyInA.push(config.name);
  }
  const onlyInB = b.configurations.filter((c) => !inA.has(c.name)).map((c) => c.name);
  return { matched, onlyInA, onlyInB };
}

/** Relative change below which two values count as the same (float noise, not a change). */
const SAME_EPSILON = 1e-9;

function direction(metric: keyof HeadlineMetrics, a: number, b: number): DeltaDirection {
  if (Math.abs(b - a) <= SAME_EPSILON * Math.max(Math.abs(a), Math.abs(b))) return 'same';
  const up = b > a;
  return METRIC_DIRECTION[metric] === 'lower' ? (up ? 'worse' : 'better') : up ? 'better' : 'worse';
}

/** One row per matched configuration and headline metric: a, b, delta, delta % and its direction. */
export function compareTable(a: ResultsFile, b: ResultsFile): CompareRow[] {
  const rows: CompareRow[] = [];
  for (const pair of matchConfigurations(a, b).matched) {
    const ha = headlineMetrics(pair.a);
    const hb = headlineMetrics(pair.b);
    for (const metric of Object.keys(METRIC_DIRECTION) as Array<keyof HeadlineMetrics>) {
      const va = ha[metric];
      const vb = hb[metric];
      // a metric one of the runs predates is left out rather than compared with nothing
      if (va === undefined || vb === undefined) continue;
      const delta = vb - va;
      rows.push({
        config: pair.name,
        metric,
        a: va,
        b: vb,
        delta,
        deltaPct: va === 0 ? (vb === 0 ? 0 : null) : delta / Math.abs(va),
        direction: direction(metric, va, vb),
      });
    }
  }
  return rows;
}

/** Formats a delta percentage: `+12.3%`, `-4.0%`, `0.0%`, or `n/a` when a was 0. */
export function formatDeltaPct(deltaPct: number | null): string {
  if (deltaPct === null) return 'n/a';
  const sign = deltaPct > 0 ? '+' : '';
  return `${sign}${(deltaPct * 100).toFixed(1)}%`;
}

/** Options of formatCompareTable. */
export interface FormatCompareOptions {
  /** Colour better green and worse red with ANSI escapes. @default false */
  color?: boolean;
}

const ANSI = { better: '\u001b[32m', worse: '\u001b[31m', same: '', reset: '\u001b[0m' } as const;

/** The compare table as aligned plain text for the terminal, one block per configuration. */
export function formatCompareTable(rows: readonly CompareRow[], options: FormatCompareOptions = {}): string {
  if (rows.length === 0) return 'No configuration appears in both runs; nothing to compare.';
  const header = ['configuration', 'metric', 'a', 'b', 'delta', 'delta %', ''];
  const cells = rows.map((r) => [
    r.config,
    METRIC_LABEL[r.metric],
    formatMetric(r.metric, r.a),
    formatMetric(r.metric, r.b),
    formatMetricDelta(r.metric, r.delta),
    formatDeltaPct(r.deltaPct),
    r.direction,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const rightAligned = new Set([2, 3, 4, 5]);
  const line = (c: string[]): string =>
    c
      .map((text, i) => (rightAligned.has(i) ? text.padStart(widths[i]) : text.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  const out = [line(header), widths.map((w) => '-'.repeat(w)).join('  ').trimEnd()];
  cells.forEach((c, i) => {
    const previous = i > 0 ? rows[i - 1].config : null;
    const shown = [...c];
    if (previous === rows[i].config) shown[0] = '';
    let text = line(shown);
    const dir = rows[i].direction;
    if (options.color && dir !== 'same') text = `${ANSI[dir]}${text}${ANSI.reset}`;
    out.push(text);
  });
  return out.join('\n');
}
