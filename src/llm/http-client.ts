/**
 * The live LLM client: real OpenAI-format HTTP calls (streamed chat completions, embeddings) to
 * mock-llm or any OpenAI-compatible endpoint. It satisfies the same `LlmClient` contract as the
 * simulated client, measures TTFT and latency on the run's clock, and prices usage with the
 * catalog. Against mock-llm it asks for the simulated output length and passes the difficulty,
 * and reads the mock's correctness verdict; other endpoints answer as they will.
 *
 * The wire work (building the prompt text, HTTP, SSE parsing, token timestamps) is the
 * transport's (`http-transport.ts`): in this thread by default, or on a send thread of its own
 * (live mode), so that sends keep time whatever the agent and strategy code is doing.
 */
import { getModel, type Catalog } from '../provider/catalog.ts';
import { callCostUsd } from '../provider/pricing.ts';
import { answerSeed } from '../provider/quality.ts';
import type { Clock } from '../core/clock.ts';
import { failedChat, type ChatCall, type ChatResult, type EmbedCall, type EmbedResult, type LlmClient, type TokenGapSink } from './client.ts';
import { type ChatFacts, type ChatWire, epochNow, type HttpTransport, UndiciTransport } from './http-transport.ts';

/** Options of the HTTP client. */
export interface HttpClientOptions {
  /** Base URL of the API, with `/v1` (e.g. http://127.0.0.1:8787/v1). */
  baseUrl: string;
  /** Sent as a bearer token; read from the environment by the caller, never written anywhere. */
  apiKey?: string;
  catalog: Catalog;
  clock: Clock;
  /** The clock's speed-up: wall-clock waits (timeouts, Retry-After) convert with it. @default 1 */
  timeScale?: number;
  /** Maps the scenario's model ids to the endpoint's (default: the same). */
  modelMap?: Record<string, string>;
  /** Who sends the requests (default: undici in this thread, to `baseUrl`). */
  transport?: HttpTransport;
}

/**
 * Told when each call went on the wire: the call's job and how long after it was due (when
 * `chat`/`embed` was called, or the job's arrival time for a first call made ahead of it) the
 * transport handed it to a connection (scenario ms).
 */
export type DispatchSink = (jobId: number, dispatchLagMs: number) => void;

/** An `LlmClient` over HTTP. */
export class HttpLlmClient implements LlmClient {
  private tokenGaps: TokenGapSink | undefined;
  private dispatches: DispatchSink | undefined;
  /** Run-clock time before which a job's first call must not go out, by job id (see `holdFirstCall`). */
  private readonly firstCallDue = new Map<number, number>();
  private readonly transport: HttpTransport;
  private readonly timeScale: number;

  constructor(private readonly options: HttpClientOptions) {
    this.transport =
      options.transport ?? new UndiciTransport(options.apiKey ? { baseUrl: options.baseUrl, apiKey: options.apiKey } : { baseUrl: options.baseUrl });
    this.timeScale = options.timeScale ?? 1;
  }

  /** Receives the gap before every content token after a stream's first (inter-token latency). */
  observeTokenGaps(sink: TokenGapSink): void {
    this.tokenGaps = sink;
  }

  /** Receives every call's dispatch lag (live mode's send-lag measurement). */
  observeDispatches(sink: DispatchSink): void {
    this.dispatches = sink;
  }

  /**
   * The job's first call, if made before `atMs` (run clock), is held until then by the transport;
   * its latency counts from `atMs`. Live mode starts each request a little before its arrival
   * time, so that the send keeps time even when the run's loop is late.
   */
  holdFirstCall(jobId: number, atMs: number): void {
    this.firstCallDue.set(jobId, atMs);
  }

  /** When the call is due: now, or its job's arrival time if that is later (first call only); as run-clock and epoch ms. */
  private due(jobId: number): { start: number; startEpoch: number; notBeforeEpoch?: number } {
    const now = this.options.clock.now();
    const nowEpoch = epochNow();
    const at = this.firstCallDue.get(jobId);
    if (at === undefined) return { start: now, startEpoch: nowEpoch };
    this.firstCallDue.delete(jobId);
    if (at <= now) return { start: now, startEpoch: nowEpoch };
    const notBeforeEpoch = nowEpoch + (at - now) / this.timeScale;
    return { start: at, startEpoch: notBeforeEpoch, notBeforeEpoch };
  }

