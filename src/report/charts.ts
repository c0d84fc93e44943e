/**
 * The report's charts as vega-lite specs, built from one results file. Specs use fixed field
 * names only; user strings (configuration, step, model names) travel as data values, never as
 * field names or expression text, so they cannot change what a spec does.
 */
import { headlineMetrics } from '../results/headline.ts';
import type { ConfigResult, ResultsFile } from '../results/schema.ts';
import { paretoOptimal } from './frontier.ts';

/** A vega-lite spec as plain JSON (compiled to vega in page.ts). */
export type VlSpec = Record<string, unknown>;

/** One chart of a page: a spec to draw, or a note saying why it is skipped. */
export interface ChartDef {
  id: string;
  title: string;
  /** One sentence on what the chart shows and how to read it. */
  description: string;
  spec: VlSpec | null;
  /** Why the chart is skipped (when spec is null). */
  note?: string;
}

/** Latency kinds drawn in the latency charts, with their labels. */
export const LATENCY_KINDS = [
  ['e2e', 'end-to-end'],
  ['ttft', 'user-perceived TTFT'],
  ['queueWait', 'queue wait'],
] as const;
/** Percentiles drawn in the latency charts. */
export const PERCENTILES = ['p50', 'p90', 'p95', 'p99'] as const;

/** Axis labels for milliseconds in the unit that reads best: 500 ms, 10 s, 1.7 min, 2.8 h. */
export const MS_LABEL_EXPR =
  "datum.value >= 3600000 ? format(datum.value / 3600000, '.2~r') + ' h' : datum.value >= 60000 ? format(datum.value / 60000, '.2~r') + ' min' : datum.value >= 1000 ? format(datum.value / 1000, '.2~r') + ' s' : format(datum.value, '~r') + ' ms'";

/**
 * Scale and axis of a latency channel: linear, or symmetric-log with a tick per power of ten when
 * the values span more than two orders of magnitude (an overloaded configuration's hours-long
 * waits would otherwise flatten every other bar).
 */
export function latencyChannel(values: readonly number[], scale: VlSpec = {}): { scale: VlSpec; axis: VlSpec } {
  const positive = values.filter((v) => v > 0);
  const max = positive.length ? Math.max(...positive) : 0;
  const min = positive.length ? Math.min(...positive) : 0;
  if (positive.length === 0 || max / min <= 100) return { scale: { ...scale }, axis: { labelExpr: MS_LABEL_EXPR } };
  const ticks = [0];
  for (let t = 10; t <= max * 10; t *= 10) ticks.push(t);
  return { scale: { type: 'symlog', constant: 10, ...scale }, axis: { values: ticks, labelExpr: MS_LABEL_EXPR } };
}

/** Pixels per configuration band in horizontal bar charts. */
const BAND_PX = 34;

function bandHeight(configs: number): number {
  return Math.max(60, configs * BAND_PX);
}

/** Latency percentiles per configuration, one panel per latency kind. */
function latencyPercentilesChart(configs: readonly ConfigResult[]): ChartDef {
  const values = configs.flatMap((c) =>
    LATENCY_KINDS.flatMap(([key, label]) =>
      PERCENTILES.map((p) => ({ config: c.name, kind: label, percentile: p, ms: c.latencyMs[key][p] })),
    ),
  );
  return {
    id: 'latency-percentiles',
    title: 'Latency percentiles',
    description: 'p50, p90, p95 and p99 of end-to-end latency, time to first token as the user sees it, and queue wait, per configuration (symmetric-log axis when they span orders of magnitude).',
    spec: {
      data: { values },
      facet: { column: { field: 'kind', type: 'nominal', title: null, sort: LATENCY_KINDS.map(([, l]) => l) } },
      resolve: { scale: { x: 'independent' } },
      spec: {
        width: 240,
        height: bandHeight(configs.length),
        mark: { type: 'bar', tooltip: true },
        encoding: {
          y: { field: 'config', type: 'nominal', title: null, sort: null },
          yOffset: { field: 'percentile', type: 'nominal', sort: [...PERCENTILES] },
          x: { field: 'ms', type: 'quantitative', title: null, ...latencyChannel(values.map((v) => v.ms)) },
          color: { field: 'percentile', type: 'nominal', sort: [...PERCENTILES], scale: { scheme: 'blues' }, title: 'percentile' },
          tooltip: [
            { field: 'config', type: 'nominal' },
            { field: 'kind', type: 'nominal' },
            { field: 'percentile', type: 'nominal' },
            { field: 'ms', type: 'quantitative', format: ',.1f' },
          ],
        },
      },
    },
  };
}

