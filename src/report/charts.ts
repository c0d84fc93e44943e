/**
 * The report's charts as vega-lite specs, built from one results file. Configurations are labelled
 * by the sweep values that vary ("cascade@0.9 · 16 workers"); the full name is in the tooltip.
 * Specs use fixed field names only; user strings travel as data values, never as field names or
 * expression text, so they cannot change what a spec does. Each chart's rows go into the page once.
 */
import type { ConfigResult, ResultsFile } from '../results/schema.ts';
import { shortLabels } from './axes.ts';
import { cdfRows, cdfY, configY, COST_SUM_TOOLTIP, COST_SUM_X, costRows, dayX, percentileRows, seriesPanel, timeSeriesRows } from './chart-data.ts';
import { colourNote, colourScale, configSelect, highlighted, latencyPanels, MAX_COLOURED, MUTED, PANEL_W, PERCENTILES } from './chart-kit.ts';
import type { ChartDef, VlSpec } from './chart-kit.ts';
import { frontierChart, qualityVsStrongChart } from './frontier-chart.ts';
import { heatmapChart } from './heatmap-chart.ts';

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

/** Latency percentiles per configuration, one panel per latency kind. */
function latencyPercentilesChart(configs: readonly ConfigResult[]): ChartDef {
  const { label, order } = labelled(configs);
  const values = configs.flatMap((c) => percentileRows(c, { config: c.name, label: label(c) }));
  return {
    id: 'latency-percentiles',
    title: 'Latency percentiles',
    description:
      'p50, p95 and p99 of end-to-end latency, time to first token as the user sees it, and queue wait, per configuration (log axis when they span orders of magnitude).',
    data: { 'latency-percentiles': values },
    spec: latencyPanels('latency-percentiles', values, 'auto', (x, i) => ({
      height: bandHeight(configs.length),
      mark: { type: 'bar', tooltip: true },
      encoding: {
        y: configY('label', order, i === 0),
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

/** The two layers of one CDF panel: muted configurations as thin grey lines, highlighted ones in colour. */
function cdfLayers(x: VlSpec, y: VlSpec, topLabels: readonly string[]): VlSpec[] {
  const common = { x, y, order: { field: 'fraction', type: 'quantitative' }, tooltip: [{ field: 'config', type: 'nominal', title: 'configuration' }] };
  const colour = {
    field: 'label',
    type: 'nominal',
    title: 'configuration',
    scale: colourScale(topLabels),
    legend: { labelLimit: 0, symbolLimit: MAX_COLOURED },
  };
  return [
    {
      transform: [{ filter: '!datum.top' }],
      mark: { type: 'line', interpolate: 'step-after', color: MUTED, strokeWidth: 1, tooltip: true },
      encoding: { ...common, detail: { field: 'label', type: 'nominal' } },
    },
    {
      transform: [{ filter: 'datum.top' }],
      mark: { type: 'line', interpolate: 'step-after', strokeWidth: 2, tooltip: true },
      encoding: { ...common, color: colour },
    },
  ];
}

/** Empirical CDFs of the three latencies: the highlighted configurations in colour, the rest as muted lines. */
function latencyCdfChart(configs: readonly ConfigResult[]): ChartDef {
  const { label } = labelled(configs);
  const top = highlighted(configs);
  const values = configs.flatMap((c) => cdfRows(c, { config: c.name, label: label(c), top: top.has(c.name) }));
  if (values.length === 0) return { id: 'latency-cdf', title: 'Latency CDF', description: '', spec: null, note: 'No CDF points in this run.' };
  const topLabels = configs.filter((c) => top.has(c.name)).map(label);
  return {
    id: 'latency-cdf',
    title: 'Latency CDF',
    description:
      'Share of requests at or below each latency (log axis): the further left and the steeper, the better.' +
      colourNote(topLabels.length, configs.length, 'grey (hover for names)'),
    data: { 'latency-cdf': values },
    spec: latencyPanels('latency-cdf', values, 'log', (x, i) => ({ height: 200, layer: cdfLayers(x, cdfY(i), topLabels) })),
  };
}

/** Requests/s in and out, queue depth and workers over the simulated day, for a chosen configuration. */
function timeSeriesChart(configs: readonly ConfigResult[]): ChartDef {
  const withData = configs.filter((c) => c.timeSeries.tS.length > 0);
  if (withData.length === 0) return { id: 'time-series', title: 'Over the day', description: '', spec: null, note: 'No time series in this run.' };
  const { label } = labelled(configs);
  const x = dayX(withData);
  const rps = {
    field: 'series',
    type: 'nominal',
    title: null,
    scale: { domain: ['arrivalRps', 'completionRps'], range: ['#4c78a8', '#f58518'] },
    legend: { labelExpr: "datum.label === 'arrivalRps' ? 'arrivals/s' : 'completions/s'" },
  };
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
        seriesPanel(150, {
          transform: [{ fold: ['arrivalRps', 'completionRps'], as: ['series', 'rps'] }],
          mark: { type: 'line', strokeWidth: 1 },
          encoding: { x, y: { field: 'rps', type: 'quantitative', title: 'requests/s', axis: { tickCount: 5 } }, color: rps },
        }),
        seriesPanel(100, {
          mark: { type: 'area', line: { color: '#e45756' }, opacity: 0.4, color: '#e45756' },
          encoding: { x, y: { field: 'queueDepthMean', type: 'quantitative', title: 'queue depth', axis: { tickCount: 4 } } },
        }),
        seriesPanel(100, {
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
  const values = configs.flatMap((c) => costRows(c, by, { config: c.name, label: label(c) }));
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
        y: configY('label', order),
        x: COST_SUM_X,
        color: { field: 'part', type: 'nominal', title: kind, legend: { labelLimit: 0 } },
        tooltip: [{ field: 'config', type: 'nominal', title: 'configuration' }, { field: 'part', type: 'nominal', title: kind }, COST_SUM_TOOLTIP],
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
          y: configY('label', withCaches.map(label)),
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
            y: configY('label', order),
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
            y: configY('label', order, false),
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
