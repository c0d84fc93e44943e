/**
 * The provider's automatic prompt caching, as OpenAI documents it: a prompt whose first
 * `minPrefixTokens` (then every further 128 tokens) match a prompt seen within the TTL has that
 * prefix billed at the cached price and skipped by prefill. Every use of a prefix restarts its TTL.
 *
 * One rule (`PrefixRule`), two ways to tell prefixes apart: mock-llm hashes the prompt's token ids
 * (`PromptCache`: it sees real text from any client); the simulator, which has no text, names a
 * prefix by where it reaches in the prompt's layout (`LayoutPromptCache`: the step's system
 * message, the user's wording, a traced prefix block). For the prompts the live client writes the
 * two give the same cached tokens, call for call (tested).
 */
import type { ModelPricing, PromptCachingSpec } from './catalog.ts';
import { promptLayout } from './prompt-layout.ts';

/** OpenAI caches in steps of this many tokens beyond the minimum prefix. */
const PREFIX_STEP_TOKENS = 128;
const MAX_ENTRIES = 200_000;

/** Which prefix lengths are cached and for how long: shared by both ways of telling prefixes apart. */
abstract class PrefixRule {
  constructor(
    protected readonly spec: PromptCachingSpec,
    /** TTL in the caller's milliseconds (mock-llm: wall ms, already divided by its time scale). */
    protected readonly ttlMs: number,
  ) {}

  /** Prompts shorter than this are never cached: a lookup returns 0 and records nothing. */
  get minPrefixTokens(): number {
    return this.spec.minPrefixTokens;
  }

  /** Whether a prefix whose expiry is `expiry` (undefined: never seen) is still cached at `nowMs`. */
  protected static live(expiry: number | undefined, nowMs: number): boolean {
    return expiry !== undefined && expiry > nowMs;
  }
}

/** Provider prompt-cache accounting, per model. */
export interface PromptCacheStats {
  lookups: number;
  hits: number;
  cachedTokens: number;
  savedUsd: number;
}

/** Prefix hashes of recent prompts of one model, with their expiry (mock-llm's cache). */
export class PromptCache extends PrefixRule {
  private readonly expiries = new Map<number, number>();

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
          if (PrefixRule.live(this.expiries.get(key), nowMs)) cached = boundary;
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
    return PrefixRule.live(expiry, nowMs);
  }
}

/** What the simulator knows of a prompt (a `ChatCall` has it): its length, its step's system message, its wording. */
export interface PromptShape {
  step: string;
  /** The step's system message, in tokens (the same for every request of the step). */
  prefixTokens: number;
  inputTokens: number;
  /** Equal ids mean equal user text; without one, the request's text is its own. */
  wordingId?: number;
  jobId: number;
  /** A traced prompt's prefix blocks: equal leading ids mean an equal prefix. */
  prefixBlocks?: { ids: Int32Array; blockTokens: number };
}

/** Expiries of cached prefixes, by how far they reach into the prompt. */
interface PrefixExpiries {
  /** Boundaries within the system message and the user header: the same for every request of the step. */
  shared: number[];
  /** Boundaries within the user's text: the same for the same wording (`wordingList`). */
  byWording: Map<number, Map<number, number[]>>;
  /** A boundary past the user's text: the same for the same wording and length. */
  whole: Map<number, Map<number, number[]>>;
  /** Boundaries within a traced prompt's prefix block: the same for the same block id (ids are chained). */
  byBlock: Map<number, number[]>;
}

/**
 * The id of the traced prefix block holding the user content's token `intoUser − 1` (so the id
 * names the whole prefix up to `intoUser`), or undefined when the prompt has no blocks there.
 */
function blockAt(prompt: PromptShape, intoUser: number): number | undefined {
  const p = prompt.prefixBlocks;
  if (p === undefined || intoUser <= 0) return undefined;
  return p.ids[Math.floor((intoUser - 1) / p.blockTokens)];
}

/** Whether a cached prefix's expiry in `list[slot]` is still ahead of `now` (the rule's `live`); renewed to `expires` either way. */
function touch(list: number[], slot: number, now: number, expires: number): boolean {
  const hit = slot < list.length && list[slot]! > now;
  while (list.length < slot) list.push(0);
  list[slot] = expires;
  return hit;
}

/** The expiry list of `key`, created empty on first use. */
function listOf(lists: Map<number, number[]>, key: number): number[] {
  let list = lists.get(key);
  if (list === undefined) lists.set(key, (list = []));
  return list;
}

const TWO_30 = 2 ** 30;

/**
 * The list of wording `id` (an integer), created on first use: under the id's high part, then
 * its low 30 bits. Wording ids reach 2⁴⁰ and more (the task kind sits at 2⁴⁰); two maps keyed
 * by small integers are faster than one keyed by large numbers (V8 boxes those and compares
 * them by value).
 */
