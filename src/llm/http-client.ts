/**
 * The live LLM client: real OpenAI-format HTTP calls (streamed chat completions, embeddings) to
 * mock-llm or any OpenAI-compatible endpoint. It satisfies the same `LlmClient` contract as the
 * simulated client, measures TTFT and latency on the run's clock, and prices usage with the
 * catalog. Against mock-llm it asks for the simulated output length and passes the difficulty,
 * and reads the mock's correctness verdict; other endpoints answer as they will.
 */
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { getModel, type Catalog } from '../provider/catalog.ts';
import { MOCK_REQUEST_HEADERS } from '../provider/mock-headers.ts';
import { callCostUsd } from '../provider/pricing.ts';
import { answerSeed } from '../provider/quality.ts';
import type { Clock } from '../core/clock.ts';
import { failedChat, type ChatCall, type ChatResult, type EmbedCall, type EmbedResult, type LlmClient, type TokenGapSink } from './client.ts';
import { embeddingTexts, promptMessages } from './prompt-text.ts';

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
}

interface Usage {
  prompt_tokens: number;
  completion_tokens?: number;
  prompt_tokens_details?: { cached_tokens?: number };
}

/** What one streamed answer's events told so far. */
interface StreamState {
  start: number;
  /** First content token (not the role-only first chunk), on the run's clock; -1 before it. */
  ttftMs: number;
  lastTokenMs: number;
  contentChunks: number;
  usage: Usage | undefined;
  /** `[DONE]` or a choice's finish_reason arrived: the answer is whole. */
  finished: boolean;
  /** The server reported an error inside the stream. */
  failed: boolean;
}

/** The part of an OpenAI chat-completion chunk this client reads. */
interface ChatChunk {
  choices?: Array<{ delta?: { content?: string | null }; finish_reason?: string | null }>;
  usage?: Usage | null;
  error?: unknown;
}

/** An `LlmClient` over HTTP. */
export class HttpLlmClient implements LlmClient {
  private tokenGaps: TokenGapSink | undefined;

  constructor(private readonly options: HttpClientOptions) {}

  /** Receives the gap before every content token after a stream's first (inter-token latency). */
  observeTokenGaps(sink: TokenGapSink): void {
    this.tokenGaps = sink;
  }

