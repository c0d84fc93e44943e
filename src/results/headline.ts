/** The headline figures of a configuration, read the same way by the summary, `compare` and `gate`. */
import type { ConfigResult, HeadlineMetrics } from './schema.ts';

/** Flattens one configuration's results into its headline figures. */
export function headlineMetrics(config: ConfigResult): HeadlineMetrics {
  const total = config.requests.total;
  return {
    costPerDayUsd: config.cost.perDayUsd,
    costPerRequestUsd: config.cost.perRequestUsd,
    e2eP50Ms: config.latencyMs.e2e.p50,
    e2eP95Ms: config.latencyMs.e2e.p95,
    e2eP99Ms: config.latencyMs.e2e.p99,
    ttftP50Ms: config.latencyMs.ttft.p50,
    ttftP95Ms: config.latencyMs.ttft.p95,
    queueWaitP95Ms: config.latencyMs.queueWait.p95,
    quality: config.quality.share,
    errorRate: total === 0 ? 0 : config.requests.failed / total,
    peakRps: config.throughput.peakRps,
    ...(config.latencyMs.itl !== undefined ? { itlP95Ms: config.latencyMs.itl.p95 } : {}),
    ...(config.latencyMs.tpot !== undefined ? { tpotP95Ms: config.latencyMs.tpot.p95 } : {}),
    ...(config.throughput.outputTokensPerS !== undefined ? { outputTokensPerS: config.throughput.outputTokensPerS.aggregate } : {}),
  };
}

/** Which way is better for each headline metric: 'lower' (cost, latency, errors) or 'higher'. */
export const METRIC_DIRECTION: Readonly<Record<keyof HeadlineMetrics, 'lower' | 'higher'>> = Object.freeze({
  costPerDayUsd: 'lower',
  costPerRequestUsd: 'lower',
  e2eP50Ms: 'lower',
  e2eP95Ms: 'lower',
  e2eP99Ms: 'lower',
  ttftP50Ms: 'lower',
  ttftP95Ms: 'lower',
  queueWaitP95Ms: 'lower',
  quality: 'higher',
  errorRate: 'lower',
  peakRps: 'higher',
  itlP95Ms: 'lower',
  tpotP95Ms: 'lower',
  outputTokensPerS: 'higher',
});
