/**
 * The simulated LLM client: each model is a server with a concurrency cap, a FIFO waiting
 * queue, load-dependent latency, rate limits, injected errors and provider prompt caching,
 * all on the virtual clock and all from the catalog's shared latency, pricing and quality models.
 */
import { getModel, type Catalog, type ModelSpec } from '../provider/catalog.ts';
import { sampleDecodeMs, sampleGapMs, sampleTtftMs } from '../provider/latency.ts';
import { callCostUsd } from '../provider/pricing.ts';
import type { PromptCacheStats } from '../provider/prompt-cache.ts';
import { answerSeed, judgeAnswer } from '../provider/quality.ts';
import { hashString, mix32, Rng } from '../core/random.ts';
import type { Clock, Signal } from '../core/clock.ts';
import type { FaultsSpec } from '../scenario/schema.ts';
import { promptLayout } from './prompt-layout.ts';
import { failedChat, type ChatCall, type ChatResult, type EmbedCall, type EmbedResult, type LlmClient, type TokenGapSink } from './client.ts';

/** Time a provider takes to refuse a request (429 / 5xx before any token). */
const REFUSAL_MS = 40;
const MINUTE_MS = 60_000;
/**
 * The id of the traced prefix block holding the user content's token `intoUser − 1` (so the id
 * names the whole prefix up to `intoUser`), or undefined when the call has no blocks there.
 */
function blockAt(call: ChatCall, intoUser: number): number | undefined {
  const p = call.prefixBlocks;
  if (p === undefined || intoUser <= 0) return undefined;
  return p.ids[Math.floor((intoUser - 1) / p.blockTokens)];
}

/** Providers cache prompt prefixes in steps of this many tokens past the minimum. */
const PROMPT_CACHE_STEP_TOKENS = 128;

/** Inter-token gaps drawn per answer for the ITL distribution, each standing for its share of the answer's gaps. */
const ITL_SAMPLES_PER_CALL = 8;

/** A call waiting for a server slot: woken with true when it gets one, false when it gave up first. */
interface SlotWaiter {
  signal: Signal<boolean>;
  settled: boolean;
}

/** Expiries of cached prefixes, by how far they reach into the prompt. */
interface PrefixExpiries {
  /** Boundaries within the system message and the user header: the same for every request of the step. */
  shared: number[];
  /** Boundaries within the user's text: the same for the same wording. */
  byWording: Map<number, WordingExpiries>;
  /** Boundaries within a traced prompt's prefix block: the same for the same block id (ids are chained). */
  byBlock: Map<number, number[]>;
}

/** The cached prefixes of one wording: boundaries within its text, and whole prompts of each length. */
interface WordingExpiries {
  /** Expiry of each boundary within the user's text, by boundary index. */
  text: number[];
  /** Where the user's text ends, for each whole prompt seen, and that prompt's expiry. */
  ends: number[];
  endExpiries: number[];
}

class ModelServer {
  inFlight = 0;
  readonly waiting: SlotWaiter[] = [];
  private waitHead = 0;
  /** Start times of requests in the current rate-limit window (a ring, oldest first). */
  private readonly windowTimes: number[] = [];
  private readonly windowTokens: number[] = [];
  private windowHead = 0;
  private windowTokenSum = 0;
  /** Provider prompt cache: per step and system-message length, expiries (scenario ms) of each 128-token boundary. */
  private readonly prefixTable = new Map<string, Map<number, PrefixExpiries>>();
  /** This model's prompt-cache statistics (also in the client's `promptCache` map, once it has some). */
  promptStats: PromptCacheStats | undefined;
  readonly modelHash: number;

  constructor(
    readonly spec: ModelSpec,
    readonly faults: FaultsSpec | undefined,
  ) {
    this.modelHash = hashString(spec.id);
  }

  /** The prompt-cache expiries of one step's prompts with a system message of `systemTokens`. */
  prefixes(step: string, systemTokens: number): PrefixExpiries {
    let bySystem = this.prefixTable.get(step);
    if (bySystem === undefined) this.prefixTable.set(step, (bySystem = new Map()));
    let p = bySystem.get(systemTokens);
    if (p === undefined) bySystem.set(systemTokens, (p = { shared: [], byWording: new Map(), byBlock: new Map() }));
    return p;
  }

