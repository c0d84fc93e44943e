/**
 * Routing and cache statistics of a run whose agents live in worker processes: each worker meters
 * the counters its agent moved during a job (`meterJob`), and the run sums them (`JobStatsTotals`)
 * and reads them through the same functions an in-process agent uses (`strategies/run-stats.ts`).
 */
import type { Agent } from '../agent/agent.ts';
import type { CacheStats, RoutingStats } from '../results/schema.ts';
import type { RoutingSpec } from '../scenario/schema.ts';
import { createRouter, type Router } from '../strategies/routing.ts';
import {
  addCaches,
  addRouting,
  cacheDelta,
  copyCaches,
  copyRouting,
  newRoutingCounters,
  routingDelta,
  routingStats,
  withCacheRates,
  type RoutingCounters,
} from '../strategies/run-stats.ts';

/** The counters one job moved in its worker's agent. */
export interface JobStats {
  routing: RoutingCounters | null;
  /** By cache name; rates are left to the run. */
  caches: Record<string, CacheStats>;
}

/** Call before a job runs on `agent`; the function it returns gives what the job moved. */
export function meterJob(agent: Agent): () => JobStats {
  const routingBefore = copyRouting(agent.routing);
  const cachesBefore = copyCaches(agent.cacheStats());
  return () => ({ routing: routingDelta(agent.routing, routingBefore), caches: cacheDelta(agent.cacheStats(), cachesBefore) });
}

/** Sums the per-job counters workers return. */
export class JobStatsTotals {
  private readonly routing = newRoutingCounters();
  private readonly caches: Record<string, CacheStats> = {};
  private readonly router: Router;

  constructor(private readonly routingSpec: RoutingSpec) {
    this.router = createRouter(routingSpec);
  }

  add(job: JobStats): void {
    if (job.routing !== null) addRouting(this.routing, job.routing);
    addCaches(this.caches, job.caches);
  }

  /** As `Agent.routingStats()`. */
  routingStats(): RoutingStats | null {
    return routingStats(this.routing, this.routingSpec, this.router);
  }

  /** As `Agent.cacheStats()`. */
  cacheStats(): Record<string, CacheStats> {
    for (const s of Object.values(this.caches)) withCacheRates(s);
    return this.caches;
  }
}
