/**
 * The report's scatter charts: cost against quality and against e2e p95 (the frontier, with the
 * SLO lines), and quality against the share of requests sent to the strong model. The frontier's
 * rows and axes also serve the compare page's frontier.
 */
import { headlineMetrics } from '../results/headline.ts';
import type { ConfigResult, ResultsFile } from '../results/schema.ts';
import { shortLabels } from './axes.ts';
import { colourNote, colourScale, highlighted, latencyChannel, linearChannel, MUTED } from './chart-kit.ts';
import type { ChartDef, ChartRow, VlSpec } from './chart-kit.ts';
import { paretoOptimal } from './frontier.ts';

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

/** The three axes of the frontier for these rows, each spanning its SLO line too. */
export function frontierAxes(rows: readonly ChartRow[], slo: ResultsFile['slo'] = {}): Record<'cost' | 'quality' | 'e2eP95', VlSpec> {
  const of = (field: string, line?: number) => [...rows.map((r) => r[field] as number), ...(line === undefined ? [] : [line])];
  return {
    cost: { field: 'costPerDayUsd', type: 'quantitative', title: 'USD per day', ...linearChannel(of('costPerDayUsd', slo.maxCostPerDayUsd), 'usd') },
    quality: { field: 'quality', type: 'quantitative', title: 'quality (share correct)', ...linearChannel(of('quality', slo.minQuality), 'share') },
    e2eP95: { field: 'e2eP95Ms', type: 'quantitative', title: 'e2e p95', ...latencyChannel(of('e2eP95Ms', slo.e2eP95Ms), { zero: false }) },
  };
}

/** Tooltip lines of a frontier point, after the configuration's own lines. */
export const FRONTIER_TOOLTIP: VlSpec[] = [
  { field: 'costPerDayUsd', type: 'quantitative', format: '$,.2f', title: 'cost/day' },
  { field: 'quality', type: 'quantitative', format: '.1%' },
  { field: 'e2eP95Ms', type: 'quantitative', format: ',.0f', title: 'e2e p95 (ms)' },
];

/** A vertical or horizontal SLO line with its label, as a layer. */
function sloRule(axis: 'x' | 'y', value: number, label: string): VlSpec {
  const other = axis === 'x' ? 'y' : 'x';
  const text = {
    type: 'text',
    color: '#d62728',
    align: axis === 'x' ? 'left' : 'right',
    dx: axis === 'x' ? 4 : 0,
    dy: axis === 'x' ? -4 : -6,
    baseline: 'bottom',
  };
  return {
    data: { values: [{ value, label }] },
    layer: [
      { mark: { type: 'rule', strokeDash: [6, 4], color: '#d62728' }, encoding: { [axis]: { field: 'value', type: 'quantitative' } } },
      {
        mark: text,
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

/** The points of one frontier panel: muted configurations small and grey, highlighted ones in colour; crosses miss an SLO. */
function frontierPoints(x: VlSpec, y: VlSpec, topLabels: readonly string[]): VlSpec {
  const shape = { field: 'slo', type: 'nominal', title: null, scale: { domain: ['meets SLOs', 'misses an SLO'], range: ['circle', 'cross'] } };
  const tooltip = [
    { field: 'config', type: 'nominal', title: 'configuration' },
    ...FRONTIER_TOOLTIP,
    { field: 'frontier', type: 'nominal' },
    { field: 'slo', type: 'nominal' },
  ];
  const colour = { field: 'label', type: 'nominal', title: 'configuration', scale: colourScale(topLabels), legend: { labelLimit: 0 } };
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
        encoding: { x, y, shape, color: colour, tooltip },
      },
    ],
  };
}

/** Cost against quality and against e2e p95 for every configuration, SLO lines, highlighted configurations in colour. */
export function frontierChart(results: ResultsFile): ChartDef {
  const values = frontierRows(results.configurations);
  const slo = results.slo;
  const axes = frontierAxes(values, slo);
  const topLabels = values.filter((v) => v.top).map((v) => String(v.label));
  const costRule = slo.maxCostPerDayUsd !== undefined ? [sloRule('x', slo.maxCostPerDayUsd, 'max cost')] : [];
  const panel = (y: VlSpec, rules: VlSpec[]): VlSpec => ({ width: 320, height: 240, layer: [frontierPoints(axes.cost, y, topLabels), ...rules, ...costRule] });
  return {
    id: 'frontier',
    title: 'Cost, quality and p95: the frontier',
    description:
      'Each point is a configuration (hover for details); crosses miss an SLO; dashed red lines are the SLOs.' + colourNote(topLabels.length, values.length),
    data: { frontier: values },
    spec: {
      hconcat: [
        panel(axes.quality, slo.minQuality !== undefined ? [sloRule('y', slo.minQuality, 'min quality')] : []),
        panel(axes.e2eP95, slo.e2eP95Ms !== undefined ? [sloRule('y', slo.e2eP95Ms, 'p95 SLO')] : []),
      ],
      resolve: { scale: { color: 'shared', shape: 'shared' } },
    },
  };
}

/** Share of a configuration's requests sent to the strong model; a single-model configuration is all-strong when its model is a cascade's strong model. */
function strongShare(c: ConfigResult, strongModels: ReadonlySet<string>): number {
  const r = c.routing!;
  if (r.strongModel != null) return r.strongCallShare;
  const calls = Object.entries(r.callsByModel);
  const total = calls.reduce((s, [, n]) => s + n, 0);
  return total === 0 ? 0 : calls.filter(([m]) => strongModels.has(m)).reduce((s, [, n]) => s + n, 0) / total;
}

/** For cascade and router sweeps: quality against the share of requests sent to the strong model. */
export function qualityVsStrongChart(configs: readonly ConfigResult[]): ChartDef {
  const routed = configs.filter((c) => c.routing !== null);
  const base = {
    id: 'quality-vs-strong',
    title: 'Quality against strong-model share',
    description: 'How much quality each routing buys with calls to the strong model: up and to the left is better. Colour is the routing strategy.',
  };
  if (!routed.some((c) => /cascade|router/i.test(c.routing!.strategy))) {
    return { ...base, spec: null, note: 'No cascade or router in this sweep, so there is no trade-off between strong-model share and quality to draw.' };
  }
  const strongModels = new Set(routed.map((c) => c.routing!.strongModel).filter((m): m is string => typeof m === 'string'));
  const values = routed.map((c) => ({
    config: c.name,
    strategy: c.routing!.strategy,
    strongCallShare: strongShare(c, strongModels),
    quality: c.quality.share,
    costPerDayUsd: c.cost.perDayUsd,
  }));
  const x = { field: 'strongCallShare', type: 'quantitative', title: 'share of requests sent to the strong model', axis: { format: '%', tickCount: 5 } };
  return {
    ...base,
    data: { 'quality-vs-strong': values },
    spec: {
      data: { name: 'quality-vs-strong' },
      width: 480,
      height: 260,
      mark: { type: 'point', filled: true, size: 90, tooltip: true },
      encoding: {
        x: { ...x, scale: { domain: [0, 1] } },
        y: {
          field: 'quality',
          type: 'quantitative',
          title: 'quality',
          ...linearChannel(
            values.map((v) => v.quality),
            'share',
          ),
        },
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
