/**
 * Cache backends: the in-memory store's LRU and TTL semantics, and the Redis store giving the
 * same answer to every operation of the same sequence. The Redis part runs against REDIS_URL
 * (default redis://127.0.0.1:6379); when no Redis answers it is skipped with a warning, unless
 * REQUIRE_REDIS=1, when it fails.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CacheSchema } from '../../src/scenario/schema.ts';
import { MemoryStore, RedisStore, type CacheStore } from '../../src/strategies/cache-store.ts';
import { drive, tinyScenario } from './harness.ts';

const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const REQUIRE_REDIS = process.env['REQUIRE_REDIS'] === '1';

type Op =
  | { op: 'get'; key: string; t: number }
  | { op: 'set'; key: string; value: number; t: number; bucket?: string }
  | { op: 'scan'; bucket: string; t: number };

/** A sequence touching LRU order, eviction, TTL expiry, overwrite and buckets. Capacity 3, TTL 10 s. */
const LIMITS = { capacity: 3, ttlS: 10 };
const OPS: Op[] = [
  { op: 'get', key: 'a', t: 0 },
  { op: 'set', key: 'a', value: 1, t: 0, bucket: 'x' },
  { op: 'set', key: 'b', value: 2, t: 1000, bucket: 'x' },
  { op: 'set', key: 'c', value: 3, t: 2000, bucket: 'y' },
  { op: 'get', key: 'a', t: 3000 }, // a becomes most recent: b is now the oldest
  { op: 'set', key: 'd', value: 4, t: 4000 }, // evicts b
  { op: 'get', key: 'b', t: 4000 },
  { op: 'scan', bucket: 'x', t: 4000 }, // only a is left in x
  { op: 'set', key: 'c', value: 33, t: 5000, bucket: 'y' }, // overwrite: no eviction, c refreshed
  { op: 'get', key: 'c', t: 5000 },
  { op: 'get', key: 'a', t: 10_000 }, // written at 0: age 10 s is not more than the TTL
  { op: 'get', key: 'a', t: 10_001 }, // expired
  { op: 'scan', bucket: 'x', t: 10_001 },
  { op: 'scan', bucket: 'y', t: 15_000 }, // c written at 5 s: alive
  { op: 'scan', bucket: 'y', t: 15_001 }, // expired
  { op: 'set', key: 'e', value: 5, t: 16_000 },
  { op: 'set', key: 'f', value: 6, t: 16_000 },
  { op: 'set', key: 'g', value: 7, t: 16_000 }, // d is expired but still held: it is the LRU victim
  { op: 'get', key: 'e', t: 16_000 },
  { op: 'get', key: 'g', t: 16_000 },
];

async function replay(store: CacheStore<number>): Promise<unknown[]> {
  const out: unknown[] = [];
  for (const o of OPS) {
    if (o.op === 'get') out.push(await store.get(o.key, o.t));
    else if (o.op === 'set') out.push({ evicted: await store.set(o.key, o.value, o.t, o.bucket) });
    else out.push((await store.scan(o.bucket, o.t)).sort((p, q) => p.key.localeCompare(q.key)));
  }
  return out;
}

const EXPECTED: unknown[] = [
  undefined,
  { evicted: 0 },
  { evicted: 0 },
  { evicted: 0 },
  { value: 1, storedAtMs: 0 },
  { evicted: 1 },
  undefined,
  [{ key: 'a', entry: { value: 1, storedAtMs: 0 } }],
  { evicted: 0 },
  { value: 33, storedAtMs: 5000 },
  { value: 1, storedAtMs: 0 },
  undefined,
  [],
  [{ key: 'c', entry: { value: 33, storedAtMs: 5000 } }],
  [],
  { evicted: 0 },
  { evicted: 0 },
  { evicted: 1 },
  { value: 5, storedAtMs: 16_000 },
  { value: 7, storedAtMs: 16_000 },
];

describe('MemoryStore', () => {
  it('follows LRU order, TTL expiry and bucket scans exactly', async () => {
    const results = await replay(new MemoryStore<number>(LIMITS));
    expect(results).toEqual(EXPECTED);
  });

  it('ttlS 0 never expires', async () => {
    const s = new MemoryStore<number>({ capacity: 10, ttlS: 0 });
    await s.set('k', 1, 0);
    expect(await s.get('k', 1e12)).toEqual({ value: 1, storedAtMs: 0 });
  });
});

