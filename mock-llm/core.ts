/**
 * The one request-handling core of the mock: routing, validation, limits, faults, latency,
 * generation, ledger and metrics. It knows nothing of node:http or msw; each adapter turns its
 * request into a `CoreRequest` and gives a `ResponseSink` to write to.
 */
import { performance } from 'node:perf_hooks';
import { hashString, Rng } from '../src/core/random.ts';
import { findModel, type ModelSpec } from '../src/provider/catalog.ts';
import { Embedder, toBase64 } from '../src/provider/embeddings.ts';
import { MOCK_REQUEST_HEADERS } from '../src/provider/mock-headers.ts';
import { ApiError, invalidRequest } from './errors.ts';
import { sampleGapMs, sampleTtftMs } from '../src/provider/latency.ts';
import { callId, Ledger, type CallOutcome } from './ledger.ts';
import { ConcurrencyGate, RateLimiter, type SlotWaiter } from '../src/provider/limits.ts';
import { Metrics, type ModelGauges } from './metrics.ts';
import { faultsFor, limitsFor, type ResolvedMockOptions } from './options.ts';
import { callCostUsd } from '../src/provider/pricing.ts';
import { PromptCache } from '../src/provider/prompt-cache.ts';
import { judge, type Judgement } from '../src/provider/quality.ts';
import { acceptsChatRequest, ChatRequestSchema, EmbeddingsRequestSchema, messageText, parseBody, type ChatRequest, type EmbeddingsRequest } from './requests.ts';
import { EARLY_TOLERANCE_MS, Scheduler, type ScheduledTask } from './scheduler.ts';
import { countTexts, tokenizeMessages, warmTokenizer } from '../src/provider/tokenizer.ts';
import { applyStop, cachedMessageTokens, generateText, REPLY_PRIMER_IDS, REPLY_PRIMER_TOKENS, rememberMessageTokens, type GeneratedText, type TokenIds } from '../src/provider/tokens.ts';

/** A request as the adapters hand it over (body already read, up to the size limit). */
export interface CoreRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  /** The query string without '?'. */
  query: string;
  /** A request header by lower-case name. */
  header(name: string): string | undefined;
  /** The body as UTF-8 text (empty when too large). */
  body: string;
  /** True when the body exceeded `maxBodyBytes` (the core answers 413). */
  bodyTooLarge: boolean;
  /** Registers the callback to run if the client goes away before the response ends. */
  onAbort(callback: () => void): void;
  /** True once the client has gone away (or the response was ended). */
  gone(): boolean;
}

/** Where the core writes a response; each adapter implements it once. */
export interface ResponseSink {
  /**
   * A complete response in one go (the adapter adds Content-Length); `byteLength`, when given,
   * is the body's UTF-8 length (the caller knew it: no pass over the text).
   */
  send(status: number, headers: Record<string, string>, body: string, byteLength?: number): void;
  /** Status line and headers of a response written in parts; sent at once. */
  head(status: number, headers: Record<string, string>): void;
  /** A part of the body. */
  write(chunk: string): void;
  /**
   * A part of the body given as bytes that `source.encodeInto` writes, exactly `byteLength` of
   * them (at least one), into a buffer of the adapter's (the node:http adapter frames them in
   * the same buffer): a stream's tokens make no string each.
   */
  writeBytes(source: ByteSource, byteLength: number): void;
  end(chunk?: string): void;
  /** Breaks the connection without a proper end (cut stream, shutdown, hang at close). */
  destroy(): void;
}

/** Bytes written on demand into a buffer the caller provides (see ResponseSink.writeBytes). */
export interface ByteSource {
  encodeInto(target: Uint8Array, offset: number): void;
}

/** Faults a request can force with `x-mock-fault` (every time) or `x-mock-fault-once` (first time for this body). */
export const FORCEABLE_FAULTS = ['429', '500', '503', 'hang', 'cut', 'context_length'] as const;
/** One forceable fault. */
export type ForcedFault = (typeof FORCEABLE_FAULTS)[number];

/** Live counters of the core, for tests and the perf harness. */
export interface MockStats {
  /** Requests holding a concurrency slot, all models. */
  inFlight: number;
  /** Requests waiting for a slot, all models. */
  queued: number;
  /** Exchanges not finished (running, queued or hanging). */
  active: number;
  /** Scheduler tasks pending (timers). */
  scheduledTasks: number;
}

/** Retry-After of a forced 429 (a real 429 says when its bucket refills). */
const FORCED_RETRY_AFTER_MS = 100;
const FAULT_ONCE_MEMORY = 10_000;
const SSE_HEADERS = Object.freeze({
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
});
const JSON_TYPE = 'application/json';
const NO_MODEL = '(none)';

interface ModelState {
  spec: ModelSpec;
  gate: ConcurrencyGate;
  limiter: RateLimiter | undefined;
  promptCache: PromptCache | undefined;
}

/** Context shared by every step of one call. */
interface Call {
  id: string;
  seq: number;
  arrivalMs: number;
  arrivalWallMs: number;
  endpoint: 'chat' | 'embeddings';
  model: ModelState;
  stream: boolean;
  inputTokens: number;
  cachedInputTokens: number;
  outputTokens: number;
  queueMs: number;
  ttftMs: number | null;
  headers: Record<string, string>;
  /** Status line already sent (0 before any). */
  statusSent: number;
  sink: ResponseSink;
  /** What to answer once admitted; undefined for a call that only errors. */
  plan: ChatPlan | EmbeddingsPlan | undefined;
  /** Absolute due time of the first token (of the whole answer when not streamed). */
  firstDueMs: number;
  /** A stream's due time of its next token (`sent`), advanced by one gap per token sent. */
  nextDueMs: number;
  /** A stream's gap between tokens when every gap is the same (exact latencies, or none). */
  gapMs: number;
  /**
   * A stream's generator of random gaps, in the state it had after the TTFT draw at admission:
   * it draws the same gaps again as the tokens go, rather than keeping every token's due time.
   */
  gapDraws: Rng | undefined;
  /** Requests in flight at admission (the load that scales every gap). */
  loadInFlight: number;
  /** Absolute due time of the step scheduled last (a whole answer's send; a stream's next token). */
  stepDueMs: number;
  /** Stream progress: tokens sent. */
  sent: number;
  done: boolean;
  /** Hung on purpose: ends when the client gives up. */
  hanging: boolean;
  /** Holds a concurrency slot (released in finish). */
  holding: boolean;
  /** Its place in the concurrency queue, while queued. */
  waiter: SlotWaiter | undefined;
  /** The scheduled step; once it has run, kept so that the next step reuses its object (cancelling it then does nothing). */
  task: ScheduledTask | undefined;
}

