/**
 * The per-configuration metrics a reader sees, as one table of column definitions shared by the
 * terminal summary, the report's table and `--json`: adding a metric is adding a row here.
 */
import { headlineMetrics } from '../results/headline.ts';
import type { ConfigResult, HeadlineMetrics } from '../results/schema.ts';
import { columnDurationUnit, formatCount, formatDuration, formatPct, formatUsd } from './numbers.ts';

/** One metric column: its label, unit, which way is better (or an input that is not scored), and how to read it. */
export interface MetricColumn {
  /** Key in `--json` output and in HTML `data-metric` attributes. */
  id: keyof HeadlineMetrics | 'costPerMonthUsd';
  label: string;
  unit: 'usd' | 'ms' | 'share' | 'rate';
  /** 'input' marks offered load: shown, never scored. */
  direction: 'lower' | 'higher' | 'input';
  /** undefined: the run predates the metric (shown as –). */
  value: (config: ConfigResult) => number | undefined;
  /** Shown in the terminal summary (the report shows every column). */
  terminal: boolean;
}

const headline = (key: keyof HeadlineMetrics) => (c: ConfigResult) => headlineMetrics(c)[key];

/** Every column, in reading order. */
export const METRIC_COLUMNS: readonly MetricColumn[] = [
  { id: 'e2eP50Ms', label: 'e2e p50', unit: 'ms', direction: 'lower', value: headline('e2eP50Ms'), terminal: true },
  { id: 'e2eP95Ms', label: 'e2e p95', unit: 'ms', direction: 'lower', value: headline('e2eP95Ms'), terminal: true },
  { id: 'e2eP99Ms', label: 'e2e p99', unit: 'ms', direction: 'lower', value: headline('e2eP99Ms'), terminal: false },
  { id: 'ttftP50Ms', label: 'TTFT p50', unit: 'ms', direction: 'lower', value: headline('ttftP50Ms'), terminal: false },
  { id: 'ttftP95Ms', label: 'TTFT p95', unit: 'ms', direction: 'lower', value: headline('ttftP95Ms'), terminal: true },
  { id: 'queueWaitP95Ms', label: 'queue p95', unit: 'ms', direction: 'lower', value: headline('queueWaitP95Ms'), terminal: true },
  { id: 'itlP95Ms', label: 'ITL p95', unit: 'ms', direction: 'lower', value: headline('itlP95Ms'), terminal: false },
  { id: 'tpotP95Ms', label: 'TPOT p95', unit: 'ms', direction: 'lower', value: headline('tpotP95Ms'), terminal: false },
  { id: 'outputTokensPerS', label: 'output tok/s', unit: 'rate', direction: 'higher', value: headline('outputTokensPerS'), terminal: false },
  { id: 'costPerDayUsd', label: 'cost/day', unit: 'usd', direction: 'lower', value: headline('costPerDayUsd'), terminal: true },
  { id: 'costPerMonthUsd', label: 'cost/month', unit: 'usd', direction: 'lower', value: (c) => c.cost.perMonthUsd, terminal: true },
  { id: 'costPerRequestUsd', label: 'cost/request', unit: 'usd', direction: 'lower', value: headline('costPerRequestUsd'), terminal: false },
  { id: 'quality', label: 'quality', unit: 'share', direction: 'higher', value: headline('quality'), terminal: true },
  { id: 'errorRate', label: 'errors', unit: 'share', direction: 'lower', value: headline('errorRate'), terminal: true },
  { id: 'peakRps', label: 'peak req/s (offered)', unit: 'rate', direction: 'input', value: headline('peakRps'), terminal: false },
];

/** A column's cells for these configurations: durations in the one unit of the column's largest value. */
export function formatColumn(column: MetricColumn, configs: readonly ConfigResult[]): string[] {
  const values = configs.map(column.value);
  const defined = values.filter((v): v is number => v !== undefined);
  const unit = column.unit === 'ms' ? columnDurationUnit(defined) : undefined;
  return values.map((v) => (v === undefined ? '–' : formatCell(column.unit, v, unit)));
}

function formatCell(kind: MetricColumn['unit'], v: number, unit: ReturnType<typeof columnDurationUnit> | undefined): string {
  switch (kind) {
    case 'usd':
      return formatUsd(v);
    case 'share':
      return formatPct(v);
    case 'rate':
      return formatCount(v);
    case 'ms':
      return formatDuration(v, unit);
  }
}

/** A configuration's SLO status in words: `met`, `missed: quality, e2e p95`, or `–` without SLOs. */
export function sloStatus(config: ConfigResult): string {
  if (config.slo.checks.length === 0) return '–';
  if (config.slo.meetsAll) return 'met';
  return `missed: ${config.slo.checks
    .filter((x) => !x.met)
    .map((x) => x.metric.replace(/\s*\([^)]*\)$/, ''))
    .join(', ')}`;
}
