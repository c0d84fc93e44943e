/**
 * The report's charts as vega-lite specs, built from one results file. Configurations are labelled
 * by the sweep values that vary ("cascade@0.9 · 16 workers"); the full name is in the tooltip.
 * Specs use fixed field names only; user strings travel as data values, never as field names or
 * expression text, so they cannot change what a spec does. Each chart's rows go into the page once.
 */
import { headlineMetrics } from '../results/headline.ts';
import type { ConfigResult, ResultsFile } from '../results/schema.ts';
import { shortLabels } from './axes.ts';
import { bucketMean, configSelect, highlighted, latencyChannel, latencyPanels, MAX_COLOURED, MUTED, PALETTE, round, seriesBuckets } from './chart-kit.ts';
import type { ChartDef, ChartRow, VlSpec } from './chart-kit.ts';
import { paretoOptimal } from './frontier.ts';
import { heatmapChart } from './heatmap-chart.ts';

export type { ChartDef, ChartRow, VlSpec } from './chart-kit.ts';
export { latencyChannel } from './chart-kit.ts';

/** Latency kinds drawn in the latency charts, with their labels. */
export const LATENCY_KINDS = [
  ['e2e', 'end-to-end'],
  ['ttft', 'user-perceived TTFT'],
  ['queueWait', 'queue wait'],
] as const;
/** Percentiles drawn in the latency charts. */
export const PERCENTILES = ['p50', 'p95', 'p99'] as const;

/** Width of one panel of a faceted latency chart. */
export const PANEL_W = 230;
/** Pixels per configuration band in horizontal bar charts. */
const BAND_PX = 26;

function bandHeight(configs: number): number {
  return Math.max(60, configs * BAND_PX);
}

/** The label of each configuration and a tooltip line with its full name. */
function labelled(configs: readonly ConfigResult[]) {
  const labels = shortLabels(configs);
  return { label: (c: ConfigResult) => labels.get(c.name)!, order: configs.map((c) => labels.get(c.name)!) };
}

const Y_CONFIG = (order: readonly string[]): VlSpec => ({ field: 'label', type: 'nominal', title: null, sort: [...order], axis: { labelLimit: 0 } });

/** Latency percentiles per configuration, one panel per latency kind. */
function latencyPercentilesChart(configs: readonly ConfigResult[]): ChartDef {
  const { label, order } = labelled(configs);
  const values = configs.flatMap((c) =>
    LATENCY_KINDS.flatMap(([key, kind]) => PERCENTILES.map((p) => ({ config: c.name, label: label(c), kind, percentile: p, ms: c.latencyMs[key][p] }))),
  );
  const kinds = LATENCY_KINDS.map(([, l]) => l);
  return {
    id: 'latency-percentiles',
    title: 'Latency percentiles',
    description:
      'p50, p95 and p99 of end-to-end latency, time to first token as the user sees it, and queue wait, per configuration (log axis when they span orders of magnitude).',
    data: { 'latency-percentiles': values },
    spec: latencyPanels('latency-percentiles', kinds, values, 'auto', PANEL_W, (x, i) => ({
      height: bandHeight(configs.length),
      mark: { type: 'bar', tooltip: true },
      encoding: {
        y: i === 0 ? Y_CONFIG(order) : { ...Y_CONFIG(order), axis: { labels: false, ticks: false, domain: false } },
        yOffset: { field: 'percentile', type: 'nominal', sort: [...PERCENTILES] },
        x,
        color: { field: 'percentile', type: 'nominal', sort: [...PERCENTILES], scale: { range: ['#9ecae1', '#4292c6', '#08519c'] }, title: 'percentile' },
        tooltip: [
          { field: 'config', type: 'nominal', title: 'configuration' },
          { field: 'kind', type: 'nominal' },
          { field: 'percentile', type: 'nominal' },
          { field: 'ms', type: 'quantitative', format: ',.1f', title: 'ms' },
        ],
      },
    })),
  };
}

/** Colour of a configuration's label: its own for highlighted ones, muted for the rest. */
function colourScale(highlightedLabels: readonly string[]): VlSpec {
  return { domain: [...highlightedLabels], range: PALETTE.slice(0, highlightedLabels.length) };
}