/** The core: one per server or msw handler set. */
export class MockCore {
  readonly ledger: Ledger;
  readonly metrics = new Metrics();
  private readonly scheduler = new Scheduler();
  private readonly embedder: Embedder;
  private readonly models = new Map<string, ModelState>();
  private readonly active = new Set<Call>();
  private readonly faultsSeen = new Set<string>();
  private seq = 0;
  private closed = false;
  /** Requests waiting for the tokenizer thread, by their sinks (counted as active; cut at close). */
  private readonly tokenizing = new Set<ResponseSink>();

  constructor(readonly options: ResolvedMockOptions) {
    this.ledger = new Ledger(options.ledgerMaxRows);
    this.embedder = new Embedder(options.seed);
    warmTokenizer();
  }

  /** Answers one request. Never throws: internal failures become a 500 OpenAI error. */
  handle(req: CoreRequest, sink: ResponseSink): void {
    try {
      this.route(req, sink);
    } catch (err) {
      this.internalError(sink, err as Error);
    }
  }

  /** Live counters. */
  stats(): MockStats {
    let inFlight = 0;
    let queued = 0;
    for (const m of this.models.values()) {
      inFlight += m.gate.inFlight();
      queued += m.gate.queued();
    }
    return { inFlight, queued, active: this.active.size + this.tokenizing.size, scheduledTasks: this.scheduler.pending() };
  }

  /** Ends every call in progress (connections broken, ledger outcome "shutdown") and clears timers. */
  close(): void {
    this.closed = true;
    for (const call of [...this.active]) this.interrupt(call, 'shutdown');
    this.active.clear();
    for (const sink of this.tokenizing) sink.destroy();
    this.tokenizing.clear();
    this.scheduler.clear();
    this.metrics.health.close();
  }