/** Empirical CDFs of the three latencies, one line per configuration. */
function latencyCdfChart(configs: readonly ConfigResult[]): ChartDef {
  const values = configs.flatMap((c) =>
    LATENCY_KINDS.flatMap(([key, label]) => c.cdf[key].map(([ms, fraction]) => ({ config: c.name, kind: label, ms, fraction }))),
  );
  if (values.length === 0) {
    return { id: 'latency-cdf', title: 'Latency CDF', description: '', spec: null, note: 'No CDF points in this run.' };
  }
  return {
    id: 'latency-cdf',
    title: 'Latency CDF',
    description: 'Share of requests at or below each latency (symmetric-log axis): the further left and the steeper, the better.',
    spec: {
      data: { values },
      facet: { column: { field: 'kind', type: 'nominal', title: null, sort: LATENCY_KINDS.map(([, l]) => l) } },
      resolve: { scale: { x: 'independent' } },
      spec: {
        width: 240,
        height: 200,
        mark: { type: 'line', interpolate: 'step-after', tooltip: true },
        encoding: {
          x: { field: 'ms', type: 'quantitative', scale: { type: 'symlog', constant: 10 }, axis: { labelExpr: MS_LABEL_EXPR, labelOverlap: true }, title: null },
          y: { field: 'fraction', type: 'quantitative', scale: { domain: [0, 1] }, axis: { format: '%' }, title: 'requests at or below' },
          color: { field: 'config', type: 'nominal', title: 'configuration', sort: null },
          order: { field: 'fraction', type: 'quantitative' },
        },
      },
    },
  };
}

/** Rounds to a number of decimals (display data only; results.json keeps full precision). */
export function round(value: number, decimals: number): number {
  const f = 10 ** decimals;
  return Math.round(value * f) / f;
}

/** Time-series rows of every configuration, hours since the start of the simulated day. */
function timeSeriesRows(configs: readonly ConfigResult[]): Array<Record<string, string | number>> {
  return configs.flatMap((c) => {
    const ts = c.timeSeries;
    // Rounded: a day of minutes for dozens of configurations is megabytes of digits otherwise.
    return ts.tS.map((t, i) => ({
      config: c.name,
      hour: round(t / 3600, 5),
      arrivalRps: round(ts.arrivalRps[i], 4),
      completionRps: round(ts.completionRps[i], 4),
      queueDepthMean: round(ts.queueDepthMean[i], 3),
      workers: round(ts.workers[i], 3),
    }));
  });
}

/** A select input over configuration names, shared by the panels of a chart. */
export function configSelect(names: readonly string[]): VlSpec {
  return { name: 'cfg', value: names[0], bind: { input: 'select', options: [...names], name: 'configuration ' } };
}

/** Requests/s in and out, queue depth and workers over the simulated day, for a chosen configuration. */
function timeSeriesChart(configs: readonly ConfigResult[]): ChartDef {
  const withData = configs.filter((c) => c.timeSeries.tS.length > 0);
  if (withData.length === 0) {
    return { id: 'time-series', title: 'Over the day', description: '', spec: null, note: 'No time series in this run.' };
  }
  const filter = { filter: 'datum.config === cfg' };
  // The day plus any drain after it, so a backlog cleared late stays visible.
  const endHour = Math.max(24, ...withData.map((c) => (c.timeSeries.tS[c.timeSeries.tS.length - 1] + c.timeSeries.intervalS) / 3600));
  const x = { field: 'hour', type: 'quantitative', title: 'hour of the simulated day', scale: { domain: [0, endHour], nice: false }, axis: { tickCount: 12 } };
  return {
    id: 'time-series',
    title: 'Over the simulated day',
    description: 'Arrivals and completions (requests/s), mean queue depth and serving workers, per interval; pick a configuration in the menu below the chart.',
    spec: {
      params: [configSelect(withData.map((c) => c.name))],
      data: { values: timeSeriesRows(withData) },
      vconcat: [
        {
          width: 760,
          height: 150,
          transform: [filter, { fold: ['arrivalRps', 'completionRps'], as: ['series', 'rps'] }],
          mark: { type: 'line', strokeWidth: 1 },
          encoding: {
            x,
            y: { field: 'rps', type: 'quantitative', title: 'requests/s' },
            color: {
              field: 'series',
              type: 'nominal',
              title: null,
              scale: { domain: ['arrivalRps', 'completionRps'], range: ['#4c78a8', '#f58518'] },
              legend: { labelExpr: "datum.label === 'arrivalRps' ? 'arrivals/s' : 'completions/s'" },
            },
          },
        },
        {
          width: 760,
          height: 100,
          transform: [filter],
          mark: { type: 'area', line: { color: '#e45756' }, opacity: 0.4, color: '#e45756' },
          encoding: { x, y: { field: 'queueDepthMean', type: 'quantitative', title: 'queue depth (mean)' } },
        },
        {
          width: 760,
          height: 100,
          transform: [filter],
          mark: { type: 'line', interpolate: 'step-after', color: '#54a24b' },
          encoding: { x, y: { field: 'workers', type: 'quantitative', title: 'workers' } },
        },
      ],
    },
  };
}

