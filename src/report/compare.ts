/**
 * Comparing two runs of one scenario: comparability, what changed between them, configurations
 * matched by name, deltas judged against the runs' noise, and which run wins on cost at equal SLOs.
 */
import { BenchError } from '../core/errors.ts';
import { configDifferences } from '../core/json-diff.ts';
import { METRIC_DIRECTION, headlineMetrics } from '../results/headline.ts';
import type { ConfigResult, HeadlineMetrics, ResultsFile } from '../results/schema.ts';
import { pickHeadline } from './findings.ts';
import { difference } from './noise.ts';
import { formatCount, formatMetric, formatMetricDelta, formatRelativeChange, formatUsd, formatUsdDelta, METRIC_LABEL } from './numbers.ts';

/** Whether b moved a metric the good way, the bad way, or not beyond the noise ('same': reads "no change"). */
export type DeltaDirection = 'better' | 'worse' | 'same';

/** Scored metrics: outcomes only; offered load (peak req/s) is an input and is shown under "what changed". */
const COMPARED_METRICS = (Object.keys(METRIC_DIRECTION) as Array<keyof HeadlineMetrics>).filter((m) => m !== 'peakRps');

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
  /** Half-width of the 95% interval of the delta (replications, or sampling error with one). */
  noise: number;
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

function direction(metric: keyof HeadlineMetrics, delta: number, noise: number): DeltaDirection {
  if (Math.abs(delta) <= noise) return 'same';
  const up = delta > 0;
  return METRIC_DIRECTION[metric] === 'lower' ? (up ? 'worse' : 'better') : up ? 'better' : 'worse';
}

/** One row per matched configuration and scored metric: a, b, delta, delta %, its noise and its direction. */
export function compareTable(a: ResultsFile, b: ResultsFile): CompareRow[] {
  const rows: CompareRow[] = [];
  for (const pair of matchConfigurations(a, b).matched) {
    for (const metric of COMPARED_METRICS) {
      const d = difference(pair.a, pair.b, metric);
      const va = headlineMetrics(pair.a)[metric];
      const vb = headlineMetrics(pair.b)[metric];
      // a metric one of the runs predates (ITL, TPOT in older results) is left out, not compared with nothing
      if (va === undefined || vb === undefined) continue;
      rows.push({
        config: pair.name,
        metric,
        a: va,
        b: vb,
        delta: vb - va,
        deltaPct: va === 0 ? (vb === 0 ? 0 : null) : (vb - va) / Math.abs(va),
        noise: d.halfWidth,
        direction: direction(metric, d.delta, d.halfWidth),
      });
    }
  }
  return rows;
}

/** Formats a delta percentage: `+12.3%`, `−4%`, `×11` beyond ±1000%, or `new` when a was 0. */
export function formatDeltaPct(deltaPct: number | null): string {
  return deltaPct === null ? 'new' : formatRelativeChange(deltaPct);
}

/** A direction in words: `better`, `worse`, `no change`. */
export function directionText(direction: DeltaDirection): string {
  return direction === 'same' ? 'no change' : direction;
}