  private route(req: CoreRequest, sink: ResponseSink): void {
    if (this.closed) return sendError(sink, new ApiError(503, 'The mock server is shutting down.', 'server_error', 'shutting_down'));
    const { method, path } = req;
    const allow = ROUTES[path] ?? (path.startsWith('/v1/models/') ? 'GET' : undefined);
    if (allow === undefined) {
      this.metrics.error('unknown_url');
      return sendError(sink, new ApiError(404, `Invalid URL (${method} ${path})`, 'invalid_request_error', 'unknown_url'));
    }
    if (!(ROUTE_METHODS[path] ?? GET_ONLY).includes(method)) {
      this.metrics.error('method_not_allowed');
      return sendError(
        sink,
        new ApiError(405, `Method ${method} is not allowed on ${path}; allowed: ${allow}.`, 'invalid_request_error', 'method_not_allowed', null, { allow }),
      );
    }
    if (path.startsWith('/v1/') && this.options.apiKey !== undefined && req.header('authorization') !== `Bearer ${this.options.apiKey}`) {
      this.metrics.error('invalid_api_key');
      const got = req.header('authorization');
      return sendError(
        sink,
        new ApiError(
          401,
          got === undefined
            ? "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)."
            : 'Incorrect API key provided. Please pass the key the mock server was started with as Authorization: Bearer <key>.',
          'invalid_request_error',
          'invalid_api_key',
        ),
      );
    }
    if (req.bodyTooLarge) {
      this.metrics.error('request_too_large');
      return sendError(
        sink,
        new ApiError(413, `Request body too large: the limit is ${this.options.maxBodyBytes} bytes (option maxBodyBytes).`, 'invalid_request_error', 'request_too_large'),
      );
    }
    switch (path) {
      case '/v1/chat/completions':
        return this.chat(req, sink);
      case '/v1/embeddings':
        return this.embeddings(req, sink);
      case '/v1/models':
        return sendJson(sink, 200, { object: 'list', data: Object.values(this.options.models).map(modelObject) });
      case '/v1/ledger':
        return this.ledgerRoute(req, sink);
      case '/health':
        return sendJson(sink, 200, { status: 'ok', ...this.stats() });
      case '/metrics':
        return sink.send(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }, this.metrics.render(this.ledger.currentTotals(), this.gauges()));
      default: {
        const id = safeDecode(path.slice('/v1/models/'.length));
        const spec = findModel(this.options.models, id);
        if (spec === undefined) return sendError(sink, modelNotFound(id));
        return sendJson(sink, 200, modelObject(spec));
      }
    }
  }

  private ledgerRoute(req: CoreRequest, sink: ResponseSink): void {
    if (req.method === 'DELETE') {
      this.ledger.reset();
      this.metrics.reset();
      return sendJson(sink, 200, { reset: true });
    }
    const ndjson = new URLSearchParams(req.query).get('format') === 'ndjson' || (req.header('accept') ?? '').includes('application/x-ndjson');
    if (ndjson) {
      return sink.send(200, { 'content-type': 'application/x-ndjson' }, this.ledger.toNdjson());
    }
    return sendJson(sink, 200, this.ledger.snapshot());
  }

  private gauges(): Map<string, ModelGauges> {
    const out = new Map<string, ModelGauges>();
    for (const [id, m] of this.models) out.set(id, { inFlight: m.gate.inFlight(), queued: m.gate.queued() });
    return out;
  }

  private modelState(id: string): ModelState | undefined {
    let state = this.models.get(id);
    if (state !== undefined) return state;
    const spec = findModel(this.options.models, id);
    if (spec === undefined) return undefined;
    const limits = limitsFor(this.options, id);
    state = {
      spec,
      gate: new ConcurrencyGate(spec.latency.concurrencyCap),
      limiter: limits === undefined ? undefined : new RateLimiter(id, limits, performance.now()),
      promptCache: spec.promptCaching === null ? undefined : new PromptCache(spec.promptCaching, (spec.promptCaching.ttlS * 1000) / this.options.timeScale),
    };
    this.models.set(id, state);
    return state;
  }

  // ---- chat ---------------------------------------------------------------------------------

  private chat(req: CoreRequest, sink: ResponseSink): void {
    const arrivalMs = performance.now();
    const body = parseBody(ChatRequestSchema, req.body, acceptsChatRequest);
    if (body instanceof ApiError) return this.reject(sink, body, NO_MODEL, 'chat');
    const model = this.modelState(body.model);
    if (model === undefined) return this.reject(sink, modelNotFound(body.model), NO_MODEL, 'chat');
    if (model.spec.kind !== 'chat') {
      return this.reject(sink, invalidRequest(`Model "${body.model}" is an embedding model; use POST /v1/embeddings, or pick a chat model.`, 'model', 'model_not_supported'), body.model, 'chat');
    }
    const extras = readExtras(req, body);
    if (extras instanceof ApiError) return this.reject(sink, extras, body.model, 'chat');

    // the prompt's tokens per message, from the cache (by content) or the tokenizer thread
    const messages = body.messages;
    const texts = new Array<string>(messages.length);
    const promptParts = new Array<TokenIds>(messages.length);
    let missing: number[] | undefined;
    for (let i = 0; i < messages.length; i++) {
      const m = messages[i]!;
      const ids = cachedMessageTokens(m.role, (texts[i] = messageText(m)));
      if (ids === undefined) (missing ??= []).push(i);
      else promptParts[i] = ids;
    }
    if (missing === undefined) return this.chatCounted(req, sink, body, model, extras, promptParts, arrivalMs);
    const pending = missing;
    this.tokenizing.add(sink);
    tokenizeMessages(pending.map((i) => [messages[i]!.role, texts[i]!] as const)).then(
      (ids) => {
        pending.forEach((i, k) => {
          promptParts[i] = ids[k]!;
          rememberMessageTokens(messages[i]!.role, texts[i]!, ids[k]!);
        });
        this.resume(req, sink, () => this.chatCounted(req, sink, body, model, extras, promptParts, arrivalMs));
      },
      (err: Error) => this.resume(req, sink, () => this.internalError(sink, err)),
    );
  }

  /** Continues a request after the tokenizer thread answered, unless the server closed or the client left meanwhile. */
  private resume(req: CoreRequest, sink: ResponseSink, next: () => void): void {
    if (!this.tokenizing.delete(sink)) return; // cut when the server closed
    if (req.gone()) return; // nothing was billed or sent: no ledger row, like a request rejected up front
    try {
      next();
    } catch (err) {
      this.internalError(sink, err as Error);
    }
  }

  private internalError(sink: ResponseSink, err: Error): void {
    this.metrics.error('internal');
    sendError(sink, new ApiError(500, `mock-llm internal error: ${err.message}`, 'server_error', 'internal_error'));
  }

  /** The rest of a chat request, once its prompt's tokens are known. */
  private chatCounted(req: CoreRequest, sink: ResponseSink, body: ChatRequest, model: ModelState, extras: Extras, promptParts: TokenIds[], arrivalMs: number): void {
    let promptTokens = REPLY_PRIMER_TOKENS;
    for (const ids of promptParts) promptTokens += ids.length;
    const spec = model.spec;
    const maxTokens = body.max_completion_tokens ?? body.max_tokens ?? null;
    const call = this.newCall(arrivalMs, 'chat', model, body.stream === true, promptTokens, sink);
    const fault = this.forcedFault(req, extras.fault, extras.faultOnce);
    if (fault instanceof ApiError) return this.reject(sink, fault, body.model, 'chat');

    if (fault === 'context_length' || promptTokens + (maxTokens ?? 0) > spec.contextWindow) {
      const err = invalidRequest(
        `This model's maximum context length is ${spec.contextWindow} tokens. However, you requested ${promptTokens + (maxTokens ?? 0)} tokens ` +
          `(${promptTokens} in the messages, ${maxTokens ?? 0} in the completion). Please reduce the length of the messages or completion.`,
        'messages',
        'context_length_exceeded',
      );
      return this.fail(call, sink, err, 'context_length');
    }
    const target = extras.outputTokens ?? spec.defaultOutputTokens;
    if (this.admitOrReject(call, sink, fault, promptTokens + (maxTokens ?? target))) return;
    const random = fault === undefined ? this.randomFault(call) : fault;
    if (random === '500' || random === '503') return this.fail(call, sink, serverError(random), 'error');
    if (random === 'hang') return this.hang(call, req);

    const n = Math.max(0, Math.min(target, maxTokens ?? Infinity, spec.contextWindow - promptTokens));
    let finishReason: 'stop' | 'length' = n < target ? 'length' : 'stop';
    let text = generateText(n, hashString(req.body, this.options.seed));
    if (body.stop != null) {
      const stopped = applyStop(text, typeof body.stop === 'string' ? [body.stop] : body.stop);
      if (stopped.stopped) {
        text = stopped.text;
        finishReason = 'stop';
      }
    }
    const promptCache = model.promptCache;
    // a prompt below the cache's minimum is neither served nor recorded
    call.cachedInputTokens = promptCache !== undefined && promptTokens >= promptCache.minPrefixTokens ? promptCache.lookup([...promptParts, REPLY_PRIMER_IDS], arrivalMs) : 0;
    const judgement =
      extras.difficulty === undefined ? undefined : judge(spec.capability, extras.difficulty, Rng.derive(this.options.seed, `judge|${req.body}`));
    const modelJson = JSON.stringify(body.model);
    const plan: ChatPlan = {
      kind: 'chat',
      modelJson,
      modelExtraBytes: Buffer.byteLength(modelJson) - modelJson.length,
      events: undefined,
      text,
      finishReason,
      cut: random === 'cut',
      includeUsage: body.stream_options?.include_usage === true,
      mock: judgement === undefined ? undefined : { ...judgement, difficulty: extras.difficulty! },
    };
    if (plan.mock !== undefined) {
      call.headers['x-mock-correct'] = String(plan.mock.correct);
      call.headers['x-mock-confidence'] = plan.mock.confidence.toFixed(4);
      call.headers['x-mock-difficulty'] = String(plan.mock.difficulty);
    }
    call.plan = plan;
    this.admit(call, req);
  }

  private sendPlainChat(call: Call, plan: ChatPlan): void {
    call.ttftMs = call.firstDueMs - call.arrivalMs;
    call.outputTokens = plan.text.length;
    // a template rather than JSON.stringify of an object: this is the hot path of a zero-latency
    // run; the generated text needs no escaping (the vocabulary is lower-case ASCII words)
    const body =
      `{"id":"${call.id}","object":"chat.completion","created":${Math.floor(call.arrivalWallMs / 1000)},"model":${plan.modelJson},` +
      `"choices":[{"index":0,"message":{"role":"assistant","content":"${plan.text.text()}","refusal":null,"annotations":[]},` +
      `"logprobs":null,"finish_reason":"${plan.finishReason}"}],"usage":${usageJson(call)},"service_tier":"default","system_fingerprint":"fp_mock"` +
      (plan.mock === undefined ? '}' : `,"mock":${JSON.stringify(plan.mock)}}`);
    call.headers['content-type'] = JSON_TYPE;
    if (plan.cut) return this.cutBody(call, body);
    call.sink.send(200, call.headers, body, body.length + plan.modelExtraBytes);
    this.finish(call, 'ok', 200);
  }

  private startStream(call: Call, plan: ChatPlan): void {
    const headers = call.headers;
    headers['content-type'] = SSE_HEADERS['content-type'];
    headers['cache-control'] = SSE_HEADERS['cache-control'];
    call.sink.head(200, headers);
    call.statusSent = 200;
    call.headers = HEADERS_SENT; // the stream keeps no header object or values for its whole life
    if (plan.text.length > 0) plan.events = new TokenEvents(chunkHead(call, plan) + DELTA_OPEN, deltaClose(plan), plan.text);
  }

  /**
   * Sends every token already due in one write (a late wake-up adds no gap); the last ones go
   * in the same write as the end.
   */
  private emitStream(call: Call, plan: ChatPlan): void {
    const now = performance.now();
    const n = plan.text.length;
    const cutAt = plan.cut ? Math.floor(n / 2) : -1;
    let sent = call.sent;
    if (sent === cutAt) return this.cutStream(call);
    if (sent === 0) call.ttftMs = now - call.arrivalMs;
    const first = sent;
    const lateness = this.metrics.lateness;
    while (sent < n && sent !== cutAt && call.nextDueMs <= now + DUE_TOLERANCE_MS) {
      lateness.observe(now - call.nextDueMs);
      sent++;
      if (sent < n) call.nextDueMs += this.nextGapMs(call);
    }
    call.sent = sent;
    call.outputTokens = sent;
    const events = plan.events;
    if (events !== undefined) {
      events.from = first;
      events.to = sent;
    }
    if (sent === cutAt || sent < n) {
      if (sent > first) call.sink.writeBytes(events!, events!.byteLength());
      return sent === cutAt ? this.cutStream(call) : this.schedule(call, call.nextDueMs);
    }
    // the end: the last tokens' events as text, so that they and the end are one write
    let chunk = sent > first ? events!.toText() : '';
    const head = chunkHead(call, plan);
    if (n === 0) {
      lateness.observe(now - call.nextDueMs); // no token: the empty answer is the one scheduled send
      chunk = head + DELTA_OPEN + ROLE_FIELD + CONTENT_FIELD + '"' + deltaClose(plan);
    }
    chunk +=
      head +
      `"choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"${plan.finishReason}"}]${plan.includeUsage ? ',"usage":null' : ''}` +
      `${plan.mock === undefined ? '' : `,"mock":${JSON.stringify(plan.mock)}`}}\n\n`;
    if (plan.includeUsage) chunk += head + `"choices":[],"usage":${usageJson(call)}}\n\n`;
    call.sink.end(chunk + 'data: [DONE]\n\n');
    this.finish(call, 'ok', 200);
  }

  /** A stream's gap to its next token (see Call.gapDraws). */
  private nextGapMs(call: Call): number {
    if (call.gapDraws === undefined) return call.gapMs;
    return sampleGapMs(call.model.spec.latency, call.loadInFlight, call.gapDraws) / this.options.timeScale;
  }

  // ---- embeddings ---------------------------------------------------------------------------

  private embeddings(req: CoreRequest, sink: ResponseSink): void {
    const arrivalMs = performance.now();
    const body = parseBody(EmbeddingsRequestSchema, req.body);
    if (body instanceof ApiError) return this.reject(sink, body, NO_MODEL, 'embeddings');
    const model = this.modelState(body.model);
    if (model === undefined) return this.reject(sink, modelNotFound(body.model), NO_MODEL, 'embeddings');
    const spec = model.spec;
    if (spec.kind !== 'embedding' || spec.dimensions === undefined) {
      return this.reject(sink, invalidRequest(`Model "${body.model}" is a chat model; use POST /v1/chat/completions, or pick an embedding model.`, 'model', 'model_not_supported'), body.model, 'embeddings');
    }
    const dims = body.dimensions ?? spec.dimensions;
    if (dims > spec.dimensions) {
      return this.reject(sink, invalidRequest(`Invalid 'dimensions': ${dims} is more than ${body.model}'s ${spec.dimensions}.`, 'dimensions', 'invalid_value'), body.model, 'embeddings');
    }
    const texts = typeof body.input === 'string' ? [body.input] : body.input;
    if (texts.some((t) => t.length === 0)) {
      return this.reject(sink, invalidRequest("Invalid 'input': empty strings cannot be embedded.", 'input', 'invalid_value'), body.model, 'embeddings');
    }
    const extras = readExtras(req, undefined);
    if (extras instanceof ApiError) return this.reject(sink, extras, body.model, 'embeddings');
    this.tokenizing.add(sink);
    countTexts(texts).then(
      (counts) => this.resume(req, sink, () => this.embeddingsCounted(req, sink, body, model, extras, texts, counts, dims, arrivalMs)),
      (err: Error) => this.resume(req, sink, () => this.internalError(sink, err)),
    );
  }

  /** The rest of an embeddings request, once its inputs' tokens are counted. */
  private embeddingsCounted(
    req: CoreRequest,
    sink: ResponseSink,
    body: EmbeddingsRequest,
    model: ModelState,
    extras: Extras,
    texts: string[],
    counts: number[],
    dims: number,
    arrivalMs: number,
  ): void {
    const spec = model.spec;
    let tokens = 0;
    for (let i = 0; i < counts.length; i++) {
      const count = counts[i]!;
      if (count > spec.contextWindow) {
        return this.reject(sink, invalidRequest(`This model's maximum context length is ${spec.contextWindow} tokens, however input ${i} has ${count} tokens. Please reduce the input.`, 'input', 'context_length_exceeded'), body.model, 'embeddings');
      }
      tokens += count;
    }
    const call = this.newCall(arrivalMs, 'embeddings', model, false, tokens, sink);
    const fault = this.forcedFault(req, extras.fault, extras.faultOnce);
    if (fault instanceof ApiError) return this.reject(sink, fault, body.model, 'embeddings');
    if (fault === 'context_length') {
      return this.fail(call, sink, invalidRequest(`This model's maximum context length is ${spec.contextWindow} tokens (forced by x-mock-fault).`, 'input', 'context_length_exceeded'), 'context_length');
    }
    if (this.admitOrReject(call, sink, fault, tokens)) return;
    const random = fault === undefined ? this.randomFault(call) : fault;
    if (random === '500' || random === '503') return this.fail(call, sink, serverError(random), 'error');
    if (random === 'hang') return this.hang(call, req);
    call.plan = { kind: 'embeddings', model: body.model, texts, dims, base64: body.encoding_format === 'base64', cut: random === 'cut' };
    this.admit(call, req);
  }

  private sendEmbeddings(call: Call, plan: EmbeddingsPlan): void {
    const data = plan.texts.map((t, index) => {
      const v = this.embedder.embed(t, plan.dims);
      return { object: 'embedding', index, embedding: plan.base64 ? toBase64(v) : Array.from(v) };
    });
    const json = JSON.stringify({ object: 'list', data, model: plan.model, usage: { prompt_tokens: call.inputTokens, total_tokens: call.inputTokens } });
    call.headers['content-type'] = JSON_TYPE;
    if (plan.cut) return this.cutBody(call, json);
    call.sink.send(200, call.headers, json);
    this.finish(call, 'ok', 200);
  }

  // ---- shared steps -------------------------------------------------------------------------

  private newCall(arrivalMs: number, endpoint: Call['endpoint'], model: ModelState, stream: boolean, inputTokens: number, sink: ResponseSink): Call {
    const seq = this.seq++;
    const id = callId(endpoint, seq);
    return {
      id,
      seq,
      arrivalMs,
      arrivalWallMs: Date.now(),
      endpoint,
      model,
      stream,
      inputTokens,
      cachedInputTokens: 0,
      outputTokens: 0,
      queueMs: 0,
      ttftMs: null,
      headers: { 'x-request-id': id },
      statusSent: 0,
      sink,
      plan: undefined,
      firstDueMs: NaN,
      nextDueMs: NaN,
      gapMs: 0,
      gapDraws: undefined,
      loadInFlight: 0,
      stepDueMs: NaN,
      sent: 0,
      done: false,
      hanging: false,
      holding: false,
      waiter: undefined,
      task: undefined,
    };
  }

  /** Answers an invalid request before any call exists (no ledger row: nothing was billed). */
  private reject(sink: ResponseSink, err: ApiError, model: string, endpoint: string): void {
    this.metrics.request(model, endpoint, err.status);
    this.metrics.error(err.code ?? err.type);
    sendError(sink, err);
  }

  /** Answers an error for a call and records it. */
  private fail(call: Call, sink: ResponseSink, err: ApiError, outcome: CallOutcome): void {
    this.metrics.error(err.code ?? err.type);
    sendError(sink, err, call.headers);
    this.finish(call, outcome, err.status);
  }

  /** The fault a request forces by header, or an ApiError for a bad header value. */
  private forcedFault(req: CoreRequest, always: string | undefined, once: string | undefined): ForcedFault | ApiError | undefined {
    const pick = always ?? once;
    if (pick === undefined) return undefined;
    if (!(FORCEABLE_FAULTS as readonly string[]).includes(pick)) {
      const name = always !== undefined ? MOCK_REQUEST_HEADERS.fault : MOCK_REQUEST_HEADERS.faultOnce;
      return invalidRequest(`Invalid ${name} header "${pick}"; allowed: ${FORCEABLE_FAULTS.join(', ')}.`, null, 'invalid_mock_header');
    }
    if (always !== undefined) return pick as ForcedFault;
    // once: the first request with this body and this fault gets it, its retries do not
    const key = `${pick}|${hashString(req.body, this.options.seed)}|${req.body.length}`;
    if (this.faultsSeen.has(key)) return undefined;
    this.faultsSeen.add(key);
    if (this.faultsSeen.size > FAULT_ONCE_MEMORY) this.faultsSeen.delete(this.faultsSeen.values().next().value!);
    return pick as ForcedFault;
  }

  /** Applies rate limits (or a forced 429); true when it answered 429. */
  private admitOrReject(call: Call, sink: ResponseSink, fault: ForcedFault | undefined, estimatedTokens: number): boolean {
    const limiter = call.model.limiter;
    if (limiter === undefined && fault !== '429') return false; // the common case: no limits, nothing forced
    const now = performance.now();
    let retryAfterMs = FORCED_RETRY_AFTER_MS;
    let message = `Rate limit reached for ${call.model.spec.id} (forced by ${MOCK_REQUEST_HEADERS.fault}). Please try again in ${retryAfterMs}ms.`;
    let type: 'requests' | 'tokens' = 'requests';
    if (limiter !== undefined && fault !== '429') {
      const decision = limiter.check(estimatedTokens, now);
      Object.assign(call.headers, decision.headers);
      if (decision.allowed) return false;
      retryAfterMs = decision.retryAfterMs;
      message = decision.message;
      type = decision.limit;
    } else if (fault !== '429') {
      return false;
    }
    const wait = Number.isFinite(retryAfterMs) ? retryAfterMs : 60_000;
    call.headers['retry-after'] = String(Math.max(1, Math.ceil(wait / 1000)));
    call.headers['retry-after-ms'] = String(Math.ceil(wait));
    this.metrics.rateLimit(call.model.spec.id);
    this.fail(call, sink, new ApiError(429, message, type, 'rate_limit_exceeded'), 'rate_limited');
    return true;
  }

  /** Draws this call's injected fault from the configured rates (seeded by the call's sequence number). */
  private randomFault(call: Call): ForcedFault | undefined {
    const rates = faultsFor(this.options, call.model.spec.id);
    if (rates.error500 + rates.error503 + rates.hang + rates.cut === 0) return undefined;
    const u = Rng.derive(this.options.seed, `fault|${call.seq}`).next();
    let edge = rates.error500;
    if (u < edge) return '500';
    if (u < (edge += rates.error503)) return '503';
    if (u < (edge += rates.hang)) return 'hang';
    if (u < (edge += rates.cut)) return 'cut';
    return undefined;
  }

  /** Sends nothing; the call ends when the client gives up (or at close). */
  private hang(call: Call, req: CoreRequest): void {
    call.hanging = true;
    this.active.add(call);
    req.onAbort(() => this.interrupt(call, 'client_disconnect'));
  }

  /** Ends a call from outside: the client went away, or the server closes. */
  private interrupt(call: Call, why: 'client_disconnect' | 'shutdown'): void {
    if (call.done) return;
    if (call.hanging) {
      this.finish(call, 'hang', 0);
      if (why === 'shutdown') call.sink.destroy();
      return;
    }
    if (call.waiter !== undefined) call.model.gate.cancel(call.waiter);
    this.finish(call, why, call.statusSent);
    call.sink.destroy();
  }

  /** Takes a concurrency slot, or joins the FIFO queue for one. */
  private admit(call: Call, req: CoreRequest): void {
    this.active.add(call);
    const gate = call.model.gate;
    if (gate.tryAcquire()) {
      call.holding = true;
      // admitted at once: timed from arrival, so parsing and counting are absorbed in the TTFT
      this.start(call, call.arrivalMs);
      // an answer already complete (zero latency) cannot be interrupted: no listener needed; no
      // event can come in between, this all runs synchronously
      if (!call.done) req.onAbort(() => this.interrupt(call, 'client_disconnect'));
      return;
    }
    req.onAbort(() => this.interrupt(call, 'client_disconnect'));
    const waiter = new QueuedCall(this, call);
    call.waiter = waiter;
    gate.enqueue(waiter);
  }

  /** A queued call got its slot (see QueuedCall). */
  granted(call: Call): void {
    call.waiter = undefined;
    call.holding = true;
    this.start(call, performance.now());
  }

  /** Samples the timing with the load at admission (as the simulator does) and starts the answer. */
  private start(call: Call, startMs: number): void {
    const plan = call.plan!;
    call.queueMs = startMs - call.arrivalMs;
    const lat = call.model.spec.latency;
    const inFlight = call.model.gate.inFlight();
    // exact latencies (both cv 0): the draws cannot change any value (every gap is the same
    // number), so the call's generator is not derived and the gap is computed once
    const exact = lat.ttftCv === 0 && lat.itlCv === 0;
    const rng = exact ? UNUSED_DRAWS : Rng.derive(this.options.seed, `timing|${call.seq}`);
    const scale = this.options.timeScale;
    const n = plan.kind === 'chat' ? plan.text.length : 0;
    const streamed = plan.kind === 'chat' && call.stream;
    const uncached = call.inputTokens - call.cachedInputTokens;
    let t = startMs + sampleTtftMs(lat, uncached, inFlight, rng) / scale;
    call.firstDueMs = t;
    // itlMs 0: every gap is 0, no draws; exact latencies: one gap for all
    const gap = lat.itlMs === 0 ? 0 : exact ? sampleGapMs(lat, inFlight, rng) / scale : NaN;
    if (lat.itlMs > 0) for (let i = 1; i < n; i++) t += exact ? gap : sampleGapMs(lat, inFlight, rng) / scale;
    if (streamed) {
      // the headers below need the last token's due time now; a stream then draws its gaps again
      // as it sends (the same values in the same order), so it keeps no due time per token
      call.nextDueMs = call.firstDueMs;
      call.gapMs = gap;
      call.loadInFlight = inFlight;
      if (!exact && lat.itlMs > 0) {
        call.gapDraws = Rng.derive(this.options.seed, `timing|${call.seq}`);
        sampleTtftMs(lat, uncached, inFlight, call.gapDraws); // to the state after the TTFT draw
      }
    }
    const h = call.headers;
    h['x-mock-queue-ms'] = fixed3(call.queueMs);
    h['x-mock-ttft-ms'] = fixed3(call.firstDueMs - call.arrivalMs);
    h['x-mock-total-ms'] = fixed3(t - call.arrivalMs);
    h['x-mock-input-tokens'] = String(call.inputTokens);
    h['x-mock-cached-tokens'] = String(call.cachedInputTokens);
    if (plan.kind === 'chat') h['x-mock-output-tokens'] = String(n);
    h['openai-processing-ms'] = String(Math.round(t - call.arrivalMs));
    if (streamed) {
      this.startStream(call, plan);
      return this.schedule(call, call.firstDueMs);
    }
    this.schedule(call, t);
  }

  /** Runs the call's next step at `dueMs`, inline when already due (zero latency costs no timer). */
  private schedule(call: Call, dueMs: number): void {
    call.stepDueMs = dueMs;
    if (dueMs <= performance.now() + DUE_TOLERANCE_MS) return this.step(call);
    // the call's previous task has run (this is its step, or the first): its object is reused
    call.task = this.scheduler.at(dueMs, this.runStep, call, call.task);
  }

  /** The scheduler's callback for every call (one function, the call passed as its argument). */
  private readonly runStep = (call: Call): void => this.step(call);

  private step(call: Call): void {
    const plan = call.plan!;
    if (plan.kind === 'chat' && call.stream) return this.emitStream(call, plan); // lateness per token there
    this.metrics.lateness.observe(performance.now() - call.stepDueMs);
    if (plan.kind === 'embeddings') return this.sendEmbeddings(call, plan);
    this.sendPlainChat(call, plan);
  }

  private cutStream(call: Call): void {
    this.metrics.error('cut');
    this.finish(call, 'cut', 200);
    call.sink.destroy();
  }

  private cutBody(call: Call, body: string): void {
    this.metrics.error('cut');
    call.sink.head(200, call.headers);
    call.sink.write(body.slice(0, Math.floor(body.length / 2)));
    this.finish(call, 'cut', 200);
    call.sink.destroy();
  }

  /** Records the call once: ledger row, metrics, slot released, timers gone. */
  private finish(call: Call, outcome: CallOutcome, status: number): void {
    if (call.done) return;
    call.done = true;
    this.active.delete(call);
    call.task?.cancel();
    call.task = undefined;
    if (call.holding) {
      call.holding = false;
      call.model.gate.release();
    }
    const spec = call.model.spec;
    const billed = outcome === 'ok' || outcome === 'cut' || outcome === 'client_disconnect' || outcome === 'shutdown';
    const inputTokens = billed ? call.inputTokens : 0;
    const cachedInputTokens = billed ? call.cachedInputTokens : 0;
    const outputTokens = billed ? call.outputTokens : 0;
    this.ledger.add({
      seq: call.seq,
      wallMs: call.arrivalWallMs,
      endpoint: call.endpoint,
      model: spec.id,
      stream: call.stream,
      inputTokens,
      cachedInputTokens,
      outputTokens,
      costUsd: callCostUsd(spec.pricing, { inputTokens, cachedInputTokens, outputTokens }),
      latencyMs: performance.now() - call.arrivalMs,
      ttftMs: call.ttftMs,
      queueMs: call.queueMs,
      outcome,
      status,
    });
    this.metrics.request(spec.id, call.endpoint, status);
    if (outcome === 'hang' || outcome === 'client_disconnect' || outcome === 'shutdown') this.metrics.error(outcome);
  }
}