  /** Admits a request against RPM/TPM; false = rate limited. */
  admit(now: number, tokens: number): boolean {
    const f = this.faults;
    if (f === undefined || (f.requestsPerMinute === undefined && f.tokensPerMinute === undefined)) return true;
    while (this.windowHead < this.windowTimes.length && this.windowTimes[this.windowHead]! <= now - MINUTE_MS) {
      this.windowTokenSum -= this.windowTokens[this.windowHead]!;
      this.windowHead++;
    }
    if (this.windowHead > 4096) {
      this.windowTimes.splice(0, this.windowHead);
      this.windowTokens.splice(0, this.windowHead);
      this.windowHead = 0;
    }
    const count = this.windowTimes.length - this.windowHead;
    if (f.requestsPerMinute !== undefined && count + 1 > f.requestsPerMinute) return false;
    if (f.tokensPerMinute !== undefined && this.windowTokenSum + tokens > f.tokensPerMinute) return false;
    this.windowTimes.push(now);
    this.windowTokens.push(tokens);
    this.windowTokenSum += tokens;
    return true;
  }

  /** Ms until the oldest request leaves the rate window. */
  retryAfterMs(now: number): number {
    const oldest = this.windowTimes[this.windowHead];
    return oldest === undefined ? 1000 : Math.max(1, oldest + MINUTE_MS - now);
  }

  /** Hands the caller's slot straight to the next waiter still waiting, or frees it. */
  release(): void {
    for (;;) {
      if (this.waitHead >= this.waiting.length) {
        this.inFlight--;
        return;
      }
      const w = this.waiting[this.waitHead++]!;
      if (this.waitHead > 1024 && this.waitHead * 2 > this.waiting.length) {
        this.waiting.splice(0, this.waitHead);
        this.waitHead = 0;
      }
      if (w.settled) continue; // gave up (timed out) while queued
      w.settled = true;
      w.signal.wake(true);
      return;
    }
  }
}

/** The generator of one call's draws: fixed by the request's seed, the call's index and the model. */
function callRng(call: { jobSeed: number; callIndex: number }, server: ModelServer): Rng {
  return new Rng(mix32(call.jobSeed ^ mix32(call.callIndex * 0x9e3779b1 + server.modelHash)));
}

/** Options of the simulated client. */
export interface SimClientOptions {
  catalog: Catalog;
  clock: Clock;
  faults?: Record<string, FaultsSpec>;
  /** Whether providers' prompt caching applies. */
  promptCaching: boolean;
}

/** An `LlmClient` on the virtual clock. */
export class SimLlmClient implements LlmClient {
  private readonly servers = new Map<string, ModelServer>();
  readonly promptCache = new Map<string, PromptCacheStats>();
  private tokenGaps: TokenGapSink | undefined;
  private readonly gapScratch = new Float64Array(ITL_SAMPLES_PER_CALL);

  constructor(private readonly options: SimClientOptions) {}

  /** Receives a weighted sample of every answer's inter-token gaps. */
  observeTokenGaps(sink: TokenGapSink): void {
    this.tokenGaps = sink;
  }

  /**
   * The answer's inter-token gaps for the ITL distribution, without a draw per token: a few gaps
   * drawn from the mock's own per-token model (`sampleGapMs`, same load), rescaled so their mean
   * is this answer's decode time ÷ its gaps (so ITL's mean agrees with TPOT, as it does live),
   * each recorded with the weight of the gaps it stands for. A generator of its own, so the
   * call's other draws (and every simulated figure before ITL existed) stay the same.
   */
  private sampleTokenGaps(sink: TokenGapSink, spec: ModelSpec, call: ChatCall, decodeMs: number, inFlight: number, seed: number): void {
    const gaps = call.outputTokens - 1;
    if (gaps <= 0) return;
    const k = Math.min(gaps, ITL_SAMPLES_PER_CALL);
    const rng = new Rng(mix32(seed ^ 0x17a5_0001));
    const drawn = this.gapScratch;
    let sum = 0;
    for (let i = 0; i < k; i++) sum += drawn[i] = sampleGapMs(spec.latency, inFlight, rng);
    const scale = sum > 0 ? decodeMs / gaps / (sum / k) : 0;
    const each = Math.floor(gaps / k);
    for (let i = 0; i < k; i++) sink(drawn[i]! * scale, each + (i < gaps - each * k ? 1 : 0));
  }

