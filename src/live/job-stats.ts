/**
 * Routing and cache statistics of a run whose agents live in worker processes: each job returns
 * the counters it moved, summed here into what one in-process agent would have reported.
 */
import type { CacheStats, RoutingStats } from '../results/schema.ts';
import type { RoutingSpec } from '../scenario/schema.ts';
import type { JobResult } from './protocol.ts';

/** Sums the per-job counters workers return. */
export class JobStatsTotals {
  private readonly routing = { label: '', callsByModel: {} as Record<string, number>, routed: 0, strong: 0, escalated: 0, retries: 0, fallbacks: 0 };
  private readonly caches: Record<string, CacheStats> = {};

  constructor(private readonly routingSpec: RoutingSpec) {}

  add(result: JobResult): void {
    const d = result.routing;
    if (d !== null) {
      const r = this.routing;
      r.label = d.label;
      for (const [m, n] of Object.entries(d.callsByModel)) r.callsByModel[m] = (r.callsByModel[m] ?? 0) + n;
      r.routed += d.routed;
      r.strong += d.strong;
      r.escalated += d.escalated;
      r.retries += d.retries;
      r.fallbacks += d.fallbacks;
    }
    for (const [name, c] of Object.entries(result.caches)) {
      const t = this.caches[name];
      if (t === undefined) {
        this.caches[name] = { ...c };
        continue;
      }
      t.lookups += c.lookups;
      t.hits += c.hits;
      t.misses += c.misses;
      t.falseHits += c.falseHits;
      t.staleHits += c.staleHits;
      t.evictions += c.evictions;
      t.savedUsd += c.savedUsd;
    }
  }

  /** As `Agent.routingStats()`. */
  routingStats(): RoutingStats | null {
    const r = this.routing;
    if (r.routed === 0) return null;
    return {
      strategy: r.label,
      callsByModel: r.callsByModel,
      strongCallShare: r.strong / r.routed,
      escalationRate: this.routingSpec.type === 'cascade' ? r.escalated / r.routed : 0,
      retries: r.retries,
      fallbacks: r.fallbacks,
    };
  }

  /** As `Agent.cacheStats()` (rates filled in like `CacheCounter.finish`). */
  cacheStats(): Record<string, CacheStats> {
    for (const s of Object.values(this.caches)) {
      s.hitRate = s.lookups === 0 ? 0 : s.hits / s.lookups;
      s.precision = s.hits === 0 ? 1 : (s.hits - s.falseHits) / s.hits;
      s.staleRate = s.hits === 0 ? 0 : s.staleHits / s.hits;
    }
    return this.caches;
  }
}
