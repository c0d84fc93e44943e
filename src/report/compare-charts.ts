/** The compare page's charts: run a and run b overlaid, for configurations present in both, labelled by the values that vary. */
import type { ConfigResult } from '../results/schema.ts';
import { shortLabels } from './axes.ts';
import { configSelect, latencyChannel, latencyPanels } from './chart-kit.ts';
import type { ChartDef, VlSpec } from './chart-kit.ts';
import { frontierRows, LATENCY_KINDS, PANEL_W, PERCENTILES, timeSeriesRows } from './charts.ts';
import type { ConfigMatch } from './compare.ts';

/** Labels of the two runs in legends. */
const RUN_LABELS = ['a', 'b'] as const;
const RUN_COLORS = ['#4c78a8', '#f58518'];
const runColor = { field: 'run', type: 'nominal', title: 'run', scale: { domain: [...RUN_LABELS], range: RUN_COLORS } };

/** Each matched configuration as [short label, a, b]. */
function pairs(match: ConfigMatch): Array<[string, ConfigResult, ConfigResult]> {
  const labels = shortLabels(match.matched.map((m) => m.a));
  return match.matched.map((m) => [labels.get(m.name)!, m.a, m.b]);
}

const Y_LABEL = (order: readonly string[]): VlSpec => ({ field: 'config', type: 'nominal', title: null, sort: [...order], axis: { labelLimit: 0 } });

/** Latency percentiles of a and b as dots on one line per configuration. */
function compareLatencyChart(match: ConfigMatch): ChartDef {
  const values = pairs(match).flatMap(([name, a, b]) =>
    ([a, b] as const).flatMap((c, i) =>
      LATENCY_KINDS.flatMap(([key, label]) =>
        PERCENTILES.map((p) => ({ config: name, run: RUN_LABELS[i], kind: label, percentile: p, ms: c.latencyMs[key][p] })),
      ),
    ),
  );
  const order = pairs(match).map(([l]) => l);
  return {
    id: 'cmp-latency',
    title: 'Latency percentiles, a against b',
    description: 'Each dot is a percentile (shape) of run a (blue) or b (orange): dots moving right mean slower.',
    data: { 'cmp-latency': values },
    spec: latencyPanels(
      'cmp-latency',
      LATENCY_KINDS.map(([, l]) => l),
      values,
      'auto',
      PANEL_W,
      (x, i) => ({
        height: Math.max(60, match.matched.length * 30),
        mark: { type: 'point', filled: true, size: 60, opacity: 0.85, tooltip: true },
        encoding: {
          y: i === 0 ? Y_LABEL(order) : { ...Y_LABEL(order), axis: { labels: false, ticks: false, domain: false } },
          yOffset: { field: 'run', type: 'nominal', sort: [...RUN_LABELS] },
          x,
          color: runColor,
          shape: { field: 'percentile', type: 'nominal', sort: [...PERCENTILES], title: 'percentile' },
          tooltip: [
            { field: 'config', type: 'nominal' },
            { field: 'run', type: 'nominal' },
            { field: 'kind', type: 'nominal' },
            { field: 'percentile', type: 'nominal' },
            { field: 'ms', type: 'quantitative', format: ',.1f' },
          ],
        },
      }),
    ),
  };
}

/** CDFs of a and b overlaid for a chosen configuration. */
function compareCdfChart(match: ConfigMatch): ChartDef {
  const values = pairs(match).flatMap(([name, a, b]) =>
    ([a, b] as const).flatMap((c, i) =>
      LATENCY_KINDS.flatMap(([key, label]) => c.cdf[key].map(([ms, fraction]) => ({ config: name, run: RUN_LABELS[i], kind: label, ms, fraction }))),
    ),
  );
  const base = {
    id: 'cmp-cdf',
    title: 'Latency CDF, a against b',
    description: 'Share of requests at or below each latency for the chosen configuration, run a against run b.',
  };
  if (values.length === 0) return { ...base, spec: null, note: 'No CDF points in either run.' };
  const y = { field: 'fraction', type: 'quantitative', scale: { domain: [0, 1] }, axis: { format: '%', tickCount: 5 }, title: 'requests at or below' };
  return {
    ...base,
    data: { 'cmp-cdf': values },
    spec: {
      params: [configSelect(pairs(match).map(([l]) => l))],
      ...latencyPanels(
        'cmp-cdf',
        LATENCY_KINDS.map(([, l]) => l),
        values,
        'log',
        PANEL_W,
        (x, i) => ({
          height: 200,
          transform: [{ filter: 'datum.config === cfg' }],
          mark: { type: 'line', interpolate: 'step-after' },
          encoding: { x, y: i === 0 ? y : { ...y, title: null }, color: runColor, order: { field: 'fraction', type: 'quantitative' } },
        }),
      ),
    },
  };
}

