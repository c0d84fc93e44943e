/**
 * What every chart shares: the chart definition, latency axes with 4–8 readable ticks, which
 * configurations are drawn in colour (the Pareto set and the cheapest that meet the SLOs; the rest
 * muted), and day-long series thinned to a few hundred points a configuration.
 */
import { headlineMetrics } from '../results/headline.ts';
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

/** Axis labels for milliseconds in the unit that reads best: 500 ms, 10 s, 1.7 min, 2.8 h (0 alone: the other ticks give the unit). */
const MS_LABEL_EXPR =
  "datum.value === 0 ? '0' : datum.value >= 3600000 ? format(datum.value / 3600000, '.2~r') + ' h' : datum.value >= 60000 ? format(datum.value / 60000, '.2~r') + ' min' : datum.value >= 1000 ? format(datum.value / 1000, '.2~r') + ' s' : format(datum.value, '~r') + ' ms'";

/** Pixels a latency tick label needs on a horizontal axis: a 220-pixel panel takes 4 labels. */
const TICK_LABEL_PX = 50;

/** At most this many configurations get their own colour and legend entry; the rest are drawn muted. */
export const MAX_COLOURED = 8;
/** Colour of configurations that are not highlighted. */
export const MUTED = '#c8c8c8';
/** Ten distinguishable colours (Tableau 10) for the highlighted configurations. */
const PALETTE = ['#4c78a8', '#f58518', '#54a24b', '#e45756', '#72b7b2', '#b279a2', '#eeca3b', '#9d755d', '#ff9da6', '#bab0ac'];

const S = 1000;
const MIN = 60_000;
const H = 3_600_000;
/** Round durations a reader knows (1 ms … 1 day), coarse (one a decade) and fine. */
const COARSE_TICKS = [1, 10, 100, S, 10 * S, MIN, 10 * MIN, H, 10 * H];
const FINE_TICKS = [
  1,
  2,
  5,
  10,
  20,
  50,
  100,
  200,
  500,
  S,
  2 * S,
  5 * S,
  10 * S,
  20 * S,
  30 * S,
  MIN,
  2 * MIN,
  5 * MIN,
  10 * MIN,
  20 * MIN,
  30 * MIN,
  H,
  2 * H,
  5 * H,
  10 * H,
  24 * H,
];

/**
 * Tick values (ms) for a log latency axis spanning [min, max]: round durations (10 s, 1 min,
 * 10 min, 1 h …), one a decade, finer steps while there are fewer than 4, linear steps for a
 * narrow range, thinned to at most `maxTicks` (a narrow panel has room for fewer labels).
 */
export function logTicks(min: number, max: number, maxTicks = 8): number[] {
  if (!(max > 0)) return [0];
  const lo = Math.max(1, min);
  const inRange = (ladder: readonly number[]) => ladder.filter((t) => t >= lo / 1.0001 && t <= max * 1.0001);
  let ticks = inRange(COARSE_TICKS);
  if (ticks.length < 4) ticks = inRange(FINE_TICKS);
  if (ticks.length < 4) ticks = linearTicks(lo, max);
  while (ticks.length > Math.max(4, maxTicks)) ticks = ticks.filter((_, i) => i % 2 === 0);
  return ticks;
}

/** A round tick step (1, 2 or 5 × a power of ten) giving about `count` ticks between lo and hi (hi > lo). */
function tickStep(lo: number, hi: number, count = 5): number {
  const raw = (hi - lo) / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw)!;
}

/** Ticks every `step` from lo to hi (both on the step), without float dust. */
function stepTicks(lo: number, hi: number, step: number): number[] {
  const out: number[] = [];
  for (let t = lo; t <= hi + step * 1e-6; t += step) out.push(Number(t.toPrecision(12)));
  return out;
}

/** About five round ticks between lo and hi (steps of 1, 2 or 5 × a power of ten). */
function linearTicks(lo: number, hi: number): number[] {
  if (!(hi > lo)) return [lo];
  const step = tickStep(lo, hi);
  return stepTicks(Math.ceil(lo / step) * step, hi, step);
}

/** What a linear value axis shows: shares (0–1) in percent, US dollars, or milliseconds written in the unit that reads best. */
export type LinearUnit = 'share' | 'usd' | 'ms';

/** Units of a millisecond axis, largest first (below a second it stays in ms). */
const MS_UNITS = [
  [H, 'h'],
  [MIN, 'min'],
  [S, 's'],
] as const;

/** Decimals that tell apart ticks `step` apart. */
function decimalsFor(step: number): number {
  return Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
}

