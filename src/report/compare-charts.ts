/** The compare page's charts: run a and run b overlaid, for configurations present in both, labelled by the values that vary. */
import type { ConfigResult } from '../results/schema.ts';
import { shortLabels } from './axes.ts';
import { cdfRows, cdfY, configY, COST_SUM_TOOLTIP, COST_SUM_X, costRows, dayX, percentileRows, seriesPanel, timeSeriesRows } from './chart-data.ts';
import { configSelect, latencyPanels, PERCENTILES } from './chart-kit.ts';
import type { ChartDef, ChartRow, VlSpec } from './chart-kit.ts';
import { FRONTIER_TOOLTIP, frontierAxes, frontierRows } from './frontier-chart.ts';
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

/** Rows of both runs for every matched configuration, named by its short label and run. */
function bothRuns(match: ConfigMatch, rowsOf: (c: ConfigResult, extra: ChartRow) => ChartRow[]): ChartRow[] {
  return pairs(match).flatMap(([name, a, b]) => [a, b].flatMap((c, i) => rowsOf(c, { config: name, run: RUN_LABELS[i] })));
}

/** Latency percentiles of a and b as dots on one line per configuration. */
function compareLatencyChart(match: ConfigMatch): ChartDef {
  const values = bothRuns(match, percentileRows);
  const order = pairs(match).map(([l]) => l);
  return {
    id: 'cmp-latency',
    title: 'Latency percentiles, a against b',
    description: 'Each dot is a percentile (shape) of run a (blue) or b (orange): dots moving right mean slower.',
    data: { 'cmp-latency': values },
    spec: latencyPanels('cmp-latency', values, 'auto', (x, i) => ({
      height: Math.max(60, match.matched.length * 30),
      mark: { type: 'point', filled: true, size: 60, opacity: 0.85, tooltip: true },
      encoding: {
        y: configY('config', order, i === 0),
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
    })),
  };
}

/** CDFs of a and b overlaid for a chosen configuration. */
function compareCdfChart(match: ConfigMatch): ChartDef {
  const values = bothRuns(match, cdfRows);
  const base = {
    id: 'cmp-cdf',
    title: 'Latency CDF, a against b',
    description: 'Share of requests at or below each latency for the chosen configuration, run a against run b.',
  };
  if (values.length === 0) return { ...base, spec: null, note: 'No CDF points in either run.' };
  return {
    ...base,
    data: { 'cmp-cdf': values },
    spec: {
      params: [configSelect(pairs(match).map(([l]) => l))],
      ...latencyPanels('cmp-cdf', values, 'log', (x, i) => ({
        height: 200,
        transform: [{ filter: 'datum.config === cfg' }],
        mark: { type: 'line', interpolate: 'step-after' },
        encoding: { x, y: cdfY(i), color: runColor, order: { field: 'fraction', type: 'quantitative' } },
      })),
    },
  };
}

/** Cost per day of a and b side by side, stacked by model. */
function compareCostChart(match: ConfigMatch): ChartDef {
  const values = bothRuns(match, (c, extra) => costRows(c, 'byModel', extra));
  const order = pairs(match).map(([l]) => l);
  return {
    id: 'cmp-cost',
    title: 'Cost per day by model, a against b',
    description:
      'For each configuration the upper, solid bar is run a and the lower, faded bar run b, stacked by model (workers included); a gap keeps two equal runs apart.',
    data: { 'cmp-cost': values },
    spec: {
      data: { name: 'cmp-cost' },
      width: 560,
      height: Math.max(60, match.matched.length * 48),
      mark: { type: 'bar', tooltip: true },
      encoding: {
        y: configY('config', order),
        yOffset: { field: 'run', type: 'nominal', sort: [...RUN_LABELS], scale: { paddingInner: 0.3 } },
        x: COST_SUM_X,
        color: { field: 'part', type: 'nominal', title: 'model', legend: { labelLimit: 0 } },
        opacity: { field: 'run', type: 'nominal', sort: [...RUN_LABELS], title: 'run', scale: { domain: [...RUN_LABELS], range: [1, 0.55] } },
        tooltip: [
          { field: 'config', type: 'nominal' },
          { field: 'run', type: 'nominal' },
          { field: 'part', type: 'nominal', title: 'model' },
          COST_SUM_TOOLTIP,
        ],
      },
    },
  };
}

/** Cost against quality and against p95 for both runs, each configuration's move drawn as a line. */
function compareFrontierChart(match: ConfigMatch): ChartDef {
  const values = [
    ...frontierRows(
      match.matched.map((m) => m.a),
      'a',
    ),
    ...frontierRows(
      match.matched.map((m) => m.b),
      'b',
    ),
  ];
  const axes = frontierAxes(values);
  const panel = (y: VlSpec): VlSpec => ({
    width: 320,
    height: 240,
    data: { name: 'cmp-frontier' },
    layer: [
      { mark: { type: 'line', color: '#bbbbbb', strokeWidth: 1 }, encoding: { x: axes.cost, y, detail: { field: 'config', type: 'nominal' } } },
      {
        mark: { type: 'point', filled: true, size: 80, tooltip: true },
        encoding: { x: axes.cost, y, color: runColor, tooltip: [{ field: 'config', type: 'nominal' }, { field: 'run', type: 'nominal' }, ...FRONTIER_TOOLTIP] },
      },
    ],
  });
  return {
    id: 'cmp-frontier',
    title: 'Cost, quality and p95, a against b',
    description: 'Each configuration is a grey line from its point in run a (blue) to run b (orange).',
    data: { 'cmp-frontier': values },
    spec: { hconcat: [panel({ ...axes.quality, title: 'quality' }), panel(axes.e2eP95)] },
  };
}

/** Arrival rate, queue depth and workers over the day, a against b, for a chosen configuration. */
function compareTimeSeriesChart(match: ConfigMatch): ChartDef {
  const labels = shortLabels(match.matched.map((m) => m.a));
  const label = (c: ConfigResult) => labels.get(c.name)!;
  const runs = ['a', 'b'] as const;
  const values = runs.flatMap((run) =>
    timeSeriesRows(
      match.matched.map((m) => m[run]),
      label,
      run,
    ),
  );
  const base = {
    id: 'cmp-time-series',
    title: 'Over the day, a against b',
    description: 'Completions per second, mean queue depth and serving workers for the chosen configuration.',
  };
  if (values.length === 0) return { ...base, spec: null, note: 'No time series in either run.' };
  const x = dayX(match.matched.flatMap((m) => [m.a, m.b]));
  const panel = (field: string, title: string, height: number): VlSpec =>
    seriesPanel(height, {
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