/** Tokens due within this margin are sent now rather than after one more timer turn (see scheduler.ts). */
const DUE_TOLERANCE_MS = EARLY_TOLERANCE_MS;

/** Allowed methods per path. */
const ROUTES: Readonly<Record<string, string>> = Object.freeze({
  '/v1/chat/completions': 'POST',
  '/v1/embeddings': 'POST',
  '/v1/models': 'GET',
  '/v1/ledger': 'GET, DELETE',
  '/health': 'GET',
  '/metrics': 'GET',
});

/** `ROUTES` split into method lists once (not per request). */
const ROUTE_METHODS: Readonly<Record<string, readonly string[]>> = Object.freeze(
  Object.fromEntries(Object.entries(ROUTES).map(([path, allow]) => [path, allow.split(', ')])),
);
const GET_ONLY: readonly string[] = ['GET'];

/** A streaming call's headers once sent (nothing reads or adds to them after that). */
const HEADERS_SENT: Record<string, string> = Object.freeze({}) as Record<string, string>;
/** Stands in for a call's generator when the draws cannot change any value (exact latencies). */
const UNUSED_DRAWS = new Rng(0);

/** `x.toFixed(3)`, without the call for the common exact zero (a zero-latency answer). */
function fixed3(x: number): string {
  return x === 0 ? '0.000' : x.toFixed(3);
}