/** Tick labels of a linear axis with ticks `step` apart up to `max`: every label with the same unit and decimals. */
function linearFormat(unit: LinearUnit, step: number, max: number): VlSpec {
  if (unit === 'share') return { format: `.${decimalsFor(step * 100)}%` };
  if (unit === 'usd') return { format: `$,.${decimalsFor(step)}f` };
  const [div, name] = MS_UNITS.find(([d]) => max >= d) ?? [1, 'ms'];
  return { labelExpr: `format(datum.value / ${div}, ',.${decimalsFor(step / div)}f') + ' ${name}'` };
}

/**
 * Scale and axis of a linear channel that need not start at zero: the values' range (pass any
 * SLO line's value with them), padded to a minimum span when the values are equal or nearly so
 * (2 points of share; otherwise 10% of the value, at least 1), widened to round ticks, and labelled
 * with as many decimals as the tick step needs. A run with one configuration used to get a single
 * tick printed to six decimals ("94.851417%") from vega's default, or ticks that read alike ("15 s", "15 s").
 */
export function linearChannel(values: readonly number[], unit: LinearUnit): { scale: VlSpec; axis: VlSpec } {
  const finite = values.filter(Number.isFinite);
  let lo = finite.length > 0 ? Math.min(...finite) : 0;
  let hi = finite.length > 0 ? Math.max(...finite) : 1;
  const minSpan = unit === 'share' ? 0.02 : Math.max(1, 0.1 * Math.abs(hi));
  if (hi - lo < minSpan) [lo, hi] = [(lo + hi - minSpan) / 2, (lo + hi + minSpan) / 2];
  if (lo < 0 && finite.every((v) => v >= 0)) [lo, hi] = [0, hi - lo];
  if (unit === 'share' && hi > 1) [lo, hi] = [Math.max(0, lo - (hi - 1)), 1];
  const step = tickStep(lo, hi);
  const domain = [Math.floor(lo / step + 1e-9) * step, Math.ceil(hi / step - 1e-9) * step].map((v) => Number(v.toPrecision(12)));
  return { scale: { domain, nice: false, zero: false }, axis: { values: stepTicks(domain[0], domain[1], step), ...linearFormat(unit, step, domain[1]) } };
}

/**
 * Scale and axis of a latency channel: linear with at most 6 ticks, or symmetric-log with
 * `logTicks` when the values span more than two orders of magnitude (an overloaded
 * configuration's hours-long waits would otherwise flatten every other bar).
 */
export function latencyChannel(values: readonly number[], scale: VlSpec = {}, maxTicks = 8): { scale: VlSpec; axis: VlSpec } {
  const positive = values.filter((v) => v > 0);
  const max = positive.length ? Math.max(...positive) : 0;
  const min = positive.length ? Math.min(...positive) : 0;
  if (positive.length > 0 && max / min <= 100 && scale.zero === false) {
    const linear = linearChannel(values, 'ms');
    return { scale: { ...scale, ...linear.scale }, axis: { ...linear.axis, labelOverlap: 'greedy' } };
  }
  if (positive.length === 0 || max / min <= 100)
    return { scale: { ...scale }, axis: { labelExpr: MS_LABEL_EXPR, tickCount: Math.min(5, maxTicks), labelOverlap: 'greedy' } };
  const ticks = logTicks(min, max, maxTicks);
  return {
    scale: { type: 'symlog', constant: Math.max(1, ticks[0] / 10), ...scale },
    axis: { values: ticks, labelExpr: MS_LABEL_EXPR, labelOverlap: 'greedy' },
  };
}

/** True when two configurations sit where a reader cannot tell them apart: cost and e2e p95 within 1%, quality within 0.1 pp. */
function samePoint(a: ConfigResult, b: ConfigResult): boolean {
  const [x, y] = [headlineMetrics(a), headlineMetrics(b)];
  const within1Percent = (u: number, v: number) => Math.abs(u - v) <= 0.01 * Math.max(Math.abs(u), Math.abs(v));
  return within1Percent(x.costPerDayUsd, y.costPerDayUsd) && Math.abs(x.quality - y.quality) <= 0.001 && within1Percent(x.e2eP95Ms, y.e2eP95Ms);
}

/**
 * The configurations drawn in colour: the headline, the Pareto-optimal ones that meet every SLO,
 * the other ones that meet every SLO, then the other Pareto-optimal ones, cheapest first, at most
 * MAX_COLOURED, one per frontier point: a configuration at the same cost, quality and p95 as one
 * already coloured (within what the chart can show apart; more workers than a queue-free run
 * needs, say) stays grey beneath it.
 */
