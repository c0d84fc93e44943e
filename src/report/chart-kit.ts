/**
 * What every chart shares: the chart definition, latency axes with 4–8 readable ticks, which
 * configurations are drawn in colour (the Pareto set and the cheapest that meet the SLOs; the rest
 * muted), and day-long series thinned to a few hundred points a configuration.
 */
import type { ConfigResult } from '../results/schema.ts';
import { pickHeadline } from './findings.ts';
import { paretoOptimal } from './frontier.ts';

/** A vega-lite spec as plain JSON (compiled to vega in page.ts). */
export type VlSpec = Record<string, unknown>;
/** One row of chart data. */
export type ChartRow = Record<string, string | number | boolean>;

/** One chart of a page: a spec to draw, or a note saying why it is skipped. */
export interface ChartDef {
  id: string;
  title: string;
  /** One sentence on what the chart shows and how to read it. */
  description: string;
  spec: VlSpec | null;
  /** Why the chart is skipped (when spec is null). */
  note?: string;
  /** Named datasets the spec reads (`data: { name }`): written into the page once, packed by column. */
  data?: Record<string, ChartRow[]>;
}

/** Axis labels for milliseconds in the unit that reads best: 500 ms, 10 s, 1.7 min, 2.8 h. */
export const MS_LABEL_EXPR =
  "datum.value >= 3600000 ? format(datum.value / 3600000, '.2~r') + ' h' : datum.value >= 60000 ? format(datum.value / 60000, '.2~r') + ' min' : datum.value >= 1000 ? format(datum.value / 1000, '.2~r') + ' s' : format(datum.value, '~r') + ' ms'";

/** At most this many configurations get their own colour and legend entry; the rest are drawn muted. */
export const MAX_COLOURED = 8;
/** Colour of configurations that are not highlighted. */
export const MUTED = '#c8c8c8';
/** Ten distinguishable colours (Tableau 10) for the highlighted configurations. */
export const PALETTE = ['#4c78a8', '#f58518', '#54a24b', '#e45756', '#72b7b2', '#b279a2', '#eeca3b', '#9d755d', '#ff9da6', '#bab0ac'];

/**
 * Tick values for a log-like latency axis spanning [min, max]: powers of ten, with 2× and 5× steps
 * added while there are fewer than 4, thinned to at most 8.
 */
export function logTicks(min: number, max: number): number[] {
  if (!(max > 0)) return [0];
  const lo = Math.max(1, min);
  const decades: number[] = [];
  for (let t = 10 ** Math.floor(Math.log10(lo)); t <= max * 1.0001; t *= 10) decades.push(t);
  let ticks = decades.filter((t) => t >= lo / 1.0001);
  if (ticks.length < 4) ticks = decades.flatMap((t) => [t, 2 * t, 5 * t]).filter((t) => t >= lo / 1.0001 && t <= max * 1.0001);
  if (ticks.length < 4) ticks = linearTicks(lo, max);
  while (ticks.length > 8) ticks = ticks.filter((_, i) => i % 2 === 0);
  return ticks;
}

/** About five round ticks between lo and hi (steps of 1, 2 or 5 × a power of ten). */
export function linearTicks(lo: number, hi: number): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / 5;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw)!;
  const out: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi * 1.0001; t += step) out.push(Number(t.toPrecision(12)));
  return out;
}

/**
 * Scale and axis of a latency channel: linear with at most 6 ticks, or symmetric-log with
 * `logTicks` when the values span more than two orders of magnitude (an overloaded
 * configuration's hours-long waits would otherwise flatten every other bar).
 */
export function latencyChannel(values: readonly number[], scale: VlSpec = {}): { scale: VlSpec; axis: VlSpec } {
  const positive = values.filter((v) => v > 0);
  const max = positive.length ? Math.max(...positive) : 0;
  const min = positive.length ? Math.min(...positive) : 0;
  if (positive.length === 0 || max / min <= 100) return { scale: { ...scale }, axis: { labelExpr: MS_LABEL_EXPR, tickCount: 5 } };
  const ticks = logTicks(min, max);
  return { scale: { type: 'symlog', constant: Math.max(1, ticks[0] / 10), ...scale }, axis: { values: ticks, labelExpr: MS_LABEL_EXPR } };
}

/**
 * The configurations drawn in colour: the Pareto-optimal ones that meet every SLO, then the other
 * Pareto-optimal ones, then the cheapest that meet every SLO, cheapest first, at most MAX_COLOURED.
 */
export function highlighted(configs: readonly ConfigResult[]): Set<string> {
  if (configs.length <= MAX_COLOURED) return new Set(configs.map((c) => c.name));
  const optimal = paretoOptimal(configs);
  const byCost = [...configs].sort((a, b) => a.cost.perDayUsd - b.cost.perDayUsd);
  const headline = pickHeadline(configs.filter((c) => c.slo.meetsAll));
  const order = [
    ...(headline ? [headline] : []),
    ...byCost.filter((c) => optimal.has(c.name) && c.slo.meetsAll),
    ...byCost.filter((c) => optimal.has(c.name)),
    ...byCost.filter((c) => c.slo.meetsAll),
  ];
  return new Set([...new Set(order.map((c) => c.name))].slice(0, MAX_COLOURED));
}

/** Rounds to a number of decimals (display data only; results.json keeps full precision). */
export function round(value: number, decimals: number): number {
  const f = 10 ** decimals;
  return Math.round(value * f) / f;
}

/** A page draws at most this many points of a day-long series per configuration. */
export const MAX_SERIES_POINTS = 288;

/**
 * Indexes of a series thinned to at most MAX_SERIES_POINTS buckets: each bucket is the run of
 * `step` consecutive intervals it averages (`buckets[k]` = [start, end)).
 */
export function seriesBuckets(length: number): Array<[number, number]> {
  const step = Math.max(1, Math.ceil(length / MAX_SERIES_POINTS));
  const out: Array<[number, number]> = [];
  for (let i = 0; i < length; i += step) out.push([i, Math.min(length, i + step)]);
  return out;
}

/** Mean of `values` over [start, end). */
export function bucketMean(values: readonly number[], [start, end]: [number, number]): number {
  let sum = 0;
  for (let i = start; i < end; i++) sum += values[i] ?? 0;
  return end > start ? sum / (end - start) : 0;
}

/** A select input over configuration labels, shared by the panels of a chart. */
export function configSelect(labels: readonly string[]): VlSpec {
  return { name: 'cfg', value: labels[0], bind: { input: 'select', options: [...labels], name: 'configuration ' } };
}