  private server(model: string): ModelServer {
    let s = this.servers.get(model);
    if (s === undefined) {
      s = new ModelServer(getModel(this.options.catalog, model), ownFaults(this.options.faults, model));
      this.servers.set(model, s);
    }
    return s;
  }

  /** Requests running on each model's server now. */
  inFlight(model: string): number {
    return this.servers.get(model)?.inFlight ?? 0;
  }

  async chat(call: ChatCall): Promise<ChatResult> {
    const { clock } = this.options;
    const server = this.server(call.model);
    const spec = server.spec;
    const rng = callRng(call, server);
    const start = clock.now();
    if (call.inputTokens + call.outputTokens > spec.contextWindow) return this.refused(call, 'context_length', start);
    if (!server.admit(start, call.inputTokens + call.outputTokens)) {
      await clock.sleep(REFUSAL_MS);
      return this.refused(call, 'rate_limited', start, server.retryAfterMs(clock.now()));
    }
    const errorRate = server.faults?.errorRate ?? 0;
    if (errorRate > 0 && rng.next() < errorRate) {
      await clock.sleep(REFUSAL_MS);
      return this.refused(call, 'server_error', start);
    }
    const cachedInputTokens = this.providerCache(server, call, start);
    const judgement = judgeAnswer(spec.capability, call.difficulty, answerSeed(call.stepSeed, call.model));
    // wait for a slot on the model's server (a timeout also bounds the time spent queued)
    const timeout = call.timeoutMs;
    if (server.inFlight >= spec.latency.concurrencyCap) {
      if (!(await this.queue(server, timeout === undefined ? undefined : start + timeout))) return this.refused(call, 'timeout', start);
    } else {
      server.inFlight++;
    }
    const admitted = clock.now();
    const ttft = sampleTtftMs(spec.latency, call.inputTokens - cachedInputTokens, server.inFlight, rng);
    const decode = sampleDecodeMs(spec.latency, call.outputTokens, server.inFlight, rng);
    const timedOut = timeout !== undefined && admitted - start + ttft + decode > timeout;
    if (!timedOut && this.tokenGaps !== undefined) this.sampleTokenGaps(this.tokenGaps, spec, call, decode, server.inFlight, rng.next() * 0x1_0000_0000);
    await clock.sleep(timedOut ? Math.max(0, timeout - (admitted - start)) : ttft + decode);
    server.release();
    if (timedOut) return this.refused(call, 'timeout', start);
    return {
      outcome: 'ok',
      model: call.model,
      inputTokens: call.inputTokens,
      cachedInputTokens,
      outputTokens: call.outputTokens,
      costUsd: callCostUsd(spec.pricing, { inputTokens: call.inputTokens, cachedInputTokens, outputTokens: call.outputTokens }),
      latencyMs: clock.now() - start,
      ttftMs: admitted - start + ttft,
      correct: judgement.correct,
      confidence: judgement.confidence,
    };
  }

  /** Waits in the server's FIFO queue; resolves true with a slot, or false at `giveUpAtMs` without one. */
  private queue(server: ModelServer, giveUpAtMs: number | undefined): Promise<boolean> {
    const clock = this.options.clock;
    const waiter: SlotWaiter = { signal: clock.signal<boolean>(), settled: false };
    server.waiting.push(waiter);
    if (giveUpAtMs !== undefined) {
      clock.schedule(giveUpAtMs, () => {
        if (waiter.settled) return;
        waiter.settled = true;
        waiter.signal.wake(false);
      });
    }
    return waiter.signal.wait;
  }

  private refused(call: ChatCall, outcome: ChatResult['outcome'], start: number, retryAfterMs?: number): ChatResult {
    return failedChat(call, outcome, this.options.clock.now() - start, retryAfterMs);
  }