/** Stacked bars of cost per day by one breakdown (model or step), worker cost as its own segment. */
function costChart(configs: readonly ConfigResult[], by: 'byModel' | 'byStep'): ChartDef {
  const values = configs.flatMap((c) => {
    // cost tables in results.json are already per day
    const parts = Object.entries(c.cost[by]).map(([part, u]) => ({ config: c.name, part, costPerDayUsd: u.costUsd }));
    if (c.cost.workersPerDayUsd > 0) parts.push({ config: c.name, part: 'workers', costPerDayUsd: c.cost.workersPerDayUsd });
    return parts;
  });
  const label = by === 'byModel' ? 'model' : 'step';
  return {
    id: by === 'byModel' ? 'cost-by-model' : 'cost-by-step',
    title: `Cost per day by ${label}`,
    description: `Dollars a day per configuration, stacked by ${label}; worker-hours are the "workers" segment, so the bar is the whole day's cost.`,
    spec: {
      data: { values },
      width: 640,
      height: bandHeight(configs.length) * 0.7,
      mark: { type: 'bar', tooltip: true },
      encoding: {
        y: { field: 'config', type: 'nominal', title: null, sort: null },
        x: { aggregate: 'sum', field: 'costPerDayUsd', type: 'quantitative', title: 'USD per day', axis: { format: '$,.0f' } },
        color: { field: 'part', type: 'nominal', title: label },
        tooltip: [
          { field: 'config', type: 'nominal' },
          { field: 'part', type: 'nominal', title: label },
          { aggregate: 'sum', field: 'costPerDayUsd', type: 'quantitative', format: '$,.2f', title: 'USD per day' },
        ],
      },
    },
  };
}

/** Cost per day stacked by model. */
function costByModelChart(configs: readonly ConfigResult[]): ChartDef {
  return costChart(configs, 'byModel');
}

/** Cost per day stacked by workflow step. */
function costByStepChart(configs: readonly ConfigResult[]): ChartDef {
  return costChart(configs, 'byStep');
}

/** Hit rate, false-hit share and stale rate of every cache of every configuration. */
function cacheChart(configs: readonly ConfigResult[]): ChartDef {
  const values = configs.flatMap((c) =>
    Object.entries(c.caches).flatMap(([name, cache]) => {
      const row = { config: c.name, cache: name, kind: cache.kind, step: cache.step };
      return [
        { ...row, measure: 'hit rate', value: cache.hitRate },
        { ...row, measure: 'false hits (share of hits)', value: 1 - cache.precision },
        { ...row, measure: 'stale rate', value: cache.staleRate },
      ];
    }),
  );
  const base = { id: 'caches', title: 'Caches', description: 'Hit rate, share of hits that answered another intent (false hits), and share of hits that served changed data (stale), per cache.' };
  if (values.length === 0) return { ...base, spec: null, note: 'No caches in this run: the sweep has no cache strategy, so there are no hit rates to draw.' };
  const withCaches = new Set(values.map((v) => v.config)).size;
  return {
    ...base,
    spec: {
      data: { values },
      facet: { column: { field: 'measure', type: 'nominal', title: null, sort: ['hit rate', 'false hits (share of hits)', 'stale rate'] } },
      spec: {
        width: 220,
        height: bandHeight(withCaches),
        mark: { type: 'bar', tooltip: true },
        encoding: {
          y: { field: 'config', type: 'nominal', title: null, sort: null },
          yOffset: { field: 'cache', type: 'nominal' },
          x: { field: 'value', type: 'quantitative', title: null, axis: { format: '%' }, scale: { domain: [0, 1] } },
          color: { field: 'cache', type: 'nominal', title: 'cache' },
          tooltip: [
            { field: 'config', type: 'nominal' },
            { field: 'cache', type: 'nominal' },
            { field: 'kind', type: 'nominal' },
            { field: 'step', type: 'nominal' },
            { field: 'measure', type: 'nominal' },
            { field: 'value', type: 'quantitative', format: '.2%' },
          ],
        },
      },
    },
  };
}

