/**
 * The rows and channels that the report page and the compare page both draw from a configuration:
 * latency percentiles, CDF points, cost parts and the day's series, and the axes they are read on.
 * Each row builder takes the fields that name the row on its page (`extra`: label, run …).
 */
import type { ConfigResult } from '../results/schema.ts';
import { bucketMean, LATENCY_KINDS, PERCENTILES, round, seriesBuckets } from './chart-kit.ts';
import type { ChartRow, VlSpec } from './chart-kit.ts';

/** Latency percentile rows of one configuration: kind, percentile, ms. */
export function percentileRows(c: ConfigResult, extra: ChartRow): ChartRow[] {
  return LATENCY_KINDS.flatMap(([key, kind]) => PERCENTILES.map((p) => ({ ...extra, kind, percentile: p, ms: c.latencyMs[key][p] })));
}

/** CDF rows of one configuration: kind, ms, fraction of requests at or below. */
export function cdfRows(c: ConfigResult, extra: ChartRow): ChartRow[] {
  return LATENCY_KINDS.flatMap(([key, kind]) => c.cdf[key].map(([ms, fraction]) => ({ ...extra, kind, ms, fraction })));
}

/** The y channel of a CDF panel (share of requests at or below), titled on the first panel only. */
export function cdfY(panel: number): VlSpec {
  const title = panel === 0 ? 'requests at or below' : null;
  return { field: 'fraction', type: 'quantitative', scale: { domain: [0, 1] }, axis: { format: '%', tickCount: 5 }, title };
}

/** Cost rows of one configuration, per day, by model or step (`part`), with worker-hours as the part "workers". */
export function costRows(c: ConfigResult, by: 'byModel' | 'byStep', extra: ChartRow): ChartRow[] {
  // cost tables in results.json are already per day
  const parts: ChartRow[] = Object.entries(c.cost[by]).map(([part, u]) => ({ ...extra, part, costPerDayUsd: u.costUsd }));
  if (c.cost.workersPerDayUsd > 0) parts.push({ ...extra, part: 'workers', costPerDayUsd: c.cost.workersPerDayUsd });
  return parts;
}

/** The x channel of stacked cost bars: the day's dollars summed over the parts. */
export const COST_SUM_X: VlSpec = {
  aggregate: 'sum',
  field: 'costPerDayUsd',
  type: 'quantitative',
  title: 'USD per day',
  axis: { format: '$,.0f', tickCount: 6 },
};

/** The tooltip line of a stacked cost bar's total. */
export const COST_SUM_TOOLTIP: VlSpec = { aggregate: 'sum', field: 'costPerDayUsd', type: 'quantitative', format: '$,.2f', title: 'USD per day' };

/** The y channel listing configurations (field `field`) in `order`; later panels of a row hide the labels. */
export function configY(field: string, order: readonly string[], labels = true): VlSpec {
  const axis = labels ? { labelLimit: 0 } : { labels: false, ticks: false, domain: false };
  return { field, type: 'nominal', title: null, sort: [...order], axis };
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

/** The hour axis of a day-long series: the day plus any drain after it, so a backlog cleared late stays visible. */
export function dayX(configs: readonly ConfigResult[]): VlSpec {
  const endHour = Math.max(24, ...configs.map((c) => ((c.timeSeries.tS.at(-1) ?? 0) + c.timeSeries.intervalS) / 3600));
  return { field: 'hour', type: 'quantitative', title: 'hour of the simulated day', scale: { domain: [0, endHour], nice: false }, axis: { tickCount: 8 } };
}

/** One panel of a day-long series chart, showing the configuration picked in the `cfg` menu. */
export function seriesPanel(height: number, rest: VlSpec): VlSpec {
  const { transform, ...others } = rest;
  return { width: 720, height, transform: [{ filter: 'datum.label === cfg' }, ...((transform as VlSpec[] | undefined) ?? [])], ...others };
}
