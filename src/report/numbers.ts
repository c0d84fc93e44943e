/**
 * The one number formatter: every figure a person reads (terminal, Markdown, HTML, findings) goes
 * through these functions, so a column never mixes units and no raw float, NaN, undefined or
 * Infinity reaches a reader.
 */
import type { HeadlineMetrics } from '../results/schema.ts';

/** What a reader sees instead of a value that is missing or not a finite number. */
export const NO_VALUE = '—';
/** The minus sign used for signed figures (a real minus, not a hyphen). */
const MINUS = '−';

/**
 * `x` with about three significant digits and thousands separators, trailing zeros dropped:
 * 1234.5 → `1,235`, 87.25 → `87.3`, 5.125 → `5.13`, 0.01234 → `0.0123`, 20 → `20`.
 */
export function sig3(x: number): string {
  if (!Number.isFinite(x)) return NO_VALUE;
  const abs = Math.abs(x);
  if (abs === 0) return '0';
  const decimals = abs >= 99.95 ? 0 : abs >= 9.995 ? 1 : abs >= 1 ? 2 : Math.min(12, 2 - Math.floor(Math.log10(abs)));
  return x.toLocaleString('en-US', { maximumFractionDigits: decimals, minimumFractionDigits: 0 });
}

/** Dollars: `$12,345` from $1,000 on, `$123.45` / `$0.50` from 10 cents, `$0.00123` (three significant digits) below. */
export function formatUsd(value: number): string {
  if (!Number.isFinite(value)) return NO_VALUE;
  const abs = Math.abs(value);
  const sign = value < 0 ? MINUS : '';
  if (abs === 0) return '$0';
  if (abs >= 999.995) return `${sign}$${Math.round(abs).toLocaleString('en-US')}`;
  if (abs >= 0.1) return `${sign}$${abs.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
  return `${sign}$${Number(abs.toPrecision(3)).toLocaleString('en-US', { maximumFractionDigits: 12 })}`;
}

/** A duration unit a column is written in. */
export type DurationUnit = 'ms' | 's' | 'min' | 'h';

/** Milliseconds in one of each duration unit. */
export const MS_PER_UNIT: Readonly<Record<DurationUnit, number>> = { ms: 1, s: 1000, min: 60_000, h: 3_600_000 };
const MS_PER = MS_PER_UNIT;

/** The unit that reads best for a duration: ms below 10 s, s below 2 min, min below 2 h, else h. */
export function durationUnit(ms: number): DurationUnit {
  const abs = Math.abs(ms);
  if (!Number.isFinite(abs) || abs < 10_000) return 'ms';
  if (abs < 120_000) return 's';
  if (abs < 7_200_000) return 'min';
  return 'h';
}

// ms only when the largest value is under 10 s: a column never steps down from s to ms
const UNITS_DOWN: readonly DurationUnit[] = ['h', 'min', 's'];
/** A column steps down to a smaller unit only while its largest value stays under this many of it. */
const MAX_IN_UNIT = 100_000;

/**
 * One unit for a whole column, so rows compare at a glance: the unit of its largest value, then
 * smaller units while its smallest non-zero value reads below 1 and its largest stays under
 * 100,000 (7 s beside 17 h reads `6.94 s` … `60,840 s`, not `0.00193 h`).
 */
export function columnDurationUnit(valuesMs: readonly number[]): DurationUnit {
  const finite = valuesMs.filter(Number.isFinite).map(Math.abs);
  const max = finite.length === 0 ? 0 : Math.max(...finite);
  const nonZero = finite.filter((v) => v > 0);
  const min = nonZero.length === 0 ? 0 : Math.min(...nonZero);
  const own = durationUnit(max);
  if (own === 'ms') return own;
  let i = UNITS_DOWN.indexOf(own);
  while (i < UNITS_DOWN.length - 1 && min > 0 && min / MS_PER[UNITS_DOWN[i]] < 1 && max / MS_PER[UNITS_DOWN[i + 1]] < MAX_IN_UNIT) i++;
  return UNITS_DOWN[i];
}

/** A duration in `unit` (default: the one that suits the value): `8,135 ms`, `13.6 s`, `20 min`, `2.5 h`. */
export function formatDuration(ms: number, unit: DurationUnit = durationUnit(ms)): string {
  if (!Number.isFinite(ms)) return NO_VALUE;
  const sign = ms < 0 ? MINUS : '';
  return `${sign}${sig3(Math.abs(ms) / MS_PER[unit])} ${unit}`;
}

/** A 0–1 share as a percentage with at most three significant digits: `87.3%`, `5.12%`, `0.5%`, `100%`. */
export function formatPct(share: number): string {
  if (!Number.isFinite(share)) return NO_VALUE;
  return `${share < 0 ? MINUS : ''}${sig3(Math.abs(share) * 100)}%`;
}

/** A difference of two shares in percentage points, signed: `+2 pp`, `−0.35 pp`, `±0 pp`. */
export function formatPp(deltaShare: number): string {
  if (!Number.isFinite(deltaShare)) return NO_VALUE;
  const sign = deltaShare > 0 ? '+' : deltaShare < 0 ? MINUS : '±';
  return `${sign}${sig3(Math.abs(deltaShare) * 100)} pp`;
}

/**
 * A relative change (0.123 = +12.3%), signed, at most three significant digits; beyond ±1000% it is
 * written as the factor between the two values (`×10,600`), which is what a reader can use.
 */
export function formatRelativeChange(ratio: number): string {
  if (!Number.isFinite(ratio)) return NO_VALUE;
  if (Math.abs(ratio) > 10) return `×${(1 + ratio < 0 ? MINUS : '') + sig3(Math.abs(1 + ratio))}`;
  const sign = ratio > 0 ? '+' : ratio < 0 ? MINUS : '±';
  return `${sign}${sig3(Math.abs(ratio) * 100)}%`;
}

/** A signed money difference: `+$12.50`, `−$1,234`, `±$0`. */
export function formatUsdDelta(delta: number): string {
  if (!Number.isFinite(delta)) return NO_VALUE;
  return `${delta > 0 ? '+' : delta < 0 ? MINUS : '±'}${formatUsd(Math.abs(delta))}`;
}

/** A signed duration difference in the unit that suits it (or `unit`): `+6.8 s`, `−120 ms`. */
export function formatDurationDelta(deltaMs: number, unit: DurationUnit = durationUnit(deltaMs)): string {
  if (!Number.isFinite(deltaMs)) return NO_VALUE;
  return `${deltaMs > 0 ? '+' : deltaMs < 0 ? MINUS : '±'}${formatDuration(Math.abs(deltaMs), unit)}`;
}

/** A count or other plain quantity: `100,000`, `2.35`, `0.0123`. */
export function formatCount(value: number): string {
  return sig3(value);
}

/** Label of each headline metric, for table headers and sentences. */
export const METRIC_LABEL: Readonly<Record<keyof HeadlineMetrics, string>> = Object.freeze({
  costPerDayUsd: 'cost/day',
  costPerRequestUsd: 'cost/request',
  e2eP50Ms: 'e2e p50',
  e2eP95Ms: 'e2e p95',
  e2eP99Ms: 'e2e p99',
  ttftP50Ms: 'TTFT p50',
  ttftP95Ms: 'TTFT p95',
  queueWaitP95Ms: 'queue wait p95',
  quality: 'quality',
  errorRate: 'error rate',
  peakRps: 'peak req/s',
  itlP95Ms: 'ITL p95',
  tpotP95Ms: 'TPOT p95',
  outputTokensPerS: 'output tok/s',
});

/** How each headline metric is measured: money, a duration, a share or a rate. */
export const METRIC_UNIT: Readonly<Record<keyof HeadlineMetrics, 'usd' | 'ms' | 'share' | 'rate'>> = Object.freeze({
  costPerDayUsd: 'usd',
  costPerRequestUsd: 'usd',
  e2eP50Ms: 'ms',
  e2eP95Ms: 'ms',
  e2eP99Ms: 'ms',
  ttftP50Ms: 'ms',
  ttftP95Ms: 'ms',
  queueWaitP95Ms: 'ms',
  quality: 'share',
  errorRate: 'share',
  peakRps: 'rate',
  itlP95Ms: 'ms',
  tpotP95Ms: 'ms',
  outputTokensPerS: 'rate',
});

/** Formats one headline metric value with its unit (durations in `unit` when a column fixed one). */
export function formatMetric(metric: keyof HeadlineMetrics, value: number, unit?: DurationUnit): string {
  switch (METRIC_UNIT[metric]) {
    case 'usd':
      return formatUsd(value);
    case 'ms':
      return formatDuration(value, unit);
    case 'share':
      return formatPct(value);
    case 'rate':
      return formatCount(value);
  }
}

/** Formats the difference of one headline metric (b − a), signed, in its unit (shares in pp). */
export function formatMetricDelta(metric: keyof HeadlineMetrics, delta: number, unit?: DurationUnit): string {
  switch (METRIC_UNIT[metric]) {
    case 'usd':
      return formatUsdDelta(delta);
    case 'ms':
      return formatDurationDelta(delta, unit);
    case 'share':
      return formatPp(delta);
    case 'rate':
      return `${delta > 0 ? '+' : delta < 0 ? MINUS : '±'}${formatCount(Math.abs(delta))}`;
  }
}

/**
 * Formats a column of one metric: durations share the unit of the column's largest value
 * (`0.4 s`, `13.6 s`, never `400 ms` beside `13.6 s`).
 */
export function formatMetricColumn(metric: keyof HeadlineMetrics, values: readonly number[]): string[] {
  const unit = METRIC_UNIT[metric] === 'ms' ? columnDurationUnit(values) : undefined;
  return values.map((v) => formatMetric(metric, v, unit));
}