/** Share of routed calls per model, and strong-call share and escalation rate, per configuration. */
function routingChart(configs: readonly ConfigResult[]): ChartDef {
  const routed = configs.filter((c) => c.routing !== null);
  const base = { id: 'routing', title: 'Routing', description: 'Left: share of routed calls each model served. Right: share of requests sent to the strong model, and (cascades) share escalated.' };
  if (routed.length === 0) return { ...base, spec: null, note: 'No routing in this run: every configuration calls one fixed model per step.' };
  const calls = routed.flatMap((c) => Object.entries(c.routing!.callsByModel).map(([model, n]) => ({ config: c.name, model, calls: n })));
  const rates = routed.flatMap((c) => [
    { config: c.name, measure: 'strong-call share', value: c.routing!.strongCallShare },
    { config: c.name, measure: 'escalation rate', value: c.routing!.escalationRate },
  ]);
  const height = bandHeight(routed.length) * 0.7;
  return {
    ...base,
    spec: {
      hconcat: [
        {
          data: { values: calls },
          width: 340,
          height,
          mark: { type: 'bar', tooltip: true },
          encoding: {
            y: { field: 'config', type: 'nominal', title: null, sort: null },
            x: { aggregate: 'sum', field: 'calls', type: 'quantitative', stack: 'normalize', title: 'share of routed calls', axis: { format: '%' } },
            color: { field: 'model', type: 'nominal', title: 'model' },
          },
        },
        {
          data: { values: rates },
          width: 260,
          height,
          mark: { type: 'bar', tooltip: true },
          encoding: {
            y: { field: 'config', type: 'nominal', title: null, sort: null, axis: { labels: false } },
            yOffset: { field: 'measure', type: 'nominal' },
            x: { field: 'value', type: 'quantitative', title: null, axis: { format: '%' }, scale: { domain: [0, 1] } },
            color: { field: 'measure', type: 'nominal', title: null, scale: { range: ['#e45756', '#72b7b2'] } },
          },
        },
      ],
      resolve: { scale: { color: 'independent' } },
    },
  };
}

/**
 * One text label per distinct point: rows at the same (x, y) share a label listing their distinct
 * names (the first two, then "+n more"), so identical configurations do not print over each other.
 */
export function pointLabels<T extends Record<string, unknown>>(rows: readonly T[], xField: string, yField: string, name: (row: T) => string): Array<{ x: number; y: number; label: string }> {
  const groups = new Map<string, { x: number; y: number; names: string[] }>();
  for (const row of rows) {
    const x = row[xField] as number;
    const y = row[yField] as number;
    const key = `${x.toPrecision(6)}|${y.toPrecision(6)}`;
    const group = groups.get(key) ?? { x, y, names: [] };
    const n = name(row);
    if (!group.names.includes(n)) group.names.push(n);
    groups.set(key, group);
  }
  return [...groups.values()].map((g) => ({
    x: g.x,
    y: g.y,
    label: g.names.length <= 2 ? g.names.join(' / ') : `${g.names.slice(0, 2).join(' / ')} +${g.names.length - 2} more`,
  }));
}