/** A call waiting for a concurrency slot (a class: no closure per queued call). */
class QueuedCall implements SlotWaiter {
  cancelled = false;
  constructor(
    private readonly core: MockCore,
    private readonly call: Call,
  ) {}

  grant(): void {
    this.core.granted(this.call);
  }
}

/** A stream chunk's text up to its `choices` (the same in every chunk of the stream). */
function chunkHead(call: Call, plan: ChatPlan): string {
  return `data: {"id":"${call.id}","object":"chat.completion.chunk","created":${Math.floor(call.arrivalWallMs / 1000)},"model":${plan.modelJson},"system_fingerprint":"fp_mock",`;
}
/** A content chunk around its delta's fields. */
const DELTA_OPEN = '"choices":[{"index":0,"delta":{';
function deltaClose(plan: ChatPlan): string {
  return `},"logprobs":null,"finish_reason":null}]${plan.includeUsage ? ',"usage":null' : ''}}\n\n`;
}
const ROLE_FIELD = '"role":"assistant",';
const CONTENT_FIELD = '"content":"';
const ROLE_BYTES = Buffer.from(ROLE_FIELD);
const CONTENT_BYTES = Buffer.from(CONTENT_FIELD);

/**
 * Tokens `from` to `to` of a stream as SSE events, `data: {…"delta":{"content":"<token>"}…}\n\n`
 * each (the first with the role), encoded by copying bytes: a stream's tokens are the server's
 * most frequent writes, and a string per token (concatenated, then flattened again when
 * written to the socket) made most of its garbage and so of its collector pauses.
 */