/** Cost per day of a and b side by side, stacked by model. */
function compareCostChart(match: ConfigMatch): ChartDef {
  const values = pairs(match).flatMap(([name, a, b]) =>
    ([a, b] as const).flatMap((c, i) => {
      // cost tables in results.json are already per day
      const parts = Object.entries(c.cost.byModel).map(([model, u]) => ({ config: name, run: RUN_LABELS[i], model, costPerDayUsd: u.costUsd }));
      if (c.cost.workersPerDayUsd > 0) parts.push({ config: name, run: RUN_LABELS[i], model: 'workers', costPerDayUsd: c.cost.workersPerDayUsd });
      return parts;
    }),
  );
  const order = pairs(match).map(([l]) => l);
  return {
    id: 'cmp-cost',
    title: 'Cost per day by model, a against b',
    description: 'For each configuration the upper bar is run a, the lower run b, stacked by model (workers included).',
    data: { 'cmp-cost': values },
    spec: {
      data: { name: 'cmp-cost' },
      width: 560,
      height: Math.max(60, match.matched.length * 40),
      mark: { type: 'bar', tooltip: true },
      encoding: {
        y: Y_LABEL(order),
        yOffset: { field: 'run', type: 'nominal', sort: [...RUN_LABELS] },
        x: { aggregate: 'sum', field: 'costPerDayUsd', type: 'quantitative', title: 'USD per day', axis: { format: '$,.0f', tickCount: 6 } },
        color: { field: 'model', type: 'nominal', title: 'model', legend: { labelLimit: 0 } },
        tooltip: [
          { field: 'config', type: 'nominal' },
          { field: 'run', type: 'nominal' },
          { field: 'model', type: 'nominal' },
          { aggregate: 'sum', field: 'costPerDayUsd', type: 'quantitative', format: '$,.2f', title: 'USD per day' },
        ],
      },
    },
  };
}

/** Cost against quality and against p95 for both runs, each configuration's move drawn as a line. */
function compareFrontierChart(match: ConfigMatch): ChartDef {
  const names = new Set(match.matched.map((m) => m.name));
  const rowsA = frontierRows(
    match.matched.map((m) => m.a),
    'a',
  );
  const rowsB = frontierRows(
    match.matched.map((m) => m.b),
    'b',
  );
  const values = [...rowsA, ...rowsB].filter((r) => names.has(r.config as string));
  const panel = (field: string, title: string, format?: string): VlSpec => ({
    width: 320,
    height: 240,
    data: { name: 'cmp-frontier' },
    layer: [
      {
        mark: { type: 'line', color: '#bbbbbb', strokeWidth: 1 },
        encoding: {
          x: { field: 'costPerDayUsd', type: 'quantitative' },
          y: { field, type: 'quantitative' },
          detail: { field: 'config', type: 'nominal' },
        },
      },
      {
        mark: { type: 'point', filled: true, size: 80, tooltip: true },
        encoding: {
          x: { field: 'costPerDayUsd', type: 'quantitative', title: 'USD per day', axis: { format: '$,.0f', tickCount: 5 }, scale: { zero: false } },
          y: {
            field,
            type: 'quantitative',
            title,
            ...(field === 'e2eP95Ms'
              ? latencyChannel(
                  values.map((v) => v.e2eP95Ms as number),
                  { zero: false },
                )
              : { scale: { zero: false } }),
            ...(format ? { axis: { format, tickCount: 5 } } : {}),
          },
          color: runColor,
          tooltip: [
            { field: 'config', type: 'nominal' },
            { field: 'run', type: 'nominal' },
            { field: 'costPerDayUsd', type: 'quantitative', format: '$,.2f', title: 'cost/day' },
            { field: 'quality', type: 'quantitative', format: '.1%' },
            { field: 'e2eP95Ms', type: 'quantitative', format: ',.0f', title: 'e2e p95 (ms)' },
          ],
        },
      },
    ],
  });
  return {
    id: 'cmp-frontier',
    title: 'Cost, quality and p95, a against b',
    description: 'Each configuration is a grey line from its point in run a (blue) to run b (orange).',
    data: { 'cmp-frontier': values },
    spec: { hconcat: [panel('quality', 'quality', '%'), panel('e2eP95Ms', 'e2e p95')] },
  };
}

/** Arrival rate, queue depth and workers over the day, a against b, for a chosen configuration. */
function compareTimeSeriesChart(match: ConfigMatch): ChartDef {
  const labels = shortLabels(match.matched.map((m) => m.a));
  const label = (c: ConfigResult) => labels.get(c.name)!;
  const values = [
    ...timeSeriesRows(
      match.matched.map((m) => m.a),
      label,
      'a',
    ),
    ...timeSeriesRows(
      match.matched.map((m) => m.b),
      label,
      'b',
    ),
  ];
  const base = {
    id: 'cmp-time-series',
    title: 'Over the day, a against b',
    description: 'Completions per second, mean queue depth and serving workers for the chosen configuration.',
  };
  if (values.length === 0) return { ...base, spec: null, note: 'No time series in either run.' };
  const endHour = Math.max(
    24,
    ...match.matched.flatMap((m) => [m.a, m.b]).map((c) => (c.timeSeries.tS[c.timeSeries.tS.length - 1] ?? 0) / 3600 + c.timeSeries.intervalS / 3600),
  );
  const x = { field: 'hour', type: 'quantitative', title: 'hour of the simulated day', scale: { domain: [0, endHour], nice: false }, axis: { tickCount: 8 } };
  const panel = (field: string, title: string, height: number): VlSpec => ({
    width: 720,
    height,
    transform: [{ filter: 'datum.label === cfg' }],
    mark: { type: 'line', strokeWidth: 1 },
    encoding: { x, y: { field, type: 'quantitative', title, axis: { tickCount: 4 } }, color: runColor },
  });
  return {
    ...base,
    data: { 'cmp-time-series': values },
    spec: {
      params: [configSelect(match.matched.map((m) => labels.get(m.name)!))],
      data: { name: 'cmp-time-series' },
      vconcat: [panel('completionRps', 'completions/s', 140), panel('queueDepthMean', 'queue depth (mean)', 100), panel('workers', 'workers', 100)],
    },
  };
}

/** Every chart of the compare page, in page order. */
export function compareCharts(match: ConfigMatch): ChartDef[] {
  if (match.matched.length === 0) return [];
  return [compareLatencyChart(match), compareCdfChart(match), compareCostChart(match), compareFrontierChart(match), compareTimeSeriesChart(match)];
}
