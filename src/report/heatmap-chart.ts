/**
 * The heat map of a two-axis sweep (for example routing × workers): one panel each for e2e p95,
 * cost per day and quality, a cell per configuration with its value written in it (formatted by
 * numbers.ts) and ✗ where the configuration misses an SLO.
 */
import type { ConfigResult, ResultsFile } from '../results/schema.ts';
import { axisValueLabel, varyingAxes } from './axes.ts';
import type { ChartDef, ChartRow, VlSpec } from './chart-kit.ts';
import { columnDurationUnit, formatDuration, formatPct, formatUsd } from './numbers.ts';

/** Pixels per heat-map cell. */
const CELL_W = 64;
const CELL_H = 26;

/** The values of one axis in sweep order; numbers in numeric order. */
function axisValues(configs: readonly ConfigResult[], axis: string): string[] {
  const values = [...new Set(configs.map((c) => c.axes[axis]).filter((v): v is string => v !== undefined))];
  return values.every((v) => /^\d+(\.\d+)?$/.test(v)) ? values.sort((a, b) => Number(a) - Number(b)) : values;
}

const PANELS = [
  { metric: 'e2e p95', value: (c: ConfigResult) => c.latencyMs.e2e.p95, scheme: 'oranges' },
  { metric: 'cost/day', value: (c: ConfigResult) => c.cost.perDayUsd, scheme: 'blues' },
  { metric: 'quality', value: (c: ConfigResult) => c.quality.share, scheme: 'greens' },
] as const;

function cellText(metric: (typeof PANELS)[number]['metric'], v: number, unit: ReturnType<typeof columnDurationUnit>): string {
  if (metric === 'e2e p95') return formatDuration(v, unit);
  return metric === 'cost/day' ? formatUsd(v) : formatPct(v);
}

/** One panel's rows: the cell value, its text, and a 0–1 position in the panel's range (for the text colour). */
function panelRows(configs: readonly ConfigResult[], rowAxis: string, colAxis: string, panel: (typeof PANELS)[number]): ChartRow[] {
  const values = configs.map(panel.value);
  const min = Math.min(...values);
  const max = Math.max(...values);
  const unit = columnDurationUnit(values);
  return configs.map((c, i) => ({
    config: c.name,
    row: axisValueLabel(rowAxis, c.axes[rowAxis]),
    col: axisValueLabel(colAxis, c.axes[colAxis]),
    value: values[i],
    // log position for latency, which spans orders of magnitude in an overloaded sweep
    t: max === min ? 0 : panel.metric === 'e2e p95' ? Math.log(values[i] / min) / Math.log(max / min) : (values[i] - min) / (max - min),
    text: `${cellText(panel.metric, values[i], unit)}${c.slo.meetsAll || c.slo.checks.length === 0 ? '' : ' ✗'}`,
  }));
}

/** The heat map of a sweep over exactly two axes; a note saying why otherwise. */
export function heatmapChart(results: ResultsFile): ChartDef {
  const configs = results.configurations;
  const axes = varyingAxes(configs);
  const base = {
    id: 'heatmap',
    title: 'The sweep at a glance',
    description: 'One cell per configuration: e2e p95, cost per day and quality, darker = higher; ✗ marks a configuration that misses an SLO.',
  };
  if (axes.length !== 2) {
    return {
      ...base,
      spec: null,
      note: `No heat map: it needs a sweep over exactly two axes, and this one varies ${axes.length === 0 ? 'none' : `${axes.length} (${axes.join(', ')})`}; the table above lists every configuration.`,
    };
  }
  // the axis with the longer labels reads best down the side, the other across the top
  const longest = (axis: string) => Math.max(...axisValues(configs, axis).map((v) => axisValueLabel(axis, v).length));
  const [rowAxis, colAxis] = longest(axes[0]!) >= longest(axes[1]!) ? [axes[0]!, axes[1]!] : [axes[1]!, axes[0]!];
  const rows = axisValues(configs, rowAxis).map((v) => axisValueLabel(rowAxis, v));
  const cols = axisValues(configs, colAxis).map((v) => axisValueLabel(colAxis, v));
  const data: Record<string, ChartRow[]> = {};
  const panels: VlSpec[] = PANELS.map((panel) => {
    const name = `heatmap-${panel.metric.replace(/\W+/g, '-')}`;
    data[name] = panelRows(configs, rowAxis, colAxis, panel);
    return {
      data: { name },
      title: { text: panel.metric, anchor: 'start', fontSize: 13 },
      width: cols.length * CELL_W,
      height: rows.length * CELL_H,
      encoding: {
        x: { field: 'col', type: 'ordinal', title: colAxis, sort: cols, axis: { labelAngle: 0, labelLimit: 0, orient: 'top' } },
        y: { field: 'row', type: 'ordinal', title: rowAxis, sort: rows, axis: { labelLimit: 0 } },
      },
      layer: [
        {
          mark: { type: 'rect', tooltip: true },
          encoding: {
            color: { field: 't', type: 'quantitative', scale: { scheme: panel.scheme, domain: [0, 1] }, legend: null },
            tooltip: [
              { field: 'config', type: 'nominal', title: 'configuration' },
              { field: 'text', type: 'nominal', title: panel.metric },
            ],
          },
        },
        {
          mark: { type: 'text', fontSize: 11 },
          encoding: { text: { field: 'text' }, color: { condition: { test: 'datum.t > 0.6', value: 'white' }, value: 'black' } },
        },
      ],
    };
  });
  return { ...base, data, spec: { vconcat: panels, spacing: 24, resolve: { scale: { color: 'independent' } } } };
}