/** Empirical CDFs of the three latencies: the highlighted configurations in colour, the rest as muted lines. */
function latencyCdfChart(configs: readonly ConfigResult[]): ChartDef {
  const { label } = labelled(configs);
  const top = highlighted(configs);
  const values = configs.flatMap((c) =>
    LATENCY_KINDS.flatMap(([key, kind]) => c.cdf[key].map(([ms, fraction]) => ({ config: c.name, label: label(c), top: top.has(c.name), kind, ms, fraction }))),
  );
  if (values.length === 0) return { id: 'latency-cdf', title: 'Latency CDF', description: '', spec: null, note: 'No CDF points in this run.' };
  const topLabels = configs.filter((c) => top.has(c.name)).map(label);
  const y = { field: 'fraction', type: 'quantitative', scale: { domain: [0, 1] }, axis: { format: '%', tickCount: 5 }, title: 'requests at or below' };
  const muted = configs.length - topLabels.length;
  return {
    id: 'latency-cdf',
    title: 'Latency CDF',
    description:
      `Share of requests at or below each latency (log axis): the further left and the steeper, the better.` +
      (muted > 0
        ? ` In colour: the ${topLabels.length} Pareto-optimal or cheapest configurations meeting the SLOs; the other ${muted} are grey (hover for names).`
        : ''),
    data: { 'latency-cdf': values },
    spec: latencyPanels(
      'latency-cdf',
      LATENCY_KINDS.map(([, l]) => l),
      values,
      'log',
      PANEL_W,
      (x, i) => ({
        height: 200,
        layer: [
          {
            transform: [{ filter: '!datum.top' }],
            mark: { type: 'line', interpolate: 'step-after', color: MUTED, strokeWidth: 1, tooltip: true },
            encoding: {
              x,
              y: i === 0 ? y : { ...y, title: null },
              detail: { field: 'label', type: 'nominal' },
              order: { field: 'fraction', type: 'quantitative' },
              tooltip: [{ field: 'config', type: 'nominal', title: 'configuration' }],
            },
          },
          {
            transform: [{ filter: 'datum.top' }],
            mark: { type: 'line', interpolate: 'step-after', strokeWidth: 2, tooltip: true },
            encoding: {
              x,
              y: i === 0 ? y : { ...y, title: null },
              color: {
                field: 'label',
                type: 'nominal',
                title: 'configuration',
                scale: colourScale(topLabels),
                legend: { labelLimit: 0, symbolLimit: MAX_COLOURED },
              },
              order: { field: 'fraction', type: 'quantitative' },
              tooltip: [{ field: 'config', type: 'nominal', title: 'configuration' }],
            },
          },
        ],
      }),
    ),
  };
}

/** Time-series rows of every configuration, thinned to at most MAX_SERIES_POINTS a configuration. */
export function timeSeriesRows(configs: readonly ConfigResult[], label: (c: ConfigResult) => string, run?: string): ChartRow[] {
  return configs.flatMap((c) => {
    const ts = c.timeSeries;
    return seriesBuckets(ts.tS.length).map((b) => ({
      label: label(c),
      ...(run ? { run } : {}),
      hour: round(ts.tS[b[0]] / 3600, 3),
      arrivalRps: round(bucketMean(ts.arrivalRps, b), 3),
      completionRps: round(bucketMean(ts.completionRps, b), 3),
      queueDepthMean: round(bucketMean(ts.queueDepthMean, b), 2),
      workers: round(bucketMean(ts.workers, b), 2),
    }));
  });
}

