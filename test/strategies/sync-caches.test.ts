/**
 * Memory caches are read and written synchronously once a job is past its first segment (the
 * agent's `syncCache`), and through promises otherwise. A day through every kind of cache, with
 * queueing, must give the same ledger, row for row, and the same results as the same day with
 * every cache operation a promise (the stores hidden from `instanceof MemoryStore`, as a Redis
 * store would be); so must a replayed trace whose requests arrive together and are served from
 * caches that take no time (where a job started by an arrival must not run ahead of it).
 */
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { simulateConfiguration } from '../../src/engine/simulate.ts';
import { CacheSchema, type CacheInput } from '../../src/scenario/schema.ts';
import { MemoryStore } from '../../src/strategies/cache-store.ts';
import { StepCache } from '../../src/strategies/caches.ts';
import type { TraceReplay } from '../../src/trace/replay.ts';
import { TraceBuilder } from '../../src/trace/trace.ts';
import { tinyScenario } from './harness.ts';

const cache = (c: CacheInput) => CacheSchema.parse(c);

const loaded = tinyScenario({
  traffic: { requestsPerDay: 100_000, durationHours: 1 },
  requestMix: [{ name: 'faq', share: 1, inputTokens: 100, outputTokens: 50, difficulty: 0.3, intents: 300, zipf: 1.1, paraphrases: 4, intentsPerTopic: 5 }],
  workflow: [
    { type: 'tool', name: 'lookup', latencyMs: 40, costUsd: 0.001, changesPerHour: 2, staleImpact: 0.5, keyBy: 'intent' },
    { type: 'embedding', name: 'embed-chunks', input: 'chunks', chunks: { perRequest: 3, tokens: 100, corpus: 400, zipf: 1 } },
    { type: 'llm', name: 'classify', model: 'gpt-4o-mini', quality: false },
    { type: 'llm', name: 'answer', model: 'routed' },
  ],
});

const caches = [
  cache({ type: 'tool', step: 'lookup', ttlS: 600, latencyMs: 0 }),
  cache({ type: 'embedding', step: 'embed-chunks', capacity: 200, latencyMs: 0 }),
  cache({ type: 'exact', step: 'classify', capacity: 500, ttlS: 3600, latencyMs: 0 }),
  cache({ type: 'semantic', step: 'answer', threshold: 0.85, capacity: 300, ttlS: 3600, latencyMs: 0 }),
];

/** A day's ledger rows and results (without the engine's own timing). */
async function day(
  run: { scenario: typeof loaded.scenario; catalog: typeof loaded.catalog } = loaded,
  dayCaches = caches,
  workers = 4,
  replay?: TraceReplay,
): Promise<{ rows: string[]; result: string }> {
  const rows: string[] = [];
  const strategies = { ...run.scenario.strategies, caches: dayCaches, workers: { type: 'fixed' as const, workers, costPerHourUsd: 0 } };
  const r = await simulateConfiguration(
    run.scenario,
    run.catalog,
    { name: 'sync', axes: {}, strategies },
    { seed: 3, ledgerSink: (row) => rows.push(JSON.stringify(row)), ...(replay !== undefined ? { replay } : {}) },
  );
  const { engine: _engine, ...rest } = r;
  return { rows, result: JSON.stringify(rest) };
}

/** A short fingerprint of a day (its rows and results), for a readable failure. */
const digest = (d: { rows: string[]; result: string }) => ({
  rows: d.rows.length,
  ledger: createHash('sha256').update(d.rows.join('\n')).digest('hex'),
  results: createHash('sha256').update(d.result).digest('hex'),
});

/** Both days: as run, and with every store behind the plain contract (each operation a promise). */
async function bothWays(...args: Parameters<typeof day>) {
  const sync = await day(...args);
  Object.defineProperty(MemoryStore, Symbol.hasInstance, { value: () => false, configurable: true });
  try {
    return { sync, viaPromises: await day(...args) };
  } finally {
    Reflect.deleteProperty(MemoryStore, Symbol.hasInstance);
  }
}

afterEach(() => {
  vi.restoreAllMocks();
  Reflect.deleteProperty(MemoryStore, Symbol.hasInstance);
});

describe('synchronous memory caches', () => {
  it('give the ledger and results of the same day with every cache operation a promise', async () => {
    const promised = vi.spyOn(StepCache.prototype, 'get');
    const sync = await day();
    const syncAwaits = promised.mock.calls.length;
    // every store behind the plain contract: each operation a promise
    Object.defineProperty(MemoryStore, Symbol.hasInstance, { value: () => false, configurable: true });
    promised.mockClear();
    const viaPromises = await day();
    const allAwaits = promised.mock.calls.length;
    expect(sync.rows.length).toBeGreaterThan(20_000);
    expect(digest(sync)).toEqual(digest(viaPromises));
    // the two runs took the two paths: a job's later operations were synchronous
    expect(syncAwaits).toBeGreaterThan(0);
    expect(allAwaits).toBeGreaterThan(3 * syncAwaits);
    const stats = JSON.parse(sync.result).caches as Record<string, { hits: number; misses: number }>;
    for (const name of ['tool:lookup', 'embedding:embed-chunks', 'exact:classify', 'semantic:answer']) {
      expect(stats[name]!.hits).toBeGreaterThan(100);
      expect(stats[name]!.misses).toBeGreaterThan(10);
    }
  });

  it('a job started by an arrival does not run ahead of it: replayed requests arriving together, served by caches that take no time', async () => {
    // three requests at each instant, two prompts: after the first, each request is two cache hits of 0 ms
    const trace = new TraceBuilder('together', 'csv', false);
    for (let i = 0; i < 300; i++) trace.addCounts(Math.floor(i / 3) * 1000, 100, 40, undefined, undefined);
    const t = trace.finish();
    const replay: TraceReplay = {
      trace: t,
      speed: 1,
      count: t.count,
      durationHours: t.spanMs / 3_600_000,
      requestsPerDay: 86_400,
      unknownModelRequests: 0,
      unknownModels: [],
    };
    const together = tinyScenario({
      requestMix: [{ name: 'q', share: 1, inputTokens: 100, outputTokens: 40, difficulty: 0, intents: 2, zipf: 0, paraphrases: 1 }],
      workflow: [
        { type: 'tool', name: 'lookup', latencyMs: 30, costUsd: 0.001, changesPerHour: 0, keyBy: 'intent' },
        { type: 'llm', name: 'answer', model: 'routed' },
      ],
    });
    const instant = [cache({ type: 'tool', step: 'lookup', ttlS: 0, latencyMs: 0 }), cache({ type: 'exact', step: 'answer', ttlS: 0, latencyMs: 0 })];
    const { sync, viaPromises } = await bothWays(together, instant, 1, replay);
    expect(sync.rows.filter((r) => r.includes('"cache_hit"')).length).toBeGreaterThan(500);
    expect(digest(sync)).toEqual(digest(viaPromises));
  });
});