export function highlighted(configs: readonly ConfigResult[]): Set<string> {
  if (configs.length <= MAX_COLOURED) return new Set(configs.map((c) => c.name));
  const optimal = paretoOptimal(configs);
  const byCost = [...configs].sort((a, b) => a.cost.perDayUsd - b.cost.perDayUsd);
  const headline = pickHeadline(configs.filter((c) => c.slo.meetsAll));
  const order = [
    ...(headline ? [headline] : []),
    ...byCost.filter((c) => optimal.has(c.name) && c.slo.meetsAll),
    ...byCost.filter((c) => c.slo.meetsAll),
    ...byCost.filter((c) => optimal.has(c.name)),
  ];
  const picked: ConfigResult[] = [];
  for (const c of order) {
    if (picked.length < MAX_COLOURED && !picked.some((p) => p === c || samePoint(p, c))) picked.push(c);
  }
  return new Set(picked.map((c) => c.name));
}

/** The sentence saying which configurations a chart draws in colour, when some are muted ('' when none is). */
export function colourNote(coloured: number, total: number, grey = 'grey'): string {
  const muted = total - coloured;
  return muted > 0 ? ` In colour: the ${coloured} Pareto-optimal or cheapest configurations meeting the SLOs; the other ${muted} are ${grey}.` : '';
}

/** Colours of the highlighted configurations, by label, in highlight order. */
export function colourScale(highlightedLabels: readonly string[]): VlSpec {
  return { domain: [...highlightedLabels], range: PALETTE.slice(0, highlightedLabels.length) };
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

/** How a panel's x axis reads latency: bars may stay linear, CDF lines are always on a log axis. */
export type LatencyAxis = 'auto' | 'log';

/**
 * The x channel of one latency panel (field `ms`) with its own ticks, and its title; a panel whose
 * values are all zero says so in its title instead of drawing a degenerate axis.
 */
function latencyPanelX(kind: string, valuesMs: readonly number[], axis: LatencyAxis, widthPx: number): { x: VlSpec; title: string } {
  const positive = valuesMs.filter((v) => v > 0);
  const maxTicks = Math.floor(widthPx / TICK_LABEL_PX);
  if (positive.length === 0) {
    return {
      x: { field: 'ms', type: 'quantitative', title: null, scale: { domain: [0, 1000] }, axis: { values: [0], labelExpr: MS_LABEL_EXPR } },
      title: `${kind}: 0 ms in every configuration`,
    };
  }
  if (axis === 'auto') return { x: { field: 'ms', type: 'quantitative', title: null, ...latencyChannel(valuesMs, {}, maxTicks) }, title: kind };
  const ticks = logTicks(Math.min(...positive), Math.max(...positive), maxTicks);
  return {
    // a fixed domain: a panel filtered to one configuration keeps the axis its ticks were made for
    x: {
      field: 'ms',
      type: 'quantitative',
      title: null,
      scale: { type: 'symlog', constant: Math.max(1, ticks[0] / 10), domain: [0, Math.max(...positive)] },
      axis: { values: ticks, labelExpr: MS_LABEL_EXPR, labelOverlap: 'greedy' },
    },
    title: kind,
  };
}

/** Latency kinds drawn in the latency charts of both pages, with their labels. */
export const LATENCY_KINDS = [
  ['e2e', 'end-to-end'],
  ['ttft', 'user-perceived TTFT'],
  ['queueWait', 'queue wait'],
] as const;
/** Percentiles drawn in the latency charts. */
export const PERCENTILES = ['p50', 'p95', 'p99'] as const;
/** Width of one panel of a latency chart. */
export const PANEL_W = 230;

/**
 * Side-by-side panels, one per latency kind (concatenated rather than faceted, so each has ticks
 * of its own range); `panel` builds the marks of one from its x channel. Rows carry `kind` and `ms`.
 */
export function latencyPanels(data: string, rows: readonly ChartRow[], axis: LatencyAxis, panel: (x: VlSpec, index: number) => VlSpec): VlSpec {
  return {
    data: { name: data },
    hconcat: LATENCY_KINDS.map(([, kind], i) => {
      const { x, title } = latencyPanelX(
        kind,
        rows.filter((r) => r.kind === kind).map((r) => r.ms as number),
        axis,
        PANEL_W,
      );
      const { transform, ...rest } = panel(x, i);
      return {
        title: { text: title, fontSize: 11, fontWeight: 'normal' },
        width: PANEL_W,
        transform: [{ filter: { field: 'kind', equal: kind } }, ...((transform as VlSpec[] | undefined) ?? [])],
        ...rest,
      };
    }),
    resolve: { scale: { x: 'independent' } },
  };
}