/** Rows of the frontier charts: headline figures, Pareto and SLO status per configuration. */
export function frontierRows(configs: readonly ConfigResult[], run?: string): Array<Record<string, string | number | boolean>> {
  const optimal = paretoOptimal(configs);
  return configs.map((c) => {
    const h = headlineMetrics(c);
    return {
      config: c.name,
      costPerDayUsd: h.costPerDayUsd,
      quality: h.quality,
      e2eP95Ms: h.e2eP95Ms,
      frontier: optimal.has(c.name) ? 'Pareto-optimal' : 'dominated',
      slo: c.slo.meetsAll ? 'meets SLOs' : 'misses an SLO',
      ...(run ? { run } : {}),
    };
  });
}

/** A vertical or horizontal SLO line with its label, as a layer. */
function sloRule(axis: 'x' | 'y', value: number, label: string): VlSpec {
  const other = axis === 'x' ? 'y' : 'x';
  return {
    data: { values: [{ value, label }] },
    layer: [
      { mark: { type: 'rule', strokeDash: [6, 4], color: '#d62728' }, encoding: { [axis]: { field: 'value', type: 'quantitative' } } },
      {
        mark: { type: 'text', color: '#d62728', align: axis === 'x' ? 'left' : 'right', dx: axis === 'x' ? 4 : 0, dy: axis === 'x' ? -4 : -6, baseline: 'bottom' },
        encoding: {
          [axis]: { field: 'value', type: 'quantitative' },
          [other]: axis === 'x' ? { value: { expr: 'height' } } : { value: 0 },
          ...(axis === 'y' ? { x: { value: 'width' } } : {}),
          text: { field: 'label' },
        },
      },
    ],
  };
}

/** At most this many configurations are labelled on the frontier (the rest have tooltips). */
const MAX_FRONTIER_LABELS = 6;

/** Cost against quality and against e2e p95 for every configuration, SLO lines and the Pareto set marked. */
function frontierChart(results: ResultsFile): ChartDef {
  const configs = results.configurations;
  const values = frontierRows(configs);
  const slo = results.slo;
  // Label the Pareto-optimal configurations that meet the SLOs (all Pareto-optimal ones when none
  // does), the cheapest few: a crowded sweep would otherwise print labels over each other.
  const optimal = values.filter((v) => v.frontier === 'Pareto-optimal');
  const optimalMeeting = optimal.filter((v) => v.slo === 'meets SLOs');
  const labelled = (optimalMeeting.length > 0 ? optimalMeeting : optimal)
    .sort((a, b) => (a.costPerDayUsd as number) - (b.costPerDayUsd as number))
    .slice(0, MAX_FRONTIER_LABELS);
  const point = (y: VlSpec): VlSpec => ({
    data: { values },
    layer: [
      {
        mark: { type: 'point', filled: true, size: 90, tooltip: true },
        encoding: {
          x: { field: 'costPerDayUsd', type: 'quantitative', title: 'USD per day', axis: { format: '$,.0f' }, scale: { zero: false } },
          y,
          color: { field: 'frontier', type: 'nominal', title: null, scale: { domain: ['Pareto-optimal', 'dominated'], range: ['#2ca02c', '#aaaaaa'] } },
          shape: { field: 'slo', type: 'nominal', title: null, scale: { domain: ['meets SLOs', 'misses an SLO'], range: ['circle', 'cross'] } },
          tooltip: [
            { field: 'config', type: 'nominal' },
            { field: 'costPerDayUsd', type: 'quantitative', format: '$,.2f', title: 'cost/day' },
            { field: 'quality', type: 'quantitative', format: '.1%' },
            { field: 'e2eP95Ms', type: 'quantitative', format: ',.0f', title: 'e2e p95 (ms)' },
            { field: 'frontier', type: 'nominal' },
            { field: 'slo', type: 'nominal' },
          ],
        },
      },
      {
        data: { values: pointLabels(labelled, 'costPerDayUsd', y.field as string, (v) => String(v.config)) },
        mark: { type: 'text', align: 'left', dx: 7, dy: -6, fontSize: 10 },
        encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' }, text: { field: 'label' } },
      },
    ],
  });
  const costRule = slo.maxCostPerDayUsd !== undefined ? [sloRule('x', slo.maxCostPerDayUsd, 'max cost')] : [];
  const qualityPanel = {
    width: 360,
    height: 260,
    layer: [
      point({ field: 'quality', type: 'quantitative', title: 'quality (share correct)', axis: { format: '%' }, scale: { zero: false } }),
      ...(slo.minQuality !== undefined ? [sloRule('y', slo.minQuality, 'min quality')] : []),
      ...costRule,
    ],
  };
  const latencyPanel = {
    width: 360,
    height: 260,
    layer: [
      point({ field: 'e2eP95Ms', type: 'quantitative', title: 'e2e p95', ...latencyChannel(values.map((v) => v.e2eP95Ms as number), { zero: false }) }),
      ...(slo.e2eP95Ms !== undefined ? [sloRule('y', slo.e2eP95Ms, 'p95 SLO')] : []),
      ...costRule,
    ],
  };
  return {
    id: 'frontier',
    title: 'Cost, quality and p95: the frontier',
    description:
      'Each point is a configuration (hover for details). Green points are Pareto-optimal on cost, quality and e2e p95 together; crosses miss an SLO; dashed red lines are the SLOs. Labels name the Pareto-optimal configurations that meet the SLOs (all Pareto-optimal ones when none does).',
    spec: { hconcat: [qualityPanel, latencyPanel] },
  };
}