describe('RedisStore', () => {
  let redis: Redis | null = null;
  const namespace = `llm-scale-bench-test:${process.pid}:${Date.now()}`;

  beforeAll(async () => {
    const conn = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 1000 });
    conn.on('error', () => undefined);
    try {
      await conn.connect();
      await conn.ping();
      redis = conn;
    } catch (err) {
      conn.disconnect();
      const why = `Redis not reachable at ${REDIS_URL} (${(err as Error).message})`;
      if (REQUIRE_REDIS) throw new Error(`${why}, and REQUIRE_REDIS=1. Start Redis or point REDIS_URL at one.`);
      console.warn(`⚠ ${why}: RedisStore tests skipped. Start Redis or set REDIS_URL; REQUIRE_REDIS=1 makes this a failure.`);
    }
  });

  afterAll(async () => {
    if (redis === null) return;
    await new RedisStore<number>(redis, namespace, LIMITS).clear();
    const left = await redis.keys(`${namespace}*`);
    await redis.quit();
    expect(left).toEqual([]);
  });

  it('gives the same answer as MemoryStore to every operation of the same sequence', async (ctx) => {
    if (redis === null) return ctx.skip();
    const store = new RedisStore<number>(redis, `${namespace}:seq`, LIMITS);
    expect(await replay(store)).toEqual(await replay(new MemoryStore<number>(LIMITS)));
  });

  it('agrees with MemoryStore on a long random sequence (hits, misses, evictions)', async (ctx) => {
    if (redis === null) return ctx.skip();
    const limits = { capacity: 20, ttlS: 30 };
    const mem = new MemoryStore<number>(limits);
    const red = new RedisStore<number>(redis, `${namespace}:random`, limits);
    let x = 12345;
    const rand = (n: number) => (x = (Math.imul(x, 1103515245) + 12345) >>> 0) % n;
    const tally = { hits: 0, misses: 0, evictions: 0 };
    for (let i = 0; i < 400; i++) {
      const key = `k${rand(40)}`;
      const t = i * 400;
      const [a, b] = [await mem.get(key, t), await red.get(key, t)];
      expect(b).toEqual(a);
      if (a === undefined) {
        tally.misses++;
        const bucket = `b${rand(3)}`;
        const [ea, eb] = [await mem.set(key, i, t, bucket), await red.set(key, i, t, bucket)];
        expect(eb).toBe(ea);
        tally.evictions += ea;
      } else tally.hits++;
    }
    // the sequence exercised every path
    expect(tally.hits).toBeGreaterThan(50);
    expect(tally.misses).toBeGreaterThan(50);
    expect(tally.evictions).toBeGreaterThan(10);
  });

  it('an agent’s exact cache on Redis counts the same hits, misses and evictions as in memory', async (ctx) => {
    if (redis === null) return ctx.skip();
    const plans = Array.from({ length: 30 }, (_, i) => ({ atMs: i * 10_000, intent: [0, 1, 0, 2, 1, 0, 3, 0, 4, 1][i % 10]! }));
    const spec = { type: 'exact', step: 'answer', capacity: 3, ttlS: 120 } as const;
    const mem = await drive(tinyScenario(), plans, { strategies: { caches: [CacheSchema.parse(spec)] } });
    const red = await drive(tinyScenario(), plans, {
      strategies: { caches: [CacheSchema.parse({ ...spec, backend: { redis: REDIS_URL } })] },
      cacheNamespace: `${namespace}:agent`,
    });
    const m = mem.agent.cacheStats()['exact:answer']!;
    expect(m.hits).toBeGreaterThan(0);
    expect(m.evictions).toBeGreaterThan(0);
    expect(red.agent.cacheStats()['exact:answer']).toEqual(m);
    expect(red.rows.map((r) => r.cache)).toEqual(mem.rows.map((r) => r.cache));
    const keys = await redis.keys(`${namespace}:agent:*`);
    if (keys.length > 0) await redis.del(...keys);
  });

  it('clear() removes every key of its namespace and nothing else', async (ctx) => {
    if (redis === null) return ctx.skip();
    const other = `${namespace}-other`;
    await redis.set(`${other}:v:keep`, '1');
    const store = new RedisStore<number>(redis, `${namespace}:clear`, LIMITS);
    await store.set('a', 1, 0, 'x');
    await store.clear();
    expect(await redis.keys(`${namespace}:clear:*`)).toEqual([]);
    expect(await redis.get(`${other}:v:keep`)).toBe('1');
    await redis.del(`${other}:v:keep`);
  });
});