class TokenEvents implements ByteSource {
  from = 0;
  to = 0;
  /** The event up to the delta's fields, and from the token's closing quote on. */
  private readonly head: Uint8Array;
  private readonly tail: Uint8Array;

  constructor(
    chunkPrefix: string,
    chunkSuffix: string,
    private readonly text: GeneratedText,
  ) {
    this.head = Buffer.from(chunkPrefix);
    this.tail = Buffer.from('"' + chunkSuffix);
  }

  byteLength(): number {
    let len = (this.to - this.from) * (this.head.length + CONTENT_BYTES.length + this.tail.length);
    if (this.from === 0 && this.to > 0) len += ROLE_BYTES.length;
    for (let i = this.from; i < this.to; i++) len += this.text.tokenBytes(i).length;
    return len;
  }

  /** The same bytes as text. */
  toText(): string {
    const bytes = Buffer.allocUnsafe(this.byteLength());
    this.encodeInto(bytes, 0);
    return bytes.toString();
  }

  encodeInto(target: Uint8Array, offset: number): void {
    const { head, tail, text } = this;
    let o = offset;
    for (let i = this.from; i < this.to; i++) {
      target.set(head, o);
      o += head.length;
      if (i === 0) {
        target.set(ROLE_BYTES, o);
        o += ROLE_BYTES.length;
      }
      target.set(CONTENT_BYTES, o);
      o += CONTENT_BYTES.length;
      const token = text.tokenBytes(i);
      target.set(token, o);
      o += token.length;
      target.set(tail, o);
      o += tail.length;
    }
  }
}

