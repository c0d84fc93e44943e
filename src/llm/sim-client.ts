/**
 * The simulated LLM client: each model is a server with a concurrency cap, a FIFO waiting
 * queue, load-dependent latency, rate limits, injected errors and provider prompt caching,
 * all on the virtual clock and all from the catalog's shared latency, pricing and quality models.
 */
import { getModel, type Catalog, type ModelSpec } from '../provider/catalog.ts';
import { sampleAnswerGaps, sampleDecodeMs, sampleTtftMs } from '../provider/latency.ts';
import { perMinuteLimits, RateLimiter, TOO_LARGE_RETRY_AFTER_MS } from '../provider/limits.ts';
import { callCostUsd } from '../provider/pricing.ts';
import { LayoutPromptCache, type PromptCacheStats } from '../provider/prompt-cache.ts';
import { answerSeed, judgeAnswer } from '../provider/quality.ts';
import { hashString, mix32, Rng } from '../core/random.ts';
import type { Clock } from '../core/clock.ts';
import { Parked, runTask, sleep, type Task } from '../core/task.ts';
import type { FaultsSpec } from '../scenario/schema.ts';
import { failedChat, type ChatCall, type ChatResult, type EmbedCall, type EmbedResult, type LlmClient, type TokenGapSink } from './client.ts';

/** Time a provider takes to refuse a request (429 / 5xx before any token). */
const REFUSAL_MS = 40;

/** A call waiting for a server slot: woken with true when it gets one, false when it gave up first. */
interface SlotWaiter {
  parked: Parked<boolean>;
  settled: boolean;
}

class ModelServer {
  inFlight = 0;
  readonly waiting: SlotWaiter[] = [];
  private waitHead = 0;
  /** The provider's RPM/TPM buckets (the ones mock-llm answers 429 with), when the scenario sets limits. */
  readonly limiter: RateLimiter | undefined;
  /** The provider's prompt cache of this model, when it has one and the run models it. */
  readonly promptCache: LayoutPromptCache | undefined;
  readonly modelHash: number;

  constructor(
    readonly spec: ModelSpec,
    readonly faults: FaultsSpec | undefined,
    promptCaching: boolean,
  ) {
    this.modelHash = hashString(spec.id);
    const pc = spec.promptCaching;
    this.promptCache = promptCaching && pc !== null ? new LayoutPromptCache(pc, pc.ttlS * 1000, spec.pricing) : undefined;
    const limits = perMinuteLimits(faults);
    this.limiter = limits === undefined ? undefined : new RateLimiter(spec.id, limits, 0);
  }

  /**
   * Hands the caller's slot straight to the next waiter still waiting, or frees it. Under
   * `startTask` the waiter runs at once, inside this call, up to its `sleep` (its slot taken, its
   * latency drawn): the order it always ran in, since the caller does nothing shared after `release()`.
   */
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
      w.parked.wake(true);
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

  constructor(private readonly options: SimClientOptions) {}

  /** Receives a weighted sample of every answer's inter-token gaps. */
  observeTokenGaps(sink: TokenGapSink): void {
    this.tokenGaps = sink;
  }

  private server(model: string): ModelServer {
    let s = this.servers.get(model);
    if (s === undefined) {
      s = new ModelServer(getModel(this.options.catalog, model), ownFaults(this.options.faults, model), this.options.promptCaching);
      this.servers.set(model, s);
    }
    return s;
  }

  /** Requests running on each model's server now. */
  inFlight(model: string): number {
    return this.servers.get(model)?.inFlight ?? 0;
  }

  chat(call: ChatCall): Promise<ChatResult> {
    return runTask(this.options.clock, this.chatTask(call));
  }