/** Options of formatCompareTable. */
export interface FormatCompareOptions {
  /** Colour better green and worse red with ANSI escapes. @default false */
  color?: boolean;
  /** Configurations invalid in run a, b or both (their verdicts read "(invalid in a)" and so on). */
  invalid?: ReadonlyMap<string, string>;
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
    options.invalid?.has(r.config) === true ? `${directionText(r.direction)} (invalid in ${options.invalid.get(r.config)})` : directionText(r.direction),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const rightAligned = new Set([2, 3, 4, 5]);
  const line = (c: string[]): string =>
    c
      .map((text, i) => (rightAligned.has(i) ? text.padStart(widths[i]) : text.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  const out = [
    line(header),
    widths
      .map((w) => '-'.repeat(w))
      .join('  ')
      .trimEnd(),
  ];
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

/** Requests a day of a run (its first configuration's total scaled to 24 h), or null without one. */
export function requestsPerDay(results: ResultsFile): number | null {
  const c = results.configurations[0];
  if (!c || c.durationHours <= 0) return null;
  return Math.round(c.requests.total * (24 / c.durationHours));
}

/** What differs between the two runs, before any delta: scenario fields by path, traffic, seed, code, mode, machine. */
export function runChanges(a: ResultsFile, b: ResultsFile): string[] {
  const out: string[] = [];
  const ra = requestsPerDay(a);
  const rb = requestsPerDay(b);
  if (ra !== rb) out.push(`traffic: ${ra === null ? '—' : formatCount(ra)} → ${rb === null ? '—' : formatCount(rb)} requests a day`);
  const peak = (r: ResultsFile) => Math.max(0, ...r.configurations.map((c) => c.throughput.peakRps));
  if (peak(a) !== peak(b)) out.push(`offered load (input, not scored): peak ${formatCount(peak(a))} → ${formatCount(peak(b))} req/s`);
  if (a.seed !== b.seed) out.push(`seed: ${a.seed} → ${b.seed}`);
  if (a.replications !== b.replications) out.push(`replications: ${a.replications} → ${b.replications}`);
  const code = (r: ResultsFile) => `${r.code.version}${r.code.gitCommit ? ` (${r.code.gitCommit.slice(0, 12)})` : ''}`;
  if (code(a) !== code(b)) out.push(`code: ${code(a)} → ${code(b)}`);
  if (a.mode !== b.mode) out.push(`mode: ${a.mode} → ${b.mode}`);
  if (a.machine.cpuModel !== b.machine.cpuModel || a.machine.cpus !== b.machine.cpus)
    out.push(`machine: ${a.machine.cpus} × ${a.machine.cpuModel} → ${b.machine.cpus} × ${b.machine.cpuModel}`);
  // traffic shows once above, in requests a day; every other scenario field by its path
  const scenario = configDifferences(a.scenario.config, b.scenario.config).filter((d) => !d.startsWith('traffic.requestsPerDay:'));
  return [...out, ...scenario.map((d) => `scenario ${d}`)];
}

/** Which run wins on cost at equal SLOs: each run's cheapest configuration that meets every SLO, compared. */
export function costVerdict(a: ResultsFile, b: ResultsFile): string {
  const ha = pickHeadline(a.configurations.filter((c) => c.slo.meetsAll));
  const hb = pickHeadline(b.configurations.filter((c) => c.slo.meetsAll));
  const sameSlo = JSON.stringify(a.slo) === JSON.stringify(b.slo) ? '' : ' (the two runs set different SLOs)';
  if (!ha && !hb) return `Neither run has a configuration that meets every SLO${sameSlo}, so neither wins on cost.`;
  if (!ha || !hb) {
    const [w, h] = ha ? ['a', ha] : ['b', hb!];
    return `Run ${w} wins: only it has a configuration that meets every SLO${sameSlo} (${h.name}, ${formatUsd(h.cost.perDayUsd)} a day).`;
  }
  const d = difference(ha, hb, 'costPerDayUsd');
  const text = `run a's cheapest configuration meeting every SLO${sameSlo} is ${ha.name} at ${formatUsd(ha.cost.perDayUsd)} a day, run b's is ${hb.name} at ${formatUsd(hb.cost.perDayUsd)}`;
  if (Math.abs(d.delta) <= d.halfWidth) return `Neither run wins on cost at equal SLOs: ${text} (the same within noise).`;
  const winner = d.delta < 0 ? 'b' : 'a';
  return `Run ${winner} wins on cost at equal SLOs: ${text} (${formatUsdDelta(hb.cost.perDayUsd - ha.cost.perDayUsd)} a day, ${formatUsdDelta(hb.cost.perMonthUsd - ha.cost.perMonthUsd)} a month).`;
}