interface ChatPlan {
  kind: 'chat';
  /** The model id as a JSON string literal. */
  modelJson: string;
  /** The stream's token events as bytes, set when a stream of at least one token starts. */
  events: TokenEvents | undefined;
  /**
   * UTF-8 bytes minus characters of the model id's JSON: everything else in a whole answer is
   * ASCII (ids, numbers, the generated words), so this is its surplus.
   */
  modelExtraBytes: number;
  text: GeneratedText;
  finishReason: 'stop' | 'length';
  cut: boolean;
  includeUsage: boolean;
  mock: (Judgement & { difficulty: number }) | undefined;
}

interface EmbeddingsPlan {
  kind: 'embeddings';
  model: string;
  texts: string[];
  dims: number;
  base64: boolean;
  cut: boolean;
}

interface Extras {
  outputTokens: number | undefined;
  difficulty: number | undefined;
  fault: string | undefined;
  faultOnce: string | undefined;
}

/** Reads the mock's own request headers and metadata fields. */
function readExtras(req: CoreRequest, body: ChatRequest | undefined): Extras | ApiError {
  const meta = body?.metadata ?? undefined;
  const rawOut = req.header(MOCK_REQUEST_HEADERS.outputTokens) ?? meta?.['mock_output_tokens'] ?? undefined;
  let outputTokens: number | undefined;
  if (rawOut !== undefined && rawOut !== null) {
    outputTokens = Number(rawOut);
    if (!Number.isInteger(outputTokens) || outputTokens < 0) {
      return invalidRequest(`Invalid output length "${String(rawOut)}" (${MOCK_REQUEST_HEADERS.outputTokens} / metadata.mock_output_tokens): expected an integer >= 0.`, 'metadata.mock_output_tokens', 'invalid_mock_header');
    }
  }
  const rawDiff = req.header(MOCK_REQUEST_HEADERS.difficulty) ?? meta?.['difficulty'] ?? undefined;
  let difficulty: number | undefined;
  if (rawDiff !== undefined && rawDiff !== null) {
    difficulty = Number(rawDiff);
    if (!Number.isFinite(difficulty) || difficulty < 0 || difficulty > 1 || rawDiff === '') {
      return invalidRequest(`Invalid difficulty "${String(rawDiff)}" (${MOCK_REQUEST_HEADERS.difficulty} / metadata.difficulty): expected a number in [0, 1].`, 'metadata.difficulty', 'invalid_mock_header');
    }
  }
  return {
    outputTokens,
    difficulty,
    fault: req.header(MOCK_REQUEST_HEADERS.fault),
    faultOnce: req.header(MOCK_REQUEST_HEADERS.faultOnce),
  };
}

