/** The cost–quality–latency frontier of a sweep: which configurations no other one beats. */
import { headlineMetrics } from '../results/headline.ts';
import type { ConfigResult } from '../results/schema.ts';

/**
 * Names of the Pareto-optimal configurations on (cost/day lower, quality higher, e2e p95 lower):
 * a configuration is dropped when another is at least as good on all three and better on one.
 */
export function paretoOptimal(configs: readonly ConfigResult[]): Set<string> {
  const points = configs.map((c) => {
    const h = headlineMetrics(c);
    return { name: c.name, cost: h.costPerDayUsd, quality: h.quality, p95: h.e2eP95Ms };
  });
  const optimal = new Set<string>();
  for (const p of points) {
    const dominated = points.some(
      (q) => q !== p && q.cost <= p.cost && q.quality >= p.quality && q.p95 <= p.p95 && (q.cost < p.cost || q.quality > p.quality || q.p95 < p.p95),
    );
    if (!dominated) optimal.add(p.name);
  }
  return optimal;
}
