/**
 * Routing and cache statistics of a run, computed in one place for every way a run is executed:
 * the simulator and an in-process live run read them from their one agent's counters; a BullMQ
 * run sums the counters each job moved in its worker's agent and reads them through the same
 * functions, so the figures (strong-call share, strong model, escalation rate, hit rates) agree.
 */
import type { CacheStats, RoutingStats } from '../results/schema.ts';
import type { RoutingSpec } from '../scenario/schema.ts';
import type { Router } from './routing.ts';

/** The counters routing moves: one agent's so far, or what one job moved. */
export interface RoutingCounters {
  callsByModel: Record<string, number>;
  routed: number;
  strong: number;
  escalated: number;
  retries: number;
  fallbacks: number;
}

export function newRoutingCounters(): RoutingCounters {
  return { callsByModel: {}, routed: 0, strong: 0, escalated: 0, retries: 0, fallbacks: 0 };
}

/** Counts one routed call: the model that answered and how the router reached it. */
export function countRoute(c: RoutingCounters, model: string, route: { strong: boolean; escalated: boolean; retries: number; fallbacks: number }): void {
  c.routed++;
  c.callsByModel[model] = (c.callsByModel[model] ?? 0) + 1;
  if (route.escalated) c.escalated++;
  if (route.strong) c.strong++;
  c.retries += route.retries;
  c.fallbacks += route.fallbacks;
}

/** Adds `d` into `into`. */
export function addRouting(into: RoutingCounters, d: RoutingCounters): void {
  for (const [m, n] of Object.entries(d.callsByModel)) into.callsByModel[m] = (into.callsByModel[m] ?? 0) + n;
  into.routed += d.routed;
  into.strong += d.strong;
  into.escalated += d.escalated;
  into.retries += d.retries;
  into.fallbacks += d.fallbacks;
}

/** A copy of `c` (to difference against later). */
export function copyRouting(c: RoutingCounters): RoutingCounters {
  return { ...c, callsByModel: { ...c.callsByModel } };
}

/** What moved between `before` and `now`, or null when nothing was routed. */
export function routingDelta(now: RoutingCounters, before: RoutingCounters): RoutingCounters | null {
  if (now.routed === before.routed) return null;
  const callsByModel: Record<string, number> = {};
  for (const [m, n] of Object.entries(now.callsByModel)) {
    const d = n - (before.callsByModel[m] ?? 0);
    if (d !== 0) callsByModel[m] = d;
  }
  return {
    callsByModel,
    routed: now.routed - before.routed,
    strong: now.strong - before.strong,
    escalated: now.escalated - before.escalated,
    retries: now.retries - before.retries,
    fallbacks: now.fallbacks - before.fallbacks,
  };
}

/** The run's routing statistics from its counters (null when no step was routed). */
export function routingStats(c: RoutingCounters, spec: RoutingSpec, router: Pick<Router, 'label' | 'strongModel'>): RoutingStats | null {
  if (c.routed === 0) return null;
  return {
    strategy: router.label,
    callsByModel: c.callsByModel,
    strongCallShare: c.strong / c.routed,
    strongModel: router.strongModel,
    escalationRate: spec.type === 'cascade' ? c.escalated / c.routed : 0,
    retries: c.retries,
    fallbacks: c.fallbacks,
  };
}

/** The cache counters that add up across jobs (the rates are derived from them). */
const CACHE_COUNTERS = ['lookups', 'hits', 'misses', 'falseHits', 'staleHits', 'evictions', 'savedUsd'] as const;

/** Fills in a cache's rates from its counters; returns it. */
export function withCacheRates(s: CacheStats): CacheStats {
  s.hitRate = s.lookups === 0 ? 0 : s.hits / s.lookups;
  s.precision = s.hits === 0 ? 1 : (s.hits - s.falseHits) / s.hits;
  s.staleRate = s.hits === 0 ? 0 : s.staleHits / s.hits;
  return s;
}

/** A copy of every cache's figures (to difference against later). */
export function copyCaches(stats: Record<string, CacheStats>): Record<string, CacheStats> {
  return Object.fromEntries(Object.entries(stats).map(([k, v]) => [k, { ...v }]));
}

/** The counters each cache moved between `before` and `now` (caches that moved nothing left out; rates not filled). */
export function cacheDelta(now: Record<string, CacheStats>, before: Record<string, CacheStats>): Record<string, CacheStats> {
  const out: Record<string, CacheStats> = {};
  for (const [k, v] of Object.entries(now)) {
    const b = before[k];
    const d = { ...v };
    for (const c of CACHE_COUNTERS) d[c] = v[c] - (b?.[c] ?? 0);
    if (d.lookups !== 0 || d.evictions !== 0) out[k] = d;
  }
  return out;
}

/** Adds each cache's counters of `d` into `into`. */
export function addCaches(into: Record<string, CacheStats>, d: Record<string, CacheStats>): void {
  for (const [name, c] of Object.entries(d)) {
    const t = into[name];
    if (t === undefined) {
      into[name] = { ...c };
      continue;
    }
    for (const k of CACHE_COUNTERS) t[k] += c[k];
  }
}