function wordingList(byWording: Map<number, Map<number, number[]>>, id: number): number[] {
  const hi = Math.floor(id / TWO_30);
  let lists = byWording.get(hi);
  if (lists === undefined) byWording.set(hi, (lists = new Map()));
  return listOf(lists, id - hi * TWO_30);
}

/** The whole-prompt lists of one wording, by prompt length, created on first use. */
function tailsOf(whole: Map<number, Map<number, number[]>>, wording: number): Map<number, number[]> {
  let tails = whole.get(wording);
  if (tails === undefined) whole.set(wording, (tails = new Map()));
  return tails;
}

/**
 * The simulator's prompt cache of one model, with its accounting. Prefixes are compared through
 * the prompt's layout: the step's system message is the same for every request of the step, the
 * user's content is the same for the same wording. One expiry list per identity, indexed by
 * boundary, rather than one map entry per boundary: the simulator's hot path stays cheap.
 */
export class LayoutPromptCache extends PrefixRule {
  /** Per step and system-message length, expiries (scenario ms) of each boundary. */
  private readonly table = new Map<string, Map<number, PrefixExpiries>>();
  /** The last `prefixes` answer (calls of one step come in runs): its step, system length and expiries. */
  private lastStep = '';
  private lastSystemTokens = -1;
  private lastPrefixes: PrefixExpiries | undefined;
  readonly stats: PromptCacheStats = { lookups: 0, hits: 0, cachedTokens: 0, savedUsd: 0 };

  constructor(
    spec: PromptCachingSpec,
    ttlMs: number,
    private readonly pricing: ModelPricing,
  ) {
    super(spec, ttlMs);
  }

  private prefixes(step: string, systemTokens: number): PrefixExpiries {
    if (step === this.lastStep && systemTokens === this.lastSystemTokens) return this.lastPrefixes!;
    let bySystem = this.table.get(step);
    if (bySystem === undefined) this.table.set(step, (bySystem = new Map()));
    let p = bySystem.get(systemTokens);
    if (p === undefined) bySystem.set(systemTokens, (p = { shared: [], byWording: new Map(), whole: new Map(), byBlock: new Map() }));
    this.lastStep = step;
    this.lastSystemTokens = systemTokens;
    return (this.lastPrefixes = p);
  }

  /** Tokens of this prompt served from the cache (0 below the minimum, then not counted); records its prefixes. */
  lookup(prompt: PromptShape, nowMs: number): number {
    if (prompt.inputTokens < this.spec.minPrefixTokens) return 0;
    const stats = this.stats;
    stats.lookups++;
    const layout = promptLayout(prompt.prefixTokens, prompt.inputTokens);
    const expires = nowMs + this.ttlMs;
    const input = prompt.inputTokens;
    // Each boundary b = min + 128·k is a prefix whose identity depends on how far it reaches:
    // into the system message and the user header (shared by the step), into the user's text
    // (shared by the wording), or past it (the whole prompt, so its length too).
    const prefixes = this.prefixes(prompt.step, layout.systemTokens);
    let cached = 0;
    let k = 0;
    let b = this.spec.minPrefixTokens;
    for (; b <= input && b <= layout.userContentStart; k++, b += PREFIX_STEP_TOKENS) {
      if (touch(prefixes.shared, k, nowMs, expires)) cached = b;
    }
    const wording = prompt.wordingId ?? -1 - prompt.jobId;
    // each list is looked up (and created) once per lookup, not once per boundary
    let wordingExpiries: number[] | undefined;
    let tailList: number[] | undefined;
    let lastBlock: number | undefined;
    let blockList: number[] = [];
    if (prompt.prefixBlocks === undefined) {
      // no traced blocks: the boundaries up to the end of the user's text are all the wording's, in one run
      const end = Math.min(input, layout.userContentEnd);
      if (b <= end) {
        const list = (wordingExpiries = wordingList(prefixes.byWording, wording));
        for (; b <= end; k++, b += PREFIX_STEP_TOKENS) if (touch(list, k, nowMs, expires)) cached = b;
      }
    }
    for (; b <= input; k++, b += PREFIX_STEP_TOKENS) {
      let list: number[];
      let slot = k;
      const block = blockAt(prompt, b - layout.userContentStart);
      if (block !== undefined) {
        if (block !== lastBlock) blockList = listOf(prefixes.byBlock, (lastBlock = block));
        list = blockList;
      } else if (b <= layout.userContentEnd) {
        list = wordingExpiries ??= wordingList(prefixes.byWording, wording);
      } else {
        list = tailList ??= listOf(tailsOf(prefixes.whole, wording), layout.userContentEnd);
        slot = 0;
      }
      if (touch(list, slot, nowMs, expires)) cached = b;
    }
    if (cached === 0) return 0;
    stats.hits++;
    stats.cachedTokens += cached;
    stats.savedUsd += (cached * (this.pricing.inputPer1M - this.pricing.cachedInputPer1M)) / 1_000_000;
    return cached;
  }
}
