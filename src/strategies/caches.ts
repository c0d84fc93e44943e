/**
 * The four caches of the agent: exact LLM request, semantic, embedding and tool output. Each
 * wraps a store (memory or Redis) and keeps its own hit/miss/false-hit/stale accounting.
 */
import { createRequire } from 'node:module';
import type { Redis } from 'ioredis';
import { BenchError } from '../core/errors.ts';
import type { Rng } from '../core/random.ts';
import { judgeAnswer } from '../provider/quality.ts';
import type { CacheStats } from '../results/schema.ts';
import type { CacheSpec } from '../scenario/schema.ts';
import { cosine } from '../workload/prompt-space.ts';
import { withCacheRates } from './run-stats.ts';
import { MemoryStore, RedisStore, type CacheEntry, type CacheStore, type NearestEntry } from './cache-store.ts';

/** A stored LLM answer. */
export interface AnswerValue {
  model: string;
  outputTokens: number;
  correct: boolean;
  /** The intent the answer was written for (a semantic hit on another intent is a false hit). */
  intentKey: string;
  /** What producing the answer cost (what a hit saves). */
  costUsd: number;
  /**
   * When the earliest-changing tool data the answer was written from changes at its source (null:
   * never): from then on the stored answer is stale.
   */
  dataChangesAtMs: number | null;
  /** That tool step's `staleImpact`: the probability that a stale answer is wrong. */
  staleImpact: number;
  /**
   * Semantic cache: the prompt's embedding (an array in a store that serializes it; in memory the
   * prompt's own vector, shared by every entry of that prompt: `storedVector`).
   */
  vector?: ArrayLike<number>;
}

/** A stored tool result: when it was fetched and when the source next changes. */
export interface ToolValue {
  costUsd: number;
  /** When the source next changes (null: never; JSON has no Infinity for the Redis store). */
  changesAtMs: number | null;
}

/** The tool data one request holds: the earliest moment any of it changes at its source, and that tool's staleImpact. */
export class ToolData {
  changesAtMs = Infinity;
  staleImpact = 0;

  uses(changesAtMs: number | null, staleImpact: number): void {
    if (changesAtMs === null || changesAtMs >= this.changesAtMs) return;
    this.changesAtMs = changesAtMs;
    this.staleImpact = staleImpact;
  }
}

/** What decides whether a cached answer served to a request is correct. */
export interface CachedAnswerFacts {
  /** Semantic cache: the stored answer was written for another intent (question). */
  falseHit: boolean;
  /** The tool data the answer was written from has changed since. */
  stale: boolean;
  staleImpact: number;
  /** Capability of the model that wrote the stored answer. */
  capability: number;
  /** This request's difficulty (after its RAG draw). */
  difficulty: number;
  /** `answerSeed(this request's step seed, the stored answer's model)`. */
  seed: number;
  /** The step's generator: draws whether a stale answer is wrong. */
  rng: Rng;
}

/**
 * The quality model of a cache hit (README "Quality"):
 * - a false hit (another question's answer) is wrong;
 * - otherwise the answer is judged as the stored answer's model answering this request
 *   (`judgeAnswer` with this request's difficulty and answer seed): a true hit has exactly the
 *   quality of asking that model again, so a cache never raises quality by freezing a lucky
 *   draw for every later request of a popular question (which would add variance, not change
 *   the expectation);
 * - a stale answer (its tool data changed since it was written) is then wrong with the tool
 *   step's `staleImpact`.
 */
export function cachedAnswerCorrect(f: CachedAnswerFacts): boolean {
  if (f.falseHit) return false;
  const correct = judgeAnswer(f.capability, f.difficulty, f.seed).correct;
  if (f.stale && f.rng.next() < f.staleImpact) return false;
  return correct;
}

/** A stored embedding (the vector itself is not needed by the simulation; its price is). */
export interface EmbeddingValue {
  costUsd: number;
}