  async chat(call: ChatCall): Promise<ChatResult> {
    const { start, startEpoch, notBeforeEpoch } = this.due(call.jobId);
    const wire = this.chatWire(call);
    if (notBeforeEpoch !== undefined) wire.notBeforeEpoch = notBeforeEpoch;
    const facts = await this.transport.chat(wire);
    this.dispatches?.(call.jobId, (facts.sentAt - startEpoch) * this.timeScale);
    const at = (epoch: number): number => start + (epoch - startEpoch) * this.timeScale;
    return this.chatResult(call, facts, start, at);
  }

  /** The call as the transport sends it. */
  private chatWire(call: ChatCall): ChatWire {
    const wire: ChatWire = {
      model: this.options.modelMap?.[call.model] ?? call.model,
      step: call.step,
      prefixTokens: call.prefixTokens,
      inputTokens: call.inputTokens,
      wording: call.wordingId === undefined ? `job${call.jobId}` : String(call.wordingId),
      outputTokens: call.outputTokens,
      difficulty: call.difficulty,
      qualitySeed: answerSeed(call.stepSeed, call.model),
    };
    if (call.timeoutMs !== undefined) wire.timeoutWallMs = call.timeoutMs / this.timeScale;
    if (call.prefixBlocks !== undefined) wire.prefixBlocks = call.prefixBlocks;
    if (call.tools !== undefined) wire.tools = call.tools;
    return wire;
  }

  /** What the response tells, on the run's clock (`at` converts the transport's epoch times). */
  private chatResult(call: ChatCall, f: ChatFacts, start: number, at: (epoch: number) => number): ChatResult {
    const latencyMs = at(f.endAt) - start;
    if (f.kind === 'timeout') return failedChat(call, 'timeout', latencyMs);
    if (f.kind === 'network') return failedChat(call, 'server_error', latencyMs);
    if (f.status === 429) return failedChat(call, 'rate_limited', latencyMs, (f.retryAfterWallMs ?? 1000) * this.timeScale);
    if (f.status === 400) return failedChat(call, f.contextLength === true ? 'context_length' : 'server_error', latencyMs);
    if (f.status !== 200 || !f.finished || f.failed) return failedChat(call, 'server_error', latencyMs);
    if (this.tokenGaps !== undefined) for (const gap of f.gaps) this.tokenGaps(gap * this.timeScale, 1);
    const inputTokens = f.usage?.prompt_tokens ?? call.inputTokens;
    const cachedInputTokens = f.usage?.prompt_tokens_details?.cached_tokens ?? 0;
    const outputTokens = f.usage?.completion_tokens ?? f.contentChunks;
    const spec = getModel(this.options.catalog, call.model);
    const result: ChatResult = {
      outcome: 'ok',
      model: call.model,
      inputTokens,
      cachedInputTokens,
      outputTokens,
      costUsd: callCostUsd(spec.pricing, { inputTokens, cachedInputTokens, outputTokens }),
      latencyMs,
      ttftMs: f.firstTokenAt < 0 ? latencyMs : at(f.firstTokenAt) - start,
      // an endpoint without the mock's quality signal: count the answer as correct and confident
      correct: f.correct === undefined ? true : f.correct === 'true',
      confidence: f.confidence === undefined ? 1 : Number(f.confidence),
    };
    if (f.toolCalls !== undefined) result.toolCalls = f.toolCalls;
    return result;
  }

  async embed(call: EmbedCall): Promise<EmbedResult> {
    const { startEpoch, notBeforeEpoch } = this.due(call.jobId);
    const f = await this.transport.embed({
      model: this.options.modelMap?.[call.model] ?? call.model,
      texts: call.texts,
      inputTokens: call.inputTokens,
      key: `${call.step}|${call.jobId}|${call.callIndex}`,
      ...(notBeforeEpoch !== undefined ? { notBeforeEpoch } : {}),
    });
    this.dispatches?.(call.jobId, (f.sentAt - startEpoch) * this.timeScale);
    const latencyMs = (f.endAt - startEpoch) * this.timeScale;
    if (f.kind === 'network') return { outcome: 'server_error', model: call.model, inputTokens: 0, costUsd: 0, latencyMs };
    if (f.status !== 200) return { outcome: f.status === 429 ? 'rate_limited' : 'server_error', model: call.model, inputTokens: 0, costUsd: 0, latencyMs };
    const inputTokens = f.promptTokens ?? call.inputTokens;
    const spec = getModel(this.options.catalog, call.model);
    return {
      outcome: 'ok',
      model: call.model,
      inputTokens,
      costUsd: callCostUsd(spec.pricing, { inputTokens, cachedInputTokens: 0, outputTokens: 0 }),
      latencyMs,
    };
  }

  /** Closes the transport's connections. */
  close(): Promise<void> {
    return this.transport.close();
  }
}