/** Requests/s in and out, queue depth and workers over the simulated day, for a chosen configuration. */
function timeSeriesChart(configs: readonly ConfigResult[]): ChartDef {
  const withData = configs.filter((c) => c.timeSeries.tS.length > 0);
  if (withData.length === 0) return { id: 'time-series', title: 'Over the day', description: '', spec: null, note: 'No time series in this run.' };
  const { label } = labelled(configs);
  const filter = { filter: 'datum.label === cfg' };
  // The day plus any drain after it, so a backlog cleared late stays visible.
  const endHour = Math.max(24, ...withData.map((c) => (c.timeSeries.tS[c.timeSeries.tS.length - 1] + c.timeSeries.intervalS) / 3600));
  const x = { field: 'hour', type: 'quantitative', title: 'hour of the simulated day', scale: { domain: [0, endHour], nice: false }, axis: { tickCount: 8 } };
  const panel = (height: number, rest: VlSpec): VlSpec => ({ width: 720, height, transform: [filter], ...rest });
  return {
    id: 'time-series',
    title: 'Over the simulated day',
    description:
      'Arrivals and completions (requests/s), mean queue depth and serving workers, averaged over intervals of the day; pick a configuration in the menu below the chart.',
    data: { 'time-series': timeSeriesRows(withData, label) },
    spec: {
      params: [configSelect(withData.map(label))],
      data: { name: 'time-series' },
      vconcat: [
        panel(150, {
          transform: [filter, { fold: ['arrivalRps', 'completionRps'], as: ['series', 'rps'] }],
          mark: { type: 'line', strokeWidth: 1 },
          encoding: {
            x,
            y: { field: 'rps', type: 'quantitative', title: 'requests/s', axis: { tickCount: 5 } },
            color: {
              field: 'series',
              type: 'nominal',
              title: null,
              scale: { domain: ['arrivalRps', 'completionRps'], range: ['#4c78a8', '#f58518'] },
              legend: { labelExpr: "datum.label === 'arrivalRps' ? 'arrivals/s' : 'completions/s'" },
            },
          },
        }),
        panel(100, {
          mark: { type: 'area', line: { color: '#e45756' }, opacity: 0.4, color: '#e45756' },
          encoding: { x, y: { field: 'queueDepthMean', type: 'quantitative', title: 'queue depth', axis: { tickCount: 4 } } },
        }),
        panel(100, {
          mark: { type: 'line', interpolate: 'step-after', color: '#54a24b' },
          encoding: { x, y: { field: 'workers', type: 'quantitative', title: 'workers', axis: { tickCount: 4 } } },
        }),
      ],
    },
  };
}

