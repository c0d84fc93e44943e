/**
 * Cache backends behind one contract: in memory (default) and Redis over a real connection
 * (shared by every worker, same semantics). Expiry and LRU order are decided by the harness's
 * clock, not by Redis's own timers, so a simulated day and a live run age entries alike.
 */
import type { Redis } from 'ioredis';
import { VectorBucket } from './vector-bucket.ts';

/** A stored value with the time it was written. */
export interface CacheEntry<V> {
  value: V;
  storedAtMs: number;
}

/** The contract every backend satisfies. */
export interface CacheStore<V> {
  /** The live entry under `key` (refreshing its LRU position), or undefined. Expired entries are removed. */
  get(key: string, nowMs: number): Promise<CacheEntry<V> | undefined>;
  /** Stores `value`; returns how many entries the capacity evicted. `bucket` groups keys for `scan`. */
  set(key: string, value: V, nowMs: number, bucket?: string): Promise<number>;
  /** Live entries of a bucket (for similarity search). */
  scan(bucket: string, nowMs: number): Promise<Array<{ key: string; entry: CacheEntry<V> }>>;
  /** Removes everything. */
  clear(): Promise<void>;
}

/** Capacity and TTL of a store. */
export interface StoreLimits {
  capacity: number;
  /** 0 = never expires. */
  ttlS: number;
}

/** Whether an entry stored at `storedAtMs` has outlived the store's TTL at `nowMs` (both stores' one rule). */
function expiredAt(limits: StoreLimits, storedAtMs: number, nowMs: number): boolean {
  return limits.ttlS > 0 && nowMs - storedAtMs > limits.ttlS * 1000;
}

interface LruNode<V> {
  key: string;
  /** What readers get: the entry alone, never the node (its links stay private). */
  entry: CacheEntry<V>;
  bucket: string | undefined;
  prev: LruNode<V> | null;
  next: LruNode<V> | null;
}

/** The live entry most similar to a query (`MemoryStore.nearestSync`). */
export interface NearestEntry<V> {
  key: string;
  entry: CacheEntry<V>;
  similarity: number;
}

/** A store's option: the vector of a value, for a store whose buckets are searched by similarity. */
export type VectorOf<V> = (value: V) => ArrayLike<number> | undefined;

/**
 * An LRU map with TTL: a hash map onto a doubly linked list in use order. (Re-inserting into a
 * JS Map to move a key to the end is O(1) too, but V8 then rehashes the table again and again
 * under heavy churn; the list keeps a hit at a constant cost.)
 */
export class MemoryStore<V> implements CacheStore<V> {
  private readonly map = new Map<string, LruNode<V>>();
  /** Each bucket's nodes in the order their keys were stored (a scan visits them in place, no lookup by key). */
  private readonly buckets = new Map<string, VectorBucket<LruNode<V>>>();
  /** Least recently used end. */
  private head: LruNode<V> | null = null;
  /** Most recently used end. */
  private tail: LruNode<V> | null = null;

  constructor(
    private readonly limits: StoreLimits,
    /** Keep each bucket's vectors packed for `similar` (a semantic cache's store). */
    private readonly vectorOf?: VectorOf<V>,
  ) {}

  /** Whether `similar` can scan this store's buckets (it was given `vectorOf`). */
  get indexesVectors(): boolean {
    return this.vectorOf !== undefined;
  }

  async get(key: string, nowMs: number): Promise<CacheEntry<V> | undefined> {
    return this.getSync(key, nowMs);
  }

  /** Synchronous read (the in-memory store needs no I/O). */
  getSync(key: string, nowMs: number): CacheEntry<V> | undefined {
    const node = this.map.get(key);
    if (node === undefined) return undefined;
    if (this.expired(node.entry, nowMs)) {
      this.remove(node);
      return undefined;
    }
    this.unlink(node);
    this.append(node);
    return node.entry;
  }

  async set(key: string, value: V, nowMs: number, bucket?: string): Promise<number> {
    return this.setSync(key, value, nowMs, bucket);
  }