  /** One server-sent event of a chat stream (parsed by eventsource-parser: any line ending, comments, multi-line data). */
  private onEvent(event: EventSourceMessage, st: StreamState): void {
    if (event.event === 'error') {
      st.failed = true;
      return;
    }
    const data = event.data.trim();
    if (data === '[DONE]') {
      st.finished = true;
      return;
    }
    let chunk: ChatChunk;
    try {
      chunk = JSON.parse(data) as ChatChunk;
    } catch {
      return; // not JSON (a keep-alive with data): nothing to count
    }
    if (chunk.error !== undefined && chunk.error !== null) st.failed = true;
    if (chunk.usage) st.usage = chunk.usage;
    for (const choice of chunk.choices ?? []) {
      if (typeof choice.delta?.content === 'string' && choice.delta.content !== '') {
        const now = this.options.clock.now();
        st.contentChunks++;
        if (st.ttftMs < 0) st.ttftMs = now - st.start;
        else this.tokenGaps?.(now - st.lastTokenMs, 1);
        st.lastTokenMs = now;
      }
      if (choice.finish_reason) st.finished = true;
    }
  }

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    const h: Record<string, string> = { 'content-type': 'application/json', ...extra };
    if (this.options.apiKey) h.authorization = `Bearer ${this.options.apiKey}`;
    return h;
  }

  async chat(call: ChatCall): Promise<ChatResult> {
    const { clock, catalog } = this.options;
    const spec = getModel(catalog, call.model);
    const start = clock.now();
    const body = {
      model: this.options.modelMap?.[call.model] ?? call.model,
      messages: promptMessages(call.step, call.prefixTokens, call.inputTokens, call.wordingId === undefined ? `job${call.jobId}` : String(call.wordingId)),
      stream: true,
      stream_options: { include_usage: true },
      max_completion_tokens: call.outputTokens,
      metadata: { step: call.step },
    };
    const controller = new AbortController();
    const timer = call.timeoutMs === undefined ? undefined : setTimeout(() => controller.abort(), call.timeoutMs / (this.options.timeScale ?? 1));
    const failed = (outcome: ChatResult['outcome'], retryAfterMs?: number): ChatResult => failedChat(call, outcome, clock.now() - start, retryAfterMs);
    try {
      const res = await fetch(`${this.options.baseUrl}/chat/completions`, {
        method: 'POST',
        headers: this.headers({
          [MOCK_REQUEST_HEADERS.outputTokens]: String(call.outputTokens),
          // full precision (String round-trips a double), so the mock judges the simulator's difficulty
          [MOCK_REQUEST_HEADERS.difficulty]: String(call.difficulty),
          [MOCK_REQUEST_HEADERS.qualitySeed]: String(answerSeed(call.stepSeed, call.model)),
        }),
        body: JSON.stringify(body),
        signal: controller.signal,
      });
      if (res.status === 429) {
        await res.body?.cancel();
        const ms = Number(res.headers.get('retry-after-ms') ?? Number(res.headers.get('retry-after') ?? 1) * 1000);
        return failed('rate_limited', ms * (this.options.timeScale ?? 1));
      }
      if (res.status === 400) {
        const text = await res.text();
        return failed(text.includes('context_length') ? 'context_length' : 'server_error');
      }
      if (!res.ok || res.body === null) {
        await res.body?.cancel();
        return failed('server_error');
      }
      const correctHeader = res.headers.get('x-mock-correct');
      const confidenceHeader = res.headers.get('x-mock-confidence');
      const st: StreamState = { start, ttftMs: -1, lastTokenMs: -1, contentChunks: 0, usage: undefined, finished: false, failed: false };
      const parser = createParser({ onEvent: (event) => this.onEvent(event, st) });
      const decoder = new TextDecoder();
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) parser.feed(decoder.decode(chunk, { stream: true }));
      // an event not closed by a blank line before the body ended still counts
      parser.feed(`${decoder.decode()}\n\n`);
      if (!st.finished || st.failed) return failed('server_error');
      const { usage, ttftMs, contentChunks } = st;
      const inputTokens = usage?.prompt_tokens ?? call.inputTokens;
      const cachedInputTokens = usage?.prompt_tokens_details?.cached_tokens ?? 0;
      const out = usage?.completion_tokens ?? contentChunks;
      return {
        outcome: 'ok',
        model: call.model,
        inputTokens,
        cachedInputTokens,
        outputTokens: out,
        costUsd: callCostUsd(spec.pricing, { inputTokens, cachedInputTokens, outputTokens: out }),
        latencyMs: clock.now() - start,
        ttftMs: ttftMs < 0 ? clock.now() - start : ttftMs,
        // an endpoint without the mock's quality signal: count the answer as correct and confident
        correct: correctHeader === null ? true : correctHeader === 'true',
        confidence: confidenceHeader === null ? 1 : Number(confidenceHeader),
      };
    } catch (err) {
      if ((err as Error).name === 'AbortError') return failed('timeout');
      return failed('server_error');
    } finally {
      if (timer !== undefined) clearTimeout(timer);
    }
  }

  async embed(call: EmbedCall): Promise<EmbedResult> {
    const { clock, catalog } = this.options;
    const spec = getModel(catalog, call.model);
    const start = clock.now();
    try {
      const res = await fetch(`${this.options.baseUrl}/embeddings`, {
        method: 'POST',
        headers: this.headers(),
        body: JSON.stringify({
          model: this.options.modelMap?.[call.model] ?? call.model,
          input: embeddingTexts(call.texts, call.inputTokens, `${call.step}|${call.jobId}|${call.callIndex}`),
          encoding_format: 'float',
        }),
      });
      const json = (await res.json()) as { usage?: { prompt_tokens: number } };
      if (!res.ok)
        return { outcome: res.status === 429 ? 'rate_limited' : 'server_error', model: call.model, inputTokens: 0, costUsd: 0, latencyMs: clock.now() - start };
      const inputTokens = json.usage?.prompt_tokens ?? call.inputTokens;
      return {
        outcome: 'ok',
        model: call.model,
        inputTokens,
        costUsd: callCostUsd(spec.pricing, { inputTokens, cachedInputTokens: 0, outputTokens: 0 }),
        latencyMs: clock.now() - start,
      };
    } catch {
      return { outcome: 'server_error', model: call.model, inputTokens: 0, costUsd: 0, latencyMs: clock.now() - start };
    }
  }
}