/** Stacked bars of cost per day by one breakdown (model or step), worker cost as its own segment. */
function costChart(configs: readonly ConfigResult[], by: 'byModel' | 'byStep'): ChartDef {
  const { label, order } = labelled(configs);
  const values = configs.flatMap((c) => {
    // cost tables in results.json are already per day
    const parts = Object.entries(c.cost[by]).map(([part, u]) => ({ config: c.name, label: label(c), part, costPerDayUsd: round(u.costUsd, 4) }));
    if (c.cost.workersPerDayUsd > 0) parts.push({ config: c.name, label: label(c), part: 'workers', costPerDayUsd: round(c.cost.workersPerDayUsd, 4) });
    return parts;
  });
  const kind = by === 'byModel' ? 'model' : 'step';
  const id = by === 'byModel' ? 'cost-by-model' : 'cost-by-step';
  return {
    id,
    title: `Cost per day by ${kind}`,
    description: `Dollars a day per configuration, stacked by ${kind}; worker-hours are the "workers" segment, so the bar is the whole day's cost.`,
    data: { [id]: values },
    spec: {
      data: { name: id },
      width: 560,
      height: bandHeight(configs.length) * 0.8,
      mark: { type: 'bar', tooltip: true },
      encoding: {
        y: Y_CONFIG(order),
        x: { aggregate: 'sum', field: 'costPerDayUsd', type: 'quantitative', title: 'USD per day', axis: { format: '$,.0f', tickCount: 6 } },
        color: { field: 'part', type: 'nominal', title: kind, legend: { labelLimit: 0 } },
        tooltip: [
          { field: 'config', type: 'nominal', title: 'configuration' },
          { field: 'part', type: 'nominal', title: kind },
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
  const { label } = labelled(configs);
  const values = configs.flatMap((c) =>
    Object.entries(c.caches).flatMap(([name, cache]) => {
      const row = { config: c.name, label: label(c), cache: name, kind: cache.kind, step: cache.step };
      return [
        { ...row, measure: 'hit rate', value: cache.hitRate },
        { ...row, measure: 'false hits (share of hits)', value: 1 - cache.precision },
        { ...row, measure: 'stale rate', value: cache.staleRate },
      ];
    }),
  );
  const base = {
    id: 'caches',
    title: 'Caches',
    description: 'Hit rate, share of hits that answered another intent (false hits), and share of hits that served changed data (stale), per cache.',
  };
  if (values.length === 0) return { ...base, spec: null, note: 'No caches in this run: the sweep has no cache strategy, so there are no hit rates to draw.' };
  const withCaches = configs.filter((c) => Object.keys(c.caches).length > 0);
  const caches = new Set(values.map((v) => v.cache)).size;
  return {
    ...base,
    data: { caches: values },
    spec: {
      data: { name: 'caches' },
      facet: { column: { field: 'measure', type: 'nominal', title: null, sort: ['hit rate', 'false hits (share of hits)', 'stale rate'] } },
      spec: {
        width: 200,
        height: bandHeight(withCaches.length) * Math.min(2, Math.max(1, caches / 2)),
        mark: { type: 'bar', tooltip: true },
        encoding: {
          y: Y_CONFIG(withCaches.map(label)),
          yOffset: { field: 'cache', type: 'nominal' },
          x: { field: 'value', type: 'quantitative', title: null, axis: { format: '%', tickCount: 5 }, scale: { domain: [0, 1] } },
          color: { field: 'cache', type: 'nominal', title: 'cache', legend: { labelLimit: 0 } },
          tooltip: [
            { field: 'config', type: 'nominal', title: 'configuration' },
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
  const base = {
    id: 'routing',
    title: 'Routing',
    description: 'Left: share of routed calls each model served. Right: share of requests sent to the strong model, and (cascades) share escalated.',
  };
  if (routed.length === 0) return { ...base, spec: null, note: 'No routing in this run: every configuration calls one fixed model per step.' };
  const { label } = labelled(configs);
  const order = routed.map(label);
  const calls = routed.flatMap((c) => Object.entries(c.routing!.callsByModel).map(([model, n]) => ({ config: c.name, label: label(c), model, calls: n })));
  const rates = routed.flatMap((c) => [
    { config: c.name, label: label(c), measure: 'strong-call share', value: c.routing!.strongCallShare },
    { config: c.name, label: label(c), measure: 'escalation rate', value: c.routing!.escalationRate },
  ]);
  const height = bandHeight(routed.length) * 0.8;
  return {
    ...base,
    data: { 'routing-calls': calls, 'routing-rates': rates },
    spec: {
      hconcat: [
        {
          data: { name: 'routing-calls' },
          width: 300,
          height,
          mark: { type: 'bar', tooltip: true },
          encoding: {
            y: Y_CONFIG(order),
            x: {
              aggregate: 'sum',
              field: 'calls',
              type: 'quantitative',
              stack: 'normalize',
              title: 'share of routed calls',
              axis: { format: '%', tickCount: 5 },
            },
            color: { field: 'model', type: 'nominal', title: 'model', legend: { labelLimit: 0 } },
          },
        },
        {
          data: { name: 'routing-rates' },
          width: PANEL_W,
          height,
          mark: { type: 'bar', tooltip: true },
          encoding: {
            y: { ...Y_CONFIG(order), axis: { labels: false, ticks: false } },
            yOffset: { field: 'measure', type: 'nominal' },
            x: { field: 'value', type: 'quantitative', title: null, axis: { format: '%', tickCount: 5 }, scale: { domain: [0, 1] } },
            color: { field: 'measure', type: 'nominal', title: null, scale: { range: ['#e45756', '#72b7b2'] } },
          },
        },
      ],
      resolve: { scale: { color: 'independent' } },
    },
  };
}

/** Rows of the frontier charts: headline figures, Pareto and SLO status, label and highlight per configuration. */
export function frontierRows(configs: readonly ConfigResult[], run?: string): ChartRow[] {
  const optimal = paretoOptimal(configs);
  const top = highlighted(configs);
  const labels = shortLabels(configs);
  return configs.map((c) => {
    const h = headlineMetrics(c);
    return {
      config: c.name,
      label: labels.get(c.name)!,
      top: top.has(c.name),
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
        mark: {
          type: 'text',
          color: '#d62728',
          align: axis === 'x' ? 'left' : 'right',
          dx: axis === 'x' ? 4 : 0,
          dy: axis === 'x' ? -4 : -6,
          baseline: 'bottom',
        },
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

/** Cost against quality and against e2e p95 for every configuration, SLO lines, highlighted configurations in colour. */
function frontierChart(results: ResultsFile): ChartDef {
  const configs = results.configurations;
  const values = frontierRows(configs);
  const slo = results.slo;
  const topLabels = values.filter((v) => v.top).map((v) => String(v.label));
  const point = (y: VlSpec): VlSpec => {
    const x = { field: 'costPerDayUsd', type: 'quantitative', title: 'USD per day', axis: { format: '$,.0f', tickCount: 5 }, scale: { zero: false } };
    const shape = { field: 'slo', type: 'nominal', title: null, scale: { domain: ['meets SLOs', 'misses an SLO'], range: ['circle', 'cross'] } };
    const tooltip = [
      { field: 'config', type: 'nominal', title: 'configuration' },
      { field: 'costPerDayUsd', type: 'quantitative', format: '$,.2f', title: 'cost/day' },
      { field: 'quality', type: 'quantitative', format: '.1%' },
      { field: 'e2eP95Ms', type: 'quantitative', format: ',.0f', title: 'e2e p95 (ms)' },
      { field: 'frontier', type: 'nominal' },
      { field: 'slo', type: 'nominal' },
    ];
    return {
      data: { name: 'frontier' },
      layer: [
        {
          transform: [{ filter: '!datum.top' }],
          mark: { type: 'point', filled: true, size: 50, color: MUTED, tooltip: true },
          encoding: { x, y, shape: { ...shape, legend: null }, tooltip },
        },
        {
          transform: [{ filter: 'datum.top' }],
          mark: { type: 'point', filled: true, size: 110, tooltip: true },
          encoding: {
            x,
            y,
            shape,
            color: { field: 'label', type: 'nominal', title: 'configuration', scale: colourScale(topLabels), legend: { labelLimit: 0 } },
            tooltip,
          },
        },
      ],
    };
  };
  const costRule = slo.maxCostPerDayUsd !== undefined ? [sloRule('x', slo.maxCostPerDayUsd, 'max cost')] : [];
  const panel = (y: VlSpec, rules: VlSpec[]): VlSpec => ({ width: 320, height: 240, layer: [point(y), ...rules, ...costRule] });
  const muted = configs.length - topLabels.length;
  return {
    id: 'frontier',
    title: 'Cost, quality and p95: the frontier',
    description:
      'Each point is a configuration (hover for details); crosses miss an SLO; dashed red lines are the SLOs.' +
      (muted > 0 ? ` In colour: the ${topLabels.length} Pareto-optimal or cheapest configurations meeting the SLOs; the other ${muted} are grey.` : ''),
    data: { frontier: values },
    spec: {
      hconcat: [
        panel(
          { field: 'quality', type: 'quantitative', title: 'quality (share correct)', axis: { format: '%', tickCount: 5 }, scale: { zero: false } },
          slo.minQuality !== undefined ? [sloRule('y', slo.minQuality, 'min quality')] : [],
        ),
        panel(
          {
            field: 'e2eP95Ms',
            type: 'quantitative',
            title: 'e2e p95',
            ...latencyChannel(
              values.map((v) => v.e2eP95Ms as number),
              { zero: false },
            ),
          },
          slo.e2eP95Ms !== undefined ? [sloRule('y', slo.e2eP95Ms, 'p95 SLO')] : [],
        ),
      ],
      resolve: { scale: { color: 'shared', shape: 'shared' } },
    },
  };
}

/** For cascade and router sweeps: quality against the share of requests sent to the strong model. */
function qualityVsStrongChart(configs: readonly ConfigResult[]): ChartDef {
  const routed = configs.filter((c) => c.routing !== null);
  const base = {
    id: 'quality-vs-strong',
    title: 'Quality against strong-model share',
    description: 'How much quality each routing buys with calls to the strong model: up and to the left is better. Colour is the routing strategy.',
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
    data: { 'quality-vs-strong': values },
    spec: {
      data: { name: 'quality-vs-strong' },
      width: 480,
      height: 260,
      mark: { type: 'point', filled: true, size: 90, tooltip: true },
      encoding: {
        x: {
          field: 'strongCallShare',
          type: 'quantitative',
          title: 'share of requests sent to the strong model',
          axis: { format: '%', tickCount: 5 },
          scale: { domain: [0, 1] },
        },
        y: { field: 'quality', type: 'quantitative', title: 'quality', axis: { format: '%', tickCount: 5 }, scale: { zero: false } },
        color: { field: 'strategy', type: 'nominal', title: 'routing', legend: { labelLimit: 0 } },
        tooltip: [
          { field: 'config', type: 'nominal', title: 'configuration' },
          { field: 'strategy', type: 'nominal' },
          { field: 'strongCallShare', type: 'quantitative', format: '.1%' },
          { field: 'quality', type: 'quantitative', format: '.1%' },
          { field: 'costPerDayUsd', type: 'quantitative', format: '$,.2f' },
        ],
      },
    },
  };
}

/** Every chart of the report page, in page order. */
export function reportCharts(results: ResultsFile): ChartDef[] {
  const configs = results.configurations;
  if (configs.length === 0) return [];
  return [
    frontierChart(results),
    heatmapChart(results),
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