  /** Synchronous write. */
  setSync(key: string, value: V, nowMs: number, bucket?: string): number {
    const old = this.map.get(key);
    if (old !== undefined) this.remove(old);
    const node: LruNode<V> = { key, entry: { value, storedAtMs: nowMs }, bucket, prev: null, next: null };
    this.map.set(key, node);
    this.append(node);
    if (bucket !== undefined) {
      const vector = this.vectorOf?.(value);
      let b = this.buckets.get(bucket);
      if (b === undefined) this.buckets.set(bucket, (b = new VectorBucket(vector?.length ?? 0)));
      b.add(node, nowMs, vector);
    }
    let evicted = 0;
    while (this.map.size > this.limits.capacity && this.head !== null) {
      this.remove(this.head);
      evicted++;
    }
    return evicted;
  }

  async scan(bucket: string, nowMs: number): Promise<Array<{ key: string; entry: CacheEntry<V> }>> {
    return this.scanSync(bucket, nowMs);
  }

  /** Synchronous scan. */
  scanSync(bucket: string, nowMs: number): Array<{ key: string; entry: CacheEntry<V> }> {
    const out: Array<{ key: string; entry: CacheEntry<V> }> = [];
    this.visit(bucket, nowMs, (key, entry) => void out.push({ key, entry }));
    return out;
  }

  /** `scanSync` without the array: `visit` sees each live entry of the bucket in the same order (expired ones are removed). */
  visit(bucket: string, nowMs: number, visit: (key: string, entry: CacheEntry<V>) => void): void {
    const nodes = this.buckets.get(bucket)?.nodes;
    if (nodes === undefined) return;
    for (let i = 0; i < nodes.length; ) {
      const node = nodes[i]!;
      if (this.expired(node.entry, nowMs)) {
        this.remove(node); // the next node moves into slot i
        continue;
      }
      visit(node.key, node.entry);
      i++;
    }
  }

  /**
   * The live entry of `bucket` most similar to `query` (`cosine`) at or above `threshold`, the
   * first stored on a tie, refreshed as most recently used (as `getSync` would); expired entries
   * met are removed. The rule `scan` then a best match applies, without a call per entry: store
   * times from the bucket, not from each node, and similarities that cannot reach the threshold or
   * the best so far not finished (vector-bucket.ts). Only in a store that indexes vectors.
   */
  nearestSync(bucket: string, nowMs: number, query: ArrayLike<number>, threshold: number): NearestEntry<V> | undefined {
    const b = this.buckets.get(bucket);
    if (b === undefined) return undefined;
    const q = b.query(query);
    const { nodes, storedAt } = b;
    let best: LruNode<V> | undefined;
    let bestSimilarity = 0;
    for (let i = 0; i < nodes.length; ) {
      // on the packed store time, not the node's entry
      if (expiredAt(this.limits, storedAt[i]!, nowMs)) {
        this.remove(nodes[i]!); // the next node moves into slot i
        continue;
      }
      // a match is at or above the threshold and, to replace the best so far, above it
      const sim = b.similarity(q, i, best === undefined || bestSimilarity < threshold ? threshold : bestSimilarity);
      if (sim >= threshold && (best === undefined || sim > bestSimilarity)) {
        best = nodes[i]!;
        bestSimilarity = sim;
      }
      i++;
    }
    if (best === undefined) return undefined;
    this.unlink(best);
    this.append(best);
    return { key: best.key, entry: best.entry, similarity: bestSimilarity };
  }

  async clear(): Promise<void> {
    this.map.clear();
    this.buckets.clear();
    this.head = this.tail = null;
  }

  get size(): number {
    return this.map.size;
  }

  private expired(e: CacheEntry<V>, nowMs: number): boolean {
    return expiredAt(this.limits, e.storedAtMs, nowMs);
  }

  private append(node: LruNode<V>): void {
    node.prev = this.tail;
    node.next = null;
    if (this.tail !== null) this.tail.next = node;
    else this.head = node;
    this.tail = node;
  }

  private unlink(node: LruNode<V>): void {
    if (node.prev !== null) node.prev.next = node.next;
    else this.head = node.next;
    if (node.next !== null) node.next.prev = node.prev;
    else this.tail = node.prev;
    node.prev = node.next = null;
  }