/** For cascade and router sweeps: quality against the share of requests sent to the strong model. */
function qualityVsStrongChart(configs: readonly ConfigResult[]): ChartDef {
  const routed = configs.filter((c) => c.routing !== null);
  const base = {
    id: 'quality-vs-strong',
    title: 'Quality against strong-model share',
    description: 'How much quality each routing buys with calls to the strong model: up and to the left is better.',
  };
  if (!routed.some((c) => /cascade|router/i.test(c.routing!.strategy))) {
    return { ...base, spec: null, note: 'No cascade or router in this sweep, so there is no trade-off between strong-model share and quality to draw.' };
  }
  // a single-model configuration is all-strong when its model is the strong model of the sweep's cascades/routers
  const strongModels = new Set(routed.map((c) => c.routing!.strongModel).filter((m): m is string => typeof m === 'string'));
  const shareOf = (c: ConfigResult): number => {
    const r = c.routing!;
    if (r.strongModel != null) return r.strongCallShare;
    const calls = Object.entries(r.callsByModel);
    const total = calls.reduce((s, [, n]) => s + n, 0);
    return total === 0 ? 0 : calls.filter(([m]) => strongModels.has(m)).reduce((s, [, n]) => s + n, 0) / total;
  };
  const values = routed.map((c) => ({
    config: c.name,
    strategy: c.routing!.strategy,
    strongCallShare: shareOf(c),
    quality: c.quality.share,
    costPerDayUsd: c.cost.perDayUsd,
  }));
  return {
    ...base,
    spec: {
      data: { values },
      width: 520,
      height: 260,
      layer: [
        {
          mark: { type: 'point', filled: true, size: 90, tooltip: true },
          encoding: {
            x: { field: 'strongCallShare', type: 'quantitative', title: 'share of requests sent to the strong model', axis: { format: '%' }, scale: { domain: [0, 1] } },
            y: { field: 'quality', type: 'quantitative', title: 'quality', axis: { format: '%' }, scale: { zero: false } },
            color: { field: 'strategy', type: 'nominal', title: 'routing' },
            tooltip: [
              { field: 'config', type: 'nominal' },
              { field: 'strategy', type: 'nominal' },
              { field: 'strongCallShare', type: 'quantitative', format: '.1%' },
              { field: 'quality', type: 'quantitative', format: '.1%' },
              { field: 'costPerDayUsd', type: 'quantitative', format: '$,.2f' },
            ],
          },
        },
        {
          data: { values: pointLabels(values, 'strongCallShare', 'quality', (v) => String(v.strategy)) },
          mark: { type: 'text', align: 'left', dx: 7, fontSize: 10 },
          encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' }, text: { field: 'label' } },
        },
      ],
    },
  };
}

/** Every chart of the report page, in page order. */
export function reportCharts(results: ResultsFile): ChartDef[] {
  const configs = results.configurations;
  if (configs.length === 0) return [];
  return [
    frontierChart(results),
    latencyPercentilesChart(configs),
    latencyCdfChart(configs),
    timeSeriesChart(configs),
    costByModelChart(configs),
    costByStepChart(configs),
    cacheChart(configs),
    routingChart(configs),
    qualityVsStrongChart(configs),
  ];
}