const KEY_WORDS: Record<CacheSpec['type'], { key: string; value: string }> = {
  exact: { key: 'hash(model, step, normalized messages, output-changing parameters)', value: 'the response text and its usage' },
  semantic: { key: 'embedding of the user prompt (served above the similarity threshold)', value: 'the response text' },
  embedding: { key: 'hash(embedding model, text)', value: 'the embedding vector' },
  tool: { key: 'hash(tool, arguments)', value: 'the tool output, kept for the TTL' },
};

/** Accounting shared by all cache kinds. */
export class CacheCounter {
  readonly stats: CacheStats;

  constructor(spec: CacheSpec) {
    this.stats = {
      kind: spec.type,
      step: spec.step,
      ...KEY_WORDS[spec.type],
      lookups: 0,
      hits: 0,
      misses: 0,
      hitRate: 0,
      falseHits: 0,
      precision: 1,
      staleHits: 0,
      staleRate: 0,
      evictions: 0,
      savedUsd: 0,
    };
  }

  hit(savedUsd: number, flags: { false?: boolean; stale?: boolean } = {}): void {
    const s = this.stats;
    s.lookups++;
    s.hits++;
    s.savedUsd += savedUsd;
    if (flags.false) s.falseHits++;
    if (flags.stale) s.staleHits++;
  }

  miss(): void {
    this.stats.lookups++;
    this.stats.misses++;
  }

  evicted(n: number): void {
    this.stats.evictions += n;
  }

  /** The final figures (rates filled in). */
  finish(): CacheStats {
    return withCacheRates(this.stats);
  }
}

/** The Redis client class, loaded on first use: a run with memory caches (and every sweep thread) does without it. */
function redisClient(): typeof Redis {
  return (createRequire(import.meta.url)('ioredis') as typeof import('ioredis')).Redis;
}

/** Opens the store a cache spec asks for; Redis connections are shared per URL. */
export class StoreFactory {
  private readonly redis = new Map<string, Redis>();

  constructor(private readonly namespace: string) {}

  open<V>(spec: CacheSpec, name: string): CacheStore<V> {
    const limits = { capacity: spec.capacity, ttlS: spec.ttlS };
    // a semantic cache's memory store keeps its buckets' vectors packed for the similarity scan
    if (spec.backend === 'memory') return new MemoryStore<V>(limits, spec.type === 'semantic' ? (v) => (v as AnswerValue).vector : undefined);
    const url = spec.backend.redis;
    let conn = this.redis.get(url);
    if (conn === undefined) {
      conn = new (redisClient())(url, { lazyConnect: false, maxRetriesPerRequest: 2 });
      // a dropped connection reaches the run through the failing command (below), once; without
      // a listener ioredis prints "Unhandled error event" for every reconnection attempt
      conn.on('error', () => undefined);
      this.redis.set(url, conn);
    }
    return guardRedisStore(new RedisStore<V>(conn, `${this.namespace}:${name}`, limits), url);
  }

  /** Closes Redis connections. */
  async close(): Promise<void> {
    await Promise.all([...this.redis.values()].map((r) => r.quit().catch(() => undefined)));
  }
}

/**
 * A Redis store whose failures stop the run with one clear message. The cache does not fall back
 * to no cache: hit rates, costs and latencies would then mix two regimes without saying so.
 */
function guardRedisStore<V>(store: CacheStore<V>, url: string): CacheStore<V> {
  const fail = (err: unknown): never => {
    throw new BenchError(
      'DEPENDENCY_FAILED',
      `cache backend ${url}: Redis stopped answering during the run (${(err as Error).message}); the run stops rather than continue without its cache. Start Redis again and rerun`,
    );
  };
  return {
    get: (key, nowMs) => store.get(key, nowMs).catch(fail),
    set: (key, value, nowMs, bucket) => store.set(key, value, nowMs, bucket).catch(fail),
    scan: (bucket, nowMs) => store.scan(bucket, nowMs).catch(fail),
    clear: () => store.clear().catch(fail),
  };
}