/** The `usage` object of a chat response, as JSON text. */
function usageJson(call: Call): string {
  return (
    `{"prompt_tokens":${call.inputTokens},"completion_tokens":${call.outputTokens},"total_tokens":${call.inputTokens + call.outputTokens},` +
    `"prompt_tokens_details":{"cached_tokens":${call.cachedInputTokens},"audio_tokens":0},` +
    `"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}`
  );
}

function modelObject(spec: ModelSpec): Record<string, unknown> {
  return { id: spec.id, object: 'model', created: 0, owned_by: spec.provider };
}

function modelNotFound(id: string): ApiError {
  return new ApiError(404, `The model \`${id}\` does not exist or you do not have access to it.`, 'invalid_request_error', 'model_not_found', 'model');
}

function serverError(kind: '500' | '503'): ApiError {
  return kind === '500'
    ? new ApiError(500, 'The server had an error while processing your request. Sorry about that! (injected by mock-llm)', 'server_error', 'server_error')
    : new ApiError(503, 'The engine is currently overloaded, please try again later. (injected by mock-llm)', 'server_error', 'service_unavailable');
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function sendJson(sink: ResponseSink, status: number, value: unknown): void {
  sink.send(status, { 'content-type': JSON_TYPE }, JSON.stringify(value));
}

function sendError(sink: ResponseSink, err: ApiError, headers: Record<string, string> = {}): void {
  sink.send(err.status, { 'content-type': JSON_TYPE, ...headers, ...err.headers }, err.toBody());
}