  async embed(call: EmbedCall): Promise<EmbedResult> {
    const { clock } = this.options;
    const server = this.server(call.model);
    const spec = server.spec;
    const rng = callRng(call, server);
    const start = clock.now();
    if (server.inFlight >= spec.latency.concurrencyCap) await this.queue(server, undefined);
    else server.inFlight++;
    await clock.sleep(sampleTtftMs(spec.latency, call.inputTokens, server.inFlight, rng));
    server.release();
    return {
      outcome: 'ok',
      model: call.model,
      inputTokens: call.inputTokens,
      costUsd: callCostUsd(spec.pricing, { inputTokens: call.inputTokens, cachedInputTokens: 0, outputTokens: 0 }),
      latencyMs: clock.now() - start,
    };
  }

  /**
   * The provider's automatic prompt caching, as mock-llm (and OpenAI) do it: every prefix length
   * from the minimum on, in 128-token steps, is remembered for the TTL; the longest one seen
   * before is billed at the cached price and skips prefill. Prefixes are compared through the
   * prompt's layout: the step's system message is the same for every request of the step, the
   * user's content is the same for the same prompt wording.
   */
  private providerCache(server: ModelServer, call: ChatCall, now: number): number {
    const pc = server.spec.promptCaching;
    if (!this.options.promptCaching || pc === null || call.inputTokens < pc.minPrefixTokens) return 0;
    let stats = server.promptStats;
    if (stats === undefined) this.promptCache.set(call.model, (stats = server.promptStats = { lookups: 0, hits: 0, cachedTokens: 0, savedUsd: 0 }));
    stats.lookups++;
    const layout = promptLayout(call.prefixTokens, call.inputTokens);
    const expires = now + pc.ttlS * 1000;
    const input = call.inputTokens;
    // Each boundary b = min + 128·k is a prefix whose identity depends on how far it reaches:
    // into the system message and the user header (shared by the step), into the user's text
    // (shared by the wording), or past it (the whole prompt, so its length too). One expiry list
    // per identity, indexed by k, rather than one map entry per boundary: the hot path stays cheap.
    const prefixes = server.prefixes(call.step, layout.systemTokens);
    let cached = 0;
    let k = 0;
    let b = pc.minPrefixTokens;
    for (; b <= input && b <= layout.userContentStart; k++, b += PROMPT_CACHE_STEP_TOKENS) {
      if (touch(prefixes.shared, k, now, expires)) cached = b;
    }
    const wordingId = call.wordingId ?? -1 - call.jobId;
    let wording: WordingExpiries | undefined;
    for (; b <= input; k++, b += PROMPT_CACHE_STEP_TOKENS) {
      const block = blockAt(call, b - layout.userContentStart);
      if (block !== undefined) {
        const list = prefixes.byBlock.get(block) ?? [];
        prefixes.byBlock.set(block, list);
        if (touch(list, k, now, expires)) cached = b;
        continue;
      }
      if (wording === undefined) {
        wording = prefixes.byWording.get(wordingId);
        if (wording === undefined) prefixes.byWording.set(wordingId, (wording = { text: [], ends: [], endExpiries: [] }));
      }
      if (b <= layout.userContentEnd) {
        if (touch(wording.text, k, now, expires)) cached = b;
      } else {
        // past the user's text: the whole prompt, one expiry per length of the text
        const at = wording.ends.indexOf(layout.userContentEnd);
        if (at < 0) {
          wording.ends.push(layout.userContentEnd);
          wording.endExpiries.push(expires);
        } else if (touch(wording.endExpiries, at, now, expires)) cached = b;
      }
    }
    if (cached === 0) return 0;
    stats.hits++;
    stats.cachedTokens += cached;
    stats.savedUsd += (cached * (server.spec.pricing.inputPer1M - server.spec.pricing.cachedInputPer1M)) / 1_000_000;
    return cached;
  }
}

/** Whether a cached prefix's expiry in `list[slot]` is still ahead of `now`; it is renewed to `expires` either way. */
function touch(list: number[], slot: number, now: number, expires: number): boolean {
  const hit = slot < list.length && list[slot]! > now;
  while (list.length < slot) list.push(0);
  list[slot] = expires;
  return hit;
}

/** A model's fault spec: only the scenario's own entry (a model may be named like an Object.prototype property). */
function ownFaults(faults: SimClientOptions['faults'], model: string): FaultsSpec | undefined {
  return faults !== undefined && Object.hasOwn(faults, model) ? faults[model] : undefined;
}
