/**
 * The provider's automatic prompt caching, as OpenAI documents it: a prompt whose first
 * `minPrefixTokens` (then every further 128 tokens) match a prompt seen within the TTL has that
 * prefix billed at the cached price and skipped by prefill.
 */
import type { PromptCachingSpec } from './catalog.ts';

/** OpenAI caches in steps of this many tokens beyond the minimum prefix. */
const PREFIX_STEP_TOKENS = 128;
const MAX_ENTRIES = 200_000;

/** Prefix hashes of recent prompts of one model, with their expiry. */
export class PromptCache {
  private readonly expiries = new Map<number, number>();

  constructor(
    private readonly spec: PromptCachingSpec,
    /** TTL in wall milliseconds (already divided by the time scale). */
    private readonly ttlMs: number,
  ) {}

  /** Prompts shorter than this are never cached: `lookup` returns 0 and records nothing. */
  get minPrefixTokens(): number {
    return this.spec.minPrefixTokens;
  }

  /**
   * Tokens of this prompt served from the cache; records the prompt's prefixes for later calls.
   * The prompt is the concatenation of `parts` (each message's ids, then the reply primer), read
   * in place: a long prompt is not copied into one array first.
   */
  lookup(parts: readonly ArrayLike<number>[], nowMs: number): number {
    const min = this.spec.minPrefixTokens;
    let total = 0;
    for (const p of parts) total += p.length;
    if (total < min) return 0;
    let h1 = 0x811c9dc5;
    let h2 = 0x9e3779b9;
    let cached = 0;
    let boundary = min;
    let seen = 0;
    for (const part of parts) {
      for (let j = 0; j < part.length; j++) {
        const t = part[j]!;
        h1 = Math.imul(h1 ^ t, 0x01000193);
        h2 = Math.imul(h2 ^ t, 0x5bd1e995) ^ (h2 >>> 15);
        if (++seen === boundary) {
          const key = (h1 >>> 0) * 2097152 + (h2 >>> 11);
          const expiry = this.expiries.get(key);
          if (expiry !== undefined && expiry > nowMs) cached = boundary;
          this.expiries.delete(key);
          this.expiries.set(key, nowMs + this.ttlMs);
          boundary += PREFIX_STEP_TOKENS;
        }
      }
    }
    while (this.expiries.size > MAX_ENTRIES) this.expiries.delete(this.expiries.keys().next().value!);
    return cached;
  }

  /**
   * Anthropic's explicit caching (a `cache_control` breakpoint): true when exactly this prefix
   * (all of `parts`) was written within the TTL. Either way the prefix is (re)written, so its
   * TTL restarts, as a cache read refreshes it.
   */
  readPrefix(parts: readonly ArrayLike<number>[], nowMs: number): boolean {
    let h1 = 0x811c9dc5;
    let h2 = 0x9e3779b9;
    for (const part of parts) {
      for (let j = 0; j < part.length; j++) {
        const t = part[j]!;
        h1 = Math.imul(h1 ^ t, 0x01000193);
        h2 = Math.imul(h2 ^ t, 0x5bd1e995) ^ (h2 >>> 15);
      }
    }
    const key = -((h1 >>> 0) * 2097152 + (h2 >>> 11)) - 1; // negative: apart from the automatic prefixes' keys
    const expiry = this.expiries.get(key);
    this.expiries.delete(key);
    this.expiries.set(key, nowMs + this.ttlMs);
    while (this.expiries.size > MAX_ENTRIES) this.expiries.delete(this.expiries.keys().next().value!);
    return expiry !== undefined && expiry > nowMs;
  }
}