  private remove(node: LruNode<V>): void {
    this.unlink(node);
    this.map.delete(node.key);
    if (node.bucket !== undefined) this.buckets.get(node.bucket)?.delete(node);
  }
}

/**
 * A Redis store: values as JSON strings under `<ns>:v:<key>`, LRU order in the sorted set
 * `<ns>:lru` (score = a use counter kept in `<ns>:tick`), buckets as sets `<ns>:b:<bucket>`.
 */
export class RedisStore<V> implements CacheStore<V> {
  constructor(
    private readonly redis: Redis,
    private readonly namespace: string,
    private readonly limits: StoreLimits,
  ) {}

  async get(key: string, nowMs: number): Promise<CacheEntry<V> | undefined> {
    const raw = await this.redis.get(this.k(key));
    if (raw === null) return undefined;
    const e = JSON.parse(raw) as CacheEntry<V> & { bucket?: string };
    if (expiredAt(this.limits, e.storedAtMs, nowMs)) {
      await this.remove([key], [e.bucket]);
      return undefined;
    }
    const tick = await this.redis.incr(`${this.namespace}:tick`);
    await this.redis.zadd(`${this.namespace}:lru`, tick, key);
    return { value: e.value, storedAtMs: e.storedAtMs };
  }

  async set(key: string, value: V, nowMs: number, bucket?: string): Promise<number> {
    const tick = await this.redis.incr(`${this.namespace}:tick`);
    const m = this.redis
      .multi()
      .set(this.k(key), JSON.stringify({ value, storedAtMs: nowMs, bucket }))
      .zadd(`${this.namespace}:lru`, tick, key);
    if (bucket !== undefined) m.sadd(`${this.namespace}:b:${bucket}`, key);
    m.zcard(`${this.namespace}:lru`);
    const res = (await m.exec()) ?? [];
    const size = Number(res[res.length - 1]?.[1] ?? 0);
    const over = size - this.limits.capacity;
    if (over <= 0) return 0;
    const popped = (await this.redis.zpopmin(`${this.namespace}:lru`, over)) as string[];
    const victims = popped.filter((_, i) => i % 2 === 0);
    const raws = victims.length > 0 ? await this.redis.mget(...victims.map((v) => this.k(v))) : [];
    const buckets = raws.map((r) => (r === null ? undefined : (JSON.parse(r) as { bucket?: string }).bucket));
    await this.remove(victims, buckets, false);
    return victims.length;
  }

  async scan(bucket: string, nowMs: number): Promise<Array<{ key: string; entry: CacheEntry<V> }>> {
    const keys = await this.redis.smembers(`${this.namespace}:b:${bucket}`);
    if (keys.length === 0) return [];
    keys.sort();
    const raws = await this.redis.mget(...keys.map((k) => this.k(k)));
    const out: Array<{ key: string; entry: CacheEntry<V> }> = [];
    const stale: string[] = [];
    raws.forEach((raw, i) => {
      if (raw === null) return void stale.push(keys[i]!);
      const e = JSON.parse(raw) as CacheEntry<V>;
      if (expiredAt(this.limits, e.storedAtMs, nowMs)) stale.push(keys[i]!);
      else out.push({ key: keys[i]!, entry: { value: e.value, storedAtMs: e.storedAtMs } });
    });
    if (stale.length > 0)
      await this.remove(
        stale,
        stale.map(() => bucket),
      );
    return out;
  }

  async clear(): Promise<void> {
    let cursor = '0';
    do {
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', `${this.namespace.replace(/[*?[\]\\]/g, '\\$&')}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await this.redis.del(...keys);
    } while (cursor !== '0');
  }

  private k(key: string): string {
    return `${this.namespace}:v:${key}`;
  }

  private async remove(keys: string[], buckets: Array<string | undefined>, fromLru = true): Promise<void> {
    const m = this.redis.multi();
    keys.forEach((key, i) => {
      m.del(this.k(key));
      if (fromLru) m.zrem(`${this.namespace}:lru`, key);
      const b = buckets[i];
      if (b !== undefined) m.srem(`${this.namespace}:b:${b}`, key);
    });
    await m.exec();
  }
}