/** A cache in front of one step, with its store and its counter. */
export class StepCache<V> {
  readonly counter: CacheCounter;
  /** The store when it is in memory: its operations can run synchronously (`setSync`, `getSync`), no promise each. */
  readonly memory: MemoryStore<V> | undefined;

  constructor(
    readonly spec: CacheSpec,
    readonly store: CacheStore<V>,
  ) {
    this.counter = new CacheCounter(spec);
    this.memory = store instanceof MemoryStore ? store : undefined;
  }

  get(key: string, nowMs: number): Promise<CacheEntry<V> | undefined> {
    return this.store.get(key, nowMs);
  }

  async set(key: string, value: V, nowMs: number, bucket?: string): Promise<void> {
    this.counter.evicted(await this.store.set(key, value, nowMs, bucket));
  }

  /** `set` on the memory store, synchronously (only when `memory` is defined). */
  setSync(key: string, value: V, nowMs: number, bucket?: string): void {
    this.counter.evicted(this.memory!.setSync(key, value, nowMs, bucket));
  }
}

/** The vector to keep with a semantic entry: the prompt's own in memory, a plain array for a store that serializes it. */
export function storedVector(cache: StepCache<AnswerValue>, vector: Float64Array): ArrayLike<number> {
  return cache.store instanceof MemoryStore ? vector : Array.from(vector);
}

/** A semantic lookup's answer: the most similar live entry at or above the threshold. */
type Nearest = NearestEntry<AnswerValue>;

/** Semantic lookup: the most similar live entry of the bucket at or above the threshold. */
export async function nearestAnswer(cache: StepCache<AnswerValue>, vector: ArrayLike<number>, bucket: string, nowMs: number): Promise<Nearest | undefined> {
  if (cache.memory !== undefined) return nearestAnswerSync(cache, vector, bucket, nowMs);
  if (cache.spec.type !== 'semantic') return undefined;
  const match = new NearestMatch(vector, cache.spec.threshold);
  const store = cache.store;
  for (const { key, entry } of await store.scan(bucket, nowMs)) match.offer(key, entry);
  if (match.entry !== undefined) await store.get(match.key, nowMs); // refresh its LRU position
  return match.result();
}

/** `nearestAnswer` on a memory store (`cache.memory`), synchronously. */
export function nearestAnswerSync(cache: StepCache<AnswerValue>, vector: ArrayLike<number>, bucket: string, nowMs: number): Nearest | undefined {
  const store = cache.memory!;
  if (cache.spec.type !== 'semantic') return undefined;
  // the same rule over the bucket's packed vectors and store times, refreshing the winner
  if (store.indexesVectors) return store.nearestSync(bucket, nowMs, vector, cache.spec.threshold);
  const match = new NearestMatch(vector, cache.spec.threshold);
  // the same scan with no array or object per entry; an anonymous arrow: a named one (a class
  // field) is wrapped by tsx's keepNames in a defineProperty call per lookup
  store.visit(bucket, nowMs, (key, entry) => match.offer(key, entry));
  if (match.entry !== undefined) store.getSync(match.key, nowMs); // refresh its LRU position
  return match.result();
}

/** The one best-match rule: the most similar entry at or above the threshold; on a tie the first offered stays. */
class NearestMatch {
  entry: CacheEntry<AnswerValue> | undefined = undefined;
  key = '';
  similarity = 0;

  constructor(
    private readonly vector: ArrayLike<number>,
    private readonly threshold: number,
  ) {}

  offer(key: string, entry: CacheEntry<AnswerValue>): void {
    const sim = cosine(this.vector, entry.value.vector!);
    if (sim >= this.threshold && (this.entry === undefined || sim > this.similarity)) {
      this.entry = entry;
      this.key = key;
      this.similarity = sim;
    }
  }

  result(): Nearest | undefined {
    return this.entry === undefined ? undefined : { entry: this.entry, similarity: this.similarity, key: this.key };
  }
}
