/** Turning numbers and user strings into safe, readable text for HTML pages and the terminal. */
import type { HeadlineMetrics } from '../results/schema.ts';

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/**
 * JSON safe to place inside a <script> element: `<`, `>` and `&` become \u escapes (so no
 * `</script>` or `<!--` can appear), as do U+2028/U+2029. JSON.parse reads it back unchanged.
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/**
 * JavaScript source safe to inline in a <script> element: breaks up any `</script` and `<!--`
 * (which would end or confuse the element). `<\/` reads as `</` inside JS strings and regexes.
 */
export function jsForScript(source: string): string {
  return source.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');
}

/** Dollars with a precision that suits the magnitude: $12,345, $1,234.50, $0.00123. */
export function formatUsd(value: number): string {
  const abs = Math.abs(value);
  const sign = value < 0 ? '-' : '';
  if (abs >= 10_000) return `${sign}$${Math.round(abs).toLocaleString('en-US')}`;
  if (abs >= 1) return `${sign}$${abs.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
  if (abs === 0) return '$0';
  return `${sign}$${abs.toPrecision(3)}`;
}

/** Milliseconds, rounded: `12.5 ms`, `1,234 ms`; from 100 s on, seconds: `3,227.5 s`. */
export function formatMs(value: number): string {
  if (Math.abs(value) >= 100_000) return `${(value / 1000).toLocaleString('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 })} s`;
  if (Math.abs(value) >= 100) return `${Math.round(value).toLocaleString('en-US')} ms`;
  return `${Number(value.toFixed(1))} ms`;
}

/** A 0–1 share as a percentage: `12.3%`. */
export function formatPct(share: number, digits = 1): string {
  return `${(share * 100).toFixed(digits)}%`;
}

/** A plain number with thousands separators and up to `digits` decimals. */
export function formatNumber(value: number, digits = 2): string {
  return value.toLocaleString('en-US', { maximumFractionDigits: digits });
}

/** Label and unit of each headline metric, for table headers. */
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

/** Formats one headline metric value with its unit. */
export function formatMetric(metric: keyof HeadlineMetrics, value: number): string {
  switch (metric) {
    case 'costPerDayUsd':
    case 'costPerRequestUsd':
      return formatUsd(value);
    case 'e2eP50Ms':
    case 'e2eP95Ms':
    case 'e2eP99Ms':
    case 'ttftP50Ms':
    case 'ttftP95Ms':
    case 'queueWaitP95Ms':
    case 'itlP95Ms':
    case 'tpotP95Ms':
      return formatMs(value);
    case 'quality':
    case 'errorRate':
      return formatPct(value, 2);
    case 'peakRps':
    case 'outputTokensPerS':
      return formatNumber(value, 2);
  }
}

/** Formats the difference of one headline metric (b − a), signed. */
export function formatMetricDelta(metric: keyof HeadlineMetrics, delta: number): string {
  const sign = delta > 0 ? '+' : delta < 0 ? '-' : '±';
  const abs = Math.abs(delta);
  if (metric === 'quality' || metric === 'errorRate') return `${sign}${(abs * 100).toFixed(2)} pp`;
  return `${sign}${formatMetric(metric, abs)}`;
}