  *chatTask(call: ChatCall): Task<ChatResult> {
    const { clock } = this.options;
    const server = this.server(call.model);
    const spec = server.spec;
    const rng = callRng(call, server);
    const start = clock.now();
    if (call.inputTokens + call.outputTokens > spec.contextWindow) return this.refused(call, 'context_length', start);
    // as mock-llm counts a request against TPM: its prompt plus the output it asks for
    const wait = server.limiter === undefined ? 0 : server.limiter.tryTake(call.inputTokens + call.outputTokens, start);
    if (wait > 0) {
      yield sleep(REFUSAL_MS);
      return this.refused(call, 'rate_limited', start, Number.isFinite(wait) ? wait : TOO_LARGE_RETRY_AFTER_MS);
    }
    const errorRate = server.faults?.errorRate ?? 0;
    if (errorRate > 0 && rng.next() < errorRate) {
      yield sleep(REFUSAL_MS);
      return this.refused(call, 'server_error', start);
    }
    const cachedInputTokens = this.providerCache(server, call, start);
    const judgement = judgeAnswer(spec.capability, call.difficulty, answerSeed(call.stepSeed, call.model));
    // wait for a slot on the model's server (a timeout also bounds the time spent queued)
    const timeout = call.timeoutMs;
    if (server.inFlight >= spec.latency.concurrencyCap) {
      if ((yield this.queue(server, timeout === undefined ? undefined : start + timeout)) !== true) return this.refused(call, 'timeout', start);
    } else {
      server.inFlight++;
    }
    const admitted = clock.now();
    const ttft = sampleTtftMs(spec.latency, call.inputTokens - cachedInputTokens, server.inFlight, rng);
    // every billed output token is generated at the model's pace, a tool call's too (mock-llm
    // sends its deltas at their tokens' positions); a tool call has no content, so no content gaps
    const decode = sampleDecodeMs(spec.latency, call.outputTokens, server.inFlight, rng);
    const timedOut = timeout !== undefined && admitted - start + ttft + decode > timeout;
    if (!timedOut && this.tokenGaps !== undefined && call.tools?.answersWithCall !== true)
      sampleAnswerGaps(this.tokenGaps, spec.latency, call.outputTokens, decode, server.inFlight, rng.next() * 0x1_0000_0000);
    yield sleep(timedOut ? Math.max(0, timeout - (admitted - start)) : ttft + decode);
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

  /** A place in the server's FIFO queue: woken with true with a slot, or false at `giveUpAtMs` without one. */
  private queue(server: ModelServer, giveUpAtMs: number | undefined): Parked<boolean> {
    const clock = this.options.clock;
    const waiter: SlotWaiter = { parked: new Parked<boolean>(), settled: false };
    server.waiting.push(waiter);
    if (giveUpAtMs !== undefined) {
      clock.schedule(giveUpAtMs, () => {
        if (waiter.settled) return;
        waiter.settled = true;
        waiter.parked.wake(false);
      });
    }
    return waiter.parked;
  }

  private refused(call: ChatCall, outcome: ChatResult['outcome'], start: number, retryAfterMs?: number): ChatResult {
    return failedChat(call, outcome, this.options.clock.now() - start, retryAfterMs);
  }

  embed(call: EmbedCall): Promise<EmbedResult> {
    return runTask(this.options.clock, this.embedTask(call));
  }

  *embedTask(call: EmbedCall): Task<EmbedResult> {
    const { clock } = this.options;
    const server = this.server(call.model);
    const spec = server.spec;
    const rng = callRng(call, server);
    const start = clock.now();
    if (server.inFlight >= spec.latency.concurrencyCap) yield this.queue(server, undefined);
    else server.inFlight++;
    yield sleep(sampleTtftMs(spec.latency, call.inputTokens, server.inFlight, rng));
    server.release();
    return {
      outcome: 'ok',
      model: call.model,
      inputTokens: call.inputTokens,
      costUsd: callCostUsd(spec.pricing, { inputTokens: call.inputTokens, cachedInputTokens: 0, outputTokens: 0 }),
      latencyMs: clock.now() - start,
    };
  }

  /** The provider's automatic prompt caching (src/provider/prompt-cache.ts): tokens served from it. */
  private providerCache(server: ModelServer, call: ChatCall, now: number): number {
    const cache = server.promptCache;
    if (cache === undefined || call.inputTokens < cache.minPrefixTokens) return 0;
    if (cache.stats.lookups === 0) this.promptCache.set(call.model, cache.stats);
    return cache.lookup(call, now);
  }
}

/** A model's fault spec: only the scenario's own entry (a model may be named like an Object.prototype property). */
function ownFaults(faults: SimClientOptions['faults'], model: string): FaultsSpec | undefined {
  return faults !== undefined && Object.hasOwn(faults, model) ? faults[model] : undefined;
}
