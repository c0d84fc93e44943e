/**
 * The one request-handling core of the mock: routing, limits, faults, latency, the answer,
 * pricing, the ledger and metrics, for every protocol. Each protocol adapter (protocols/*.ts)
 * parses its wire request into a `ModelRequest` and renders the answer; each transport (server.ts,
 * msw.ts) turns its request into a `CoreRequest` and gives a `ResponseSink` to write to.
 */
import { performance } from 'node:perf_hooks';
import { hashString, Rng } from '../src/core/random.ts';
import { findModel, type ModelSpec } from '../src/provider/catalog.ts';
import { Embedder, toBase64 } from '../src/provider/embeddings.ts';
import { sampleGapMs, sampleTtftMs } from '../src/provider/latency.ts';
import { ConcurrencyGate, RateLimiter, TOO_LARGE_RETRY_AFTER_MS, type SlotWaiter } from '../src/provider/limits.ts';
import { MOCK_REQUEST_HEADERS } from '../src/provider/mock-headers.ts';
import { callCostUsd } from '../src/provider/pricing.ts';
import { PromptCache } from '../src/provider/prompt-cache.ts';
import { judge, type Judgement } from '../src/provider/quality.ts';
import { countTexts, tokenizeMessages, warmTokenizer } from '../src/provider/tokenizer.ts';
import { cachedMessageTokens, generateText, REPLY_PRIMER_IDS, REPLY_PRIMER_TOKENS, rememberMessageTokens, type TokenIds } from '../src/provider/tokens.ts';
import { draftAnswer, fixedAnswer, generatedAnswer, textsToCount, type Answer } from './answer.ts';
import { ApiError, invalidRequest } from './errors.ts';
import { FORCEABLE_FAULTS, type CoreRequest, type ForcedFault, type ResponseSink } from './exchange.ts';
import { FixtureSet, type FixtureOutcome } from './fixtures.ts';
import { callId, Ledger, type CallOutcome, type LedgerEndpoint } from './ledger.ts';
import { Metrics, type ModelGauges } from './metrics.ts';
import { answerKey, type ModelRequest } from './model-request.ts';
import { faultsFor, limitsFor, type ResolvedMockOptions } from './options.ts';
import type { CallView, Protocol, StreamWriter } from './protocol.ts';
import { anthropicMessages } from './protocols/anthropic-messages.ts';
import { openaiChat } from './protocols/openai-chat.ts';
import { openaiCompletions } from './protocols/openai-completions.ts';
import { openaiResponses } from './protocols/openai-responses.ts';
import { EmbeddingsRequestSchema, parseBody, type EmbeddingsRequest } from './requests.ts';
import { EARLY_TOLERANCE_MS, Scheduler, type ScheduledTask } from './scheduler.ts';

export type { CoreRequest, ResponseSink } from './exchange.ts';
export { FORCEABLE_FAULTS, type ForcedFault } from './exchange.ts';

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

/** The model APIs, by path. */
const PROTOCOLS: ReadonlyMap<string, Protocol> = new Map([
  ['/v1/chat/completions', openaiChat],
  ['/v1/responses', openaiResponses],
  ['/v1/completions', openaiCompletions],
  ['/v1/messages', anthropicMessages],
]);

interface ModelState {
  spec: ModelSpec;
  gate: ConcurrencyGate;
  limiter: RateLimiter | undefined;
  promptCache: PromptCache | undefined;
}

/** Context shared by every step of one call (a model call is also what its protocol renders). */
interface Call extends CallView {
  id: string;
  seq: number;
  arrivalMs: number;
  arrivalWallMs: number;
  endpoint: LedgerEndpoint;
  protocol: Protocol;
  model: ModelState;
  stream: boolean;
  inputTokens: number;
  cachedInputTokens: number;
  cacheWriteTokens: number;
  outputTokens: number;
  /** UTF-8 bytes minus characters of the model id's JSON (see Protocol.asciiWhole). */
  modelExtraBytes: number;
  request: ModelRequest;
  answer: Answer;
  mock: (Judgement & { difficulty: number }) | undefined;
  queueMs: number;
  ttftMs: number | null;
  headers: Record<string, string>;
  /** Status line already sent (0 before any). */
  statusSent: number;
  sink: ResponseSink;
  /** Admitted with something to send (an answer or embeddings); false for a call that only errors. */
  planned: boolean;
  /** Embeddings to send, for an embeddings call. */
  embeddings: EmbeddingsPlan | undefined;
  /** Send half and break the connection (an injected cut). */
  cut: boolean;
  /** A stream's events, once its headers are sent. */
  writer: StreamWriter | undefined;
  /** Absolute due time of the first token (of the whole answer when not streamed). */
  firstDueMs: number;
  /** A stream's due time of its next unit (`sent`), advanced by one gap per unit sent. */
  nextDueMs: number;
  /** A stream's gap between units when every gap is the same (exact latencies, or none). */
  gapMs: number;
  /**
   * A stream's generator of random gaps, in the state it had after the TTFT draw at admission:
   * it draws the same gaps again as the units go, rather than keeping every unit's due time.
   */
  gapDraws: Rng | undefined;
  /** Requests in flight at admission (the load that scales every gap). */
  loadInFlight: number;
  /** Absolute due time of the step scheduled last (a whole answer's send; a stream's next unit). */
  stepDueMs: number;
  /** Stream progress: units sent. */
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

/** A request whose fixed answer is known (see promptCounted). */
interface KnownRequest {
  request: ModelRequest;
  requestKey: number;
  promptParts: TokenIds[];
  answer: Answer;
}

/** What a model request has once its prompt is counted. */
interface Counted {
  protocol: Protocol;
  request: ModelRequest;
  model: ModelState;
  extras: Extras;
  promptParts: TokenIds[];
  arrivalMs: number;
  /** What the answer's draws depend on (see answerKey). */
  requestKey: number;
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
  private readonly fixtures: FixtureSet | undefined;
  private seq = 0;
  /** Model requests received (fixture matchers' request index). */
  private modelRequests = 0;
  private closed = false;
  /** Requests waiting for the tokenizer thread, by their sinks (counted as active; cut at close). */
  private readonly tokenizing = new Set<ResponseSink>();
  /** Fixed answers' texts' token counts (agents resend the same tool calls). */
  private readonly textTokens = new Map<string, number>();
  /** Requests with fixed answers, by protocol and body (see promptCounted). */
  private readonly fixedRequests = new Map<Protocol, Map<string, KnownRequest>>();

  constructor(readonly options: ResolvedMockOptions) {
    this.ledger = new Ledger(options.ledgerMaxRows);
    this.embedder = new Embedder(options.seed);
    this.fixtures = options.fixtures.length === 0 ? undefined : new FixtureSet(options.fixtures);
    warmTokenizer();
  }

  /** Answers one request. Never throws: internal failures become a 500 error. */
  handle(req: CoreRequest, sink: ResponseSink): void {
    try {
      this.route(req, sink);
    } catch (err) {
      this.internalError(sink, err as Error, PROTOCOLS.get(req.path) ?? openaiChat);
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
    const { method, path } = req;
    const protocol = PROTOCOLS.get(path);
    const shape = protocol ?? openaiChat; // errors outside the model APIs are OpenAI-shaped
    if (this.closed) return sendError(sink, shape, new ApiError(503, 'The mock server is shutting down.', 'server_error', 'shutting_down'));
    const allow = protocol !== undefined ? 'POST' : (ROUTES[path] ?? (path.startsWith('/v1/models/') ? 'GET' : undefined));
    if (allow === undefined) {
      this.metrics.error('unknown_url');
      return sendError(sink, shape, new ApiError(404, `Invalid URL (${method} ${path})`, 'invalid_request_error', 'unknown_url'));
    }
    if (!(protocol !== undefined ? POST_ONLY : (ROUTE_METHODS[path] ?? GET_ONLY)).includes(method)) {
      this.metrics.error('method_not_allowed');
      return sendError(
        sink,
        shape,
        new ApiError(405, `Method ${method} is not allowed on ${path}; allowed: ${allow}.`, 'invalid_request_error', 'method_not_allowed', null, { allow }),
      );
    }
    const key = this.options.apiKey;
    if (path.startsWith('/v1/') && key !== undefined && !shape.authorized(req, key)) {
      this.metrics.error('invalid_api_key');
      return sendError(sink, shape, shape.unauthorized(req));
    }
    if (req.bodyTooLarge) {
      this.metrics.error('request_too_large');
      return sendError(
        sink,
        shape,
        new ApiError(
          413,
          `Request body too large: the limit is ${this.options.maxBodyBytes} bytes (option maxBodyBytes).`,
          'invalid_request_error',
          'request_too_large',
        ),
      );
    }
    if (protocol !== undefined) return this.modelCall(protocol, req, sink);
    switch (path) {
      case '/v1/embeddings':
        return this.embeddingsCall(req, sink);
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
        if (spec === undefined) return sendError(sink, shape, modelNotFound(id));
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
    if (ndjson) return sink.send(200, { 'content-type': 'application/x-ndjson' }, this.ledger.toNdjson());
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

  // ---- model calls (every protocol) ---------------------------------------------------------

  private modelCall(protocol: Protocol, req: CoreRequest, sink: ResponseSink): void {
    const arrivalMs = performance.now();
    const endpoint = protocol.endpoint;
    const known = this.fixedRequests.size === 0 ? undefined : this.fixedRequests.get(protocol)?.get(req.body);
    const request = known?.request ?? protocol.parse(req.body, req);
    if (request instanceof ApiError) return this.reject(sink, protocol, request, NO_MODEL, endpoint);
    const model = this.modelState(request.model);
    if (model === undefined) return this.reject(sink, protocol, modelNotFound(request.model), NO_MODEL, endpoint);
    if (model.spec.kind !== 'chat') {
      const err = invalidRequest(
        `Model "${request.model}" is an embedding model; use POST /v1/embeddings, or pick a chat model.`,
        'model',
        'model_not_supported',
      );
      return this.reject(sink, protocol, err, request.model, endpoint);
    }
    const extras = readExtras(req, request.metadata);
    if (extras instanceof ApiError) return this.reject(sink, protocol, extras, request.model, endpoint);
    if (known !== undefined) {
      const c: Counted = { protocol, request, model, extras, promptParts: known.promptParts, arrivalMs, requestKey: known.requestKey };
      return this.callFor(req, sink, c, known.answer, undefined);
    }

    // the prompt's tokens per message, from the cache (by content) or the tokenizer thread
    const messages = request.messages;
    const promptParts = new Array<TokenIds>(messages.length);
    let missing: number[] | undefined;
    for (let i = 0; i < messages.length; i++) {
      const m = messages[i]!;
      const ids = cachedMessageTokens(m.role, m.content);
      if (ids === undefined) (missing ??= []).push(i);
      else promptParts[i] = ids;
    }
    const counted: Counted = { protocol, request, model, extras, promptParts, arrivalMs, requestKey: answerKey(request, this.options.seed) };
    if (missing === undefined) return this.promptCounted(req, sink, counted);
    const pending = missing;
    this.tokenizing.add(sink);
    tokenizeMessages(pending.map((i) => [messages[i]!.role, messages[i]!.content] as const)).then(
      (ids) => {
        pending.forEach((i, k) => {
          promptParts[i] = ids[k]!;
          rememberMessageTokens(messages[i]!.role, messages[i]!.content, ids[k]!);
        });
        this.resume(req, sink, protocol, () => this.promptCounted(req, sink, counted));
      },
      (err: Error) => this.resume(req, sink, protocol, () => this.internalError(sink, err, protocol)),
    );
  }

  /** Continues a request after the tokenizer thread answered, unless the server closed or the client left meanwhile. */
  private resume(req: CoreRequest, sink: ResponseSink, protocol: Protocol, next: () => void): void {
    if (!this.tokenizing.delete(sink)) return; // cut when the server closed
    if (req.gone()) return; // nothing was billed or sent: no ledger row, like a request rejected up front
    try {
      next();
    } catch (err) {
      this.internalError(sink, err as Error, protocol);
    }
  }

  private internalError(sink: ResponseSink, err: Error, protocol: Protocol): void {
    this.metrics.error('internal');
    sendError(sink, protocol, new ApiError(500, `mock-llm internal error: ${err.message}`, 'server_error', 'internal_error'));
  }

  /**
   * The answer: generated words, or a fixed one (a fixture's, tool calls, JSON) whose texts are
   * counted first; then the call. A request with a fixed answer (not a fixture's) is kept by its
   * body with its checked request, prompt tokens and answer (the same body gets the same answer,
   * and a load test or an agent's retry sends the same ones again): a repeated one skips checking
   * its tools and schemas, generating, counting and splitting (see modelCall).
   */
  private promptCounted(req: CoreRequest, sink: ResponseSink, c: Counted): void {
    const index = this.modelRequests++;
    const fixture = this.fixtures?.match(c.request, c.protocol.endpoint, index, c.requestKey, c.protocol.toolCallIdPrefix);
    if (fixture !== undefined && fixture.kind !== 'draft') return this.callFor(req, sink, c, undefined, fixture);
    const target = c.extras.outputTokens ?? c.model.spec.defaultOutputTokens;
    const draft = fixture?.draft ?? draftAnswer(c.request, this.options.seed, c.requestKey, this.options.tools, c.protocol.toolCallIdPrefix, target);
    if (draft.generateTokens !== undefined) return this.callFor(req, sink, c, draft.generateTokens, undefined);
    const texts = textsToCount(draft);
    const counts = texts.map((t) => this.textTokens.get(t) ?? -1);
    const fixed = (): void => {
      const answer = fixedAnswer(draft, counts, c.request.maxOutputTokens, c.request.stop);
      if (this.fixtures === undefined && req.body.length <= ANSWER_MEMO_MAX_BODY) {
        let byBody = this.fixedRequests.get(c.protocol);
        if (byBody === undefined) this.fixedRequests.set(c.protocol, (byBody = new Map()));
        remember(byBody, req.body, { request: c.request, requestKey: c.requestKey, promptParts: c.promptParts, answer }, ANSWER_MEMO_MAX);
      }
      this.callFor(req, sink, c, answer, undefined);
    };
    const unknown = texts.filter((_, i) => counts[i] === -1);
    if (unknown.length === 0) return fixed();
    this.tokenizing.add(sink);
    countTexts(unknown).then(
      (got) => {
        let k = 0;
        for (let i = 0; i < counts.length; i++) {
          if (counts[i] !== -1) continue;
          counts[i] = got[k]!;
          remember(this.textTokens, texts[i]!, got[k++]!, TEXT_TOKENS_MAX);
        }
        this.resume(req, sink, c.protocol, fixed);
      },
      (err: Error) => this.resume(req, sink, c.protocol, () => this.internalError(sink, err, c.protocol)),
    );
  }

  /**
   * The rest of a model request: context, faults and limits, the answer (`answer`: a fixed one,
   * or the number of words to generate), the prompt cache, admission.
   */
  private callFor(req: CoreRequest, sink: ResponseSink, c: Counted, answer: Answer | number | undefined, fixture: FixtureOutcome | undefined): void {
    const { request, model, protocol } = c;
    let promptTokens = request.rawPrompt ? 0 : REPLY_PRIMER_TOKENS;
    for (const ids of c.promptParts) promptTokens += ids.length;
    const spec = model.spec;
    const maxTokens = request.maxOutputTokens;
    const call = this.newCall(c.arrivalMs, protocol, model, request.stream, promptTokens, sink, request, c.requestKey);
    if (fixture?.kind === 'error') return this.fail(call, sink, fixture.error, 'error');
    const forced = fixture?.kind === 'fault' ? fixture.fault : this.forcedFault(req, c.extras.fault, c.extras.faultOnce);
    if (forced instanceof ApiError) return this.reject(sink, protocol, forced, request.model, protocol.endpoint);
    if (forced === 'context_length' || promptTokens + (maxTokens ?? 0) > spec.contextWindow) return this.contextTooLong(call, sink, promptTokens, maxTokens);
    const target = c.extras.outputTokens ?? spec.defaultOutputTokens;
    if (this.admitOrReject(call, sink, forced, promptTokens + (maxTokens ?? target))) return;
    const fault = forced === undefined ? this.randomFault(call) : forced;
    if (fault === '500' || fault === '503') return this.fail(call, sink, serverError(fault), 'error');
    if (fault === 'hang') return this.hang(call, req);

    if (typeof answer === 'number') {
      const n = Math.max(0, Math.min(answer, maxTokens ?? Infinity, spec.contextWindow - promptTokens));
      call.answer = generatedAnswer(generateText(n, c.requestKey), answer, request.stop);
    } else {
      call.answer = answer!;
    }
    this.readPromptCache(call, c, promptTokens);
    const difficulty = c.extras.difficulty;
    if (difficulty !== undefined) {
      const verdict = judge(spec.capability, difficulty, Rng.derive(this.options.seed, `judge|${req.body}`));
      call.mock = { ...verdict, difficulty };
      call.headers['x-mock-correct'] = String(verdict.correct);
      call.headers['x-mock-confidence'] = verdict.confidence.toFixed(4);
      call.headers['x-mock-difficulty'] = String(difficulty);
    }
    call.cut = fault === 'cut';
    call.planned = true;
    this.admit(call, req);
  }

  private contextTooLong(call: Call, sink: ResponseSink, promptTokens: number, maxTokens: number | null): void {
    const window = call.model.spec.contextWindow;
    const err = invalidRequest(
      `This model's maximum context length is ${window} tokens. However, you requested ${promptTokens + (maxTokens ?? 0)} tokens ` +
        `(${promptTokens} in the messages, ${maxTokens ?? 0} in the completion). Please reduce the length of the messages or completion.`,
      'messages',
      'context_length_exceeded',
    );
    this.fail(call, sink, err, 'context_length');
  }

  /**
   * The prompt's cached tokens: OpenAI's automatic caching (prefixes from 1,024 tokens in steps
   * of 128), or, when the request marks a prefix (Anthropic cache_control), that prefix read
   * from or written to the cache. A prompt below the cache's minimum is neither served nor recorded.
   */
  private readPromptCache(call: Call, c: Counted, promptTokens: number): void {
    const cache = c.model.promptCache;
    if (cache === undefined || promptTokens < cache.minPrefixTokens) return;
    const marked = c.request.cachePrefixMessages;
    if (marked === 0) {
      if (c.protocol.endpoint !== 'messages')
        call.cachedInputTokens = cache.lookup(c.request.rawPrompt ? c.promptParts : [...c.promptParts, REPLY_PRIMER_IDS], c.arrivalMs);
      return;
    }
    const prefix = c.promptParts.slice(0, marked);
    let prefixTokens = 0;
    for (const p of prefix) prefixTokens += p.length;
    if (prefixTokens < cache.minPrefixTokens) return;
    if (cache.readPrefix(prefix, c.arrivalMs)) call.cachedInputTokens = prefixTokens;
    else call.cacheWriteTokens = prefixTokens;
  }

  // ---- embeddings ---------------------------------------------------------------------------

  private embeddingsCall(req: CoreRequest, sink: ResponseSink): void {
    const arrivalMs = performance.now();
    const body = parseBody(EmbeddingsRequestSchema, req.body);
    if (body instanceof ApiError) return this.reject(sink, openaiChat, body, NO_MODEL, 'embeddings');
    const model = this.modelState(body.model);
    if (model === undefined) return this.reject(sink, openaiChat, modelNotFound(body.model), NO_MODEL, 'embeddings');
    const spec = model.spec;
    const bad = (message: string, param: string, code: string): void =>
      this.reject(sink, openaiChat, invalidRequest(message, param, code), body.model, 'embeddings');
    if (spec.kind !== 'embedding' || spec.dimensions === undefined)
      return bad(`Model "${body.model}" is a chat model; use POST /v1/chat/completions, or pick an embedding model.`, 'model', 'model_not_supported');
    const dims = body.dimensions ?? spec.dimensions;
    if (dims > spec.dimensions) return bad(`Invalid 'dimensions': ${dims} is more than ${body.model}'s ${spec.dimensions}.`, 'dimensions', 'invalid_value');
    const texts = typeof body.input === 'string' ? [body.input] : body.input;
    if (texts.some((t) => t.length === 0)) return bad("Invalid 'input': empty strings cannot be embedded.", 'input', 'invalid_value');
    const extras = readExtras(req, undefined);
    if (extras instanceof ApiError) return this.reject(sink, openaiChat, extras, body.model, 'embeddings');
    this.tokenizing.add(sink);
    countTexts(texts).then(
      (counts) => this.resume(req, sink, openaiChat, () => this.embeddingsCounted(req, sink, body, model, extras, texts, counts, dims, arrivalMs)),
      (err: Error) => this.resume(req, sink, openaiChat, () => this.internalError(sink, err, openaiChat)),
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
        const err = invalidRequest(
          `This model's maximum context length is ${spec.contextWindow} tokens, however input ${i} has ${count} tokens. Please reduce the input.`,
          'input',
          'context_length_exceeded',
        );
        return this.reject(sink, openaiChat, err, body.model, 'embeddings');
      }
      tokens += count;
    }
    const call = this.newCall(arrivalMs, openaiChat, model, false, tokens, sink, EMBEDDINGS_REQUEST, 0);
    call.endpoint = 'embeddings';
    call.id = callId('embeddings', call.seq);
    call.headers['x-request-id'] = call.id;
    const fault = this.forcedFault(req, extras.fault, extras.faultOnce);
    if (fault instanceof ApiError) return this.reject(sink, openaiChat, fault, body.model, 'embeddings');
    if (fault === 'context_length') {
      return this.fail(
        call,
        sink,
        invalidRequest(`This model's maximum context length is ${spec.contextWindow} tokens (forced by x-mock-fault).`, 'input', 'context_length_exceeded'),
        'context_length',
      );
    }
    if (this.admitOrReject(call, sink, fault, tokens)) return;
    const random = fault === undefined ? this.randomFault(call) : fault;
    if (random === '500' || random === '503') return this.fail(call, sink, serverError(random), 'error');
    if (random === 'hang') return this.hang(call, req);
    call.embeddings = { model: body.model, texts, dims, base64: body.encoding_format === 'base64' };
    call.cut = random === 'cut';
    call.planned = true;
    this.admit(call, req);
  }

  private sendEmbeddings(call: Call, plan: EmbeddingsPlan): void {
    const data = plan.texts.map((t, index) => {
      const v = this.embedder.embed(t, plan.dims);
      return { object: 'embedding', index, embedding: plan.base64 ? toBase64(v) : Array.from(v) };
    });
    const json = JSON.stringify({ object: 'list', data, model: plan.model, usage: { prompt_tokens: call.inputTokens, total_tokens: call.inputTokens } });
    call.headers['content-type'] = JSON_TYPE;
    if (call.cut) return this.cutBody(call, json);
    call.sink.send(200, call.headers, json);
    this.finish(call, 'ok', 200);
  }

  // ---- shared steps -------------------------------------------------------------------------

  private newCall(
    arrivalMs: number,
    protocol: Protocol,
    model: ModelState,
    stream: boolean,
    inputTokens: number,
    sink: ResponseSink,
    request: ModelRequest,
    requestKey: number,
  ): Call {
    const seq = this.seq++;
    const endpoint = protocol.endpoint;
    const id = callId(endpoint, seq);
    const arrivalWallMs = Date.now();
    const modelJson = JSON.stringify(request.model);
    return {
      id,
      seq,
      arrivalMs,
      arrivalWallMs,
      createdS: Math.floor(arrivalWallMs / 1000),
      endpoint,
      protocol,
      model,
      modelId: request.model,
      modelJson,
      modelExtraBytes: Buffer.byteLength(modelJson) - modelJson.length,
      request,
      requestKey,
      answer: NO_ANSWER,
      mock: undefined,
      stream,
      inputTokens,
      cachedInputTokens: 0,
      cacheWriteTokens: 0,
      outputTokens: 0,
      queueMs: 0,
      ttftMs: null,
      headers: { 'x-request-id': id },
      statusSent: 0,
      sink,
      planned: false,
      embeddings: undefined,
      cut: false,
      writer: undefined,
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
  private reject(sink: ResponseSink, protocol: Protocol, err: ApiError, model: string, endpoint: string): void {
    this.metrics.request(model, endpoint, err.status);
    this.metrics.error(err.code ?? err.type);
    sendError(sink, protocol, err);
  }

  /** Answers an error for a call and records it. */
  private fail(call: Call, sink: ResponseSink, err: ApiError, outcome: CallOutcome): void {
    this.metrics.error(err.code ?? err.type);
    sendError(sink, call.protocol, err, call.headers);
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
    const wait = Number.isFinite(retryAfterMs) ? retryAfterMs : TOO_LARGE_RETRY_AFTER_MS;
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
    call.queueMs = startMs - call.arrivalMs;
    const lat = call.model.spec.latency;
    const inFlight = call.model.gate.inFlight();
    // exact latencies (both cv 0): the draws cannot change any value (every gap is the same
    // number), so the call's generator is not derived and the gap is computed once
    const exact = lat.ttftCv === 0 && lat.itlCv === 0;
    const rng = exact ? UNUSED_DRAWS : Rng.derive(this.options.seed, `timing|${call.seq}`);
    const scale = this.options.timeScale;
    const isEmbeddings = call.embeddings !== undefined;
    const n = isEmbeddings ? 0 : call.answer.units;
    const streamed = !isEmbeddings && call.stream;
    const uncached = call.inputTokens - call.cachedInputTokens;
    let t = startMs + sampleTtftMs(lat, uncached, inFlight, rng) / scale;
    call.firstDueMs = t;
    // itlMs 0: every gap is 0, no draws; exact latencies: one gap for all
    const gap = lat.itlMs === 0 ? 0 : exact ? sampleGapMs(lat, inFlight, rng) / scale : NaN;
    if (lat.itlMs > 0) for (let i = 1; i < n; i++) t += exact ? gap : sampleGapMs(lat, inFlight, rng) / scale;
    if (streamed) {
      // the headers below need the last unit's due time now; a stream then draws its gaps again
      // as it sends (the same values in the same order), so it keeps no due time per unit
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
    if (!isEmbeddings) h['x-mock-output-tokens'] = String(call.answer.outputTokens);
    h['openai-processing-ms'] = String(Math.round(t - call.arrivalMs));
    if (streamed) {
      this.startStream(call);
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
    if (call.writer !== undefined) return this.emitStream(call, call.writer); // lateness per unit there
    this.metrics.lateness.observe(performance.now() - call.stepDueMs);
    if (call.embeddings !== undefined) return this.sendEmbeddings(call, call.embeddings);
    this.sendWhole(call);
  }

  private sendWhole(call: Call): void {
    call.ttftMs = call.firstDueMs - call.arrivalMs;
    call.outputTokens = call.answer.outputTokens;
    const protocol = call.protocol;
    const body = protocol.whole(call);
    call.headers['content-type'] = JSON_TYPE;
    if (call.cut) return this.cutBody(call, body);
    call.sink.send(200, call.headers, body, protocol.asciiWhole?.(call) === true ? body.length + call.modelExtraBytes : undefined);
    this.finish(call, 'ok', 200);
  }

  private startStream(call: Call): void {
    const headers = call.headers;
    headers['content-type'] = SSE_HEADERS['content-type'];
    headers['cache-control'] = SSE_HEADERS['cache-control'];
    call.sink.head(200, headers);
    call.statusSent = 200;
    call.headers = HEADERS_SENT; // the stream keeps no header object or values for its whole life
    call.writer = call.protocol.stream(call);
  }

  /**
   * Sends every unit already due in one write (a late wake-up adds no gap); the last ones go
   * in the same write as the end.
   */
  private emitStream(call: Call, writer: StreamWriter): void {
    const now = performance.now();
    const answer = call.answer;
    const n = answer.units;
    const cutAt = call.cut ? Math.floor(n / 2) : -1;
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
    call.outputTokens = answer.tokensThrough(sent);
    if (sent === cutAt || sent < n) {
      if (sent > first) writer.write(call.sink, first, sent);
      return sent === cutAt ? this.cutStream(call) : this.schedule(call, call.nextDueMs);
    }
    if (n === 0) lateness.observe(now - call.nextDueMs); // no unit: the empty answer is the one scheduled send
    call.sink.end(writer.end(first, sent));
    this.finish(call, 'ok', 200);
  }

  /** A stream's gap to its next unit (see Call.gapDraws). */
  private nextGapMs(call: Call): number {
    if (call.gapDraws === undefined) return call.gapMs;
    return sampleGapMs(call.model.spec.latency, call.loadInFlight, call.gapDraws) / this.options.timeScale;
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
    const usage = {
      inputTokens: billed ? call.inputTokens : 0,
      cachedInputTokens: billed ? call.cachedInputTokens : 0,
      cacheWriteInputTokens: billed ? call.cacheWriteTokens : 0,
      outputTokens: billed ? call.outputTokens : 0,
    };
    this.ledger.add({
      seq: call.seq,
      wallMs: call.arrivalWallMs,
      endpoint: call.endpoint,
      model: spec.id,
      stream: call.stream,
      ...usage,
      costUsd: callCostUsd(spec.pricing, usage),
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
const TEXT_TOKENS_MAX = 4096;
/** Fixed answers kept, and the longest request body whose answer is kept (bounds the memory: 256 × 16 KB). */
const ANSWER_MEMO_MAX = 256;
const ANSWER_MEMO_MAX_BODY = 16 * 1024;

/** Adds to a bounded map (the oldest entry goes first). */
function remember<V>(map: Map<string, V>, key: string, value: V, max: number): void {
  if (map.size >= max) map.delete(map.keys().next().value!);
  map.set(key, value);
}

/** Allowed methods per path (the model APIs, all POST, are in PROTOCOLS). */
const ROUTES: Readonly<Record<string, string>> = Object.freeze({
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
const POST_ONLY: readonly string[] = ['POST'];

/** A streaming call's headers once sent (nothing reads or adds to them after that). */
const HEADERS_SENT: Record<string, string> = Object.freeze({}) as Record<string, string>;
/** Stands in for a call's generator when the draws cannot change any value (exact latencies). */
const UNUSED_DRAWS = new Rng(0);
/** A call's answer before it has one (errors, embeddings). */
const NO_ANSWER = generatedAnswer(generateText(0, 0), 0, null);
/** The request an embeddings call carries (it renders no model answer). */
const EMBEDDINGS_REQUEST: ModelRequest = Object.freeze<ModelRequest>({
  model: '',
  messages: [],
  rawPrompt: false,
  stream: false,
  maxOutputTokens: null,
  stop: null,
  tools: [],
  toolChoice: { kind: 'none' },
  parallelToolCalls: false,
  format: { kind: 'text' },
  includeUsage: false,
  turn: { lastRole: 'user', toolRounds: 0 },
  lastUserText: '',
  hasToolResult: false,
  metadata: undefined,
  seed: null,
  topLogprobs: null,
  cachePrefixMessages: 0,
});

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

interface EmbeddingsPlan {
  model: string;
  texts: string[];
  dims: number;
  base64: boolean;
}

interface Extras {
  outputTokens: number | undefined;
  difficulty: number | undefined;
  fault: string | undefined;
  faultOnce: string | undefined;
}

/** Reads the mock's own request headers and metadata fields. */
function readExtras(req: CoreRequest, metadata: Readonly<Record<string, unknown>> | null | undefined): Extras | ApiError {
  const meta = metadata ?? undefined;
  const rawOut = req.header(MOCK_REQUEST_HEADERS.outputTokens) ?? ownField(meta, 'mock_output_tokens');
  let outputTokens: number | undefined;
  if (rawOut !== undefined && rawOut !== null) {
    outputTokens = Number(rawOut);
    if (!Number.isInteger(outputTokens) || outputTokens < 0) {
      return invalidRequest(
        `Invalid output length "${String(rawOut)}" (${MOCK_REQUEST_HEADERS.outputTokens} / metadata.mock_output_tokens): expected an integer >= 0.`,
        'metadata.mock_output_tokens',
        'invalid_mock_header',
      );
    }
  }
  const rawDiff = req.header(MOCK_REQUEST_HEADERS.difficulty) ?? ownField(meta, 'difficulty');
  let difficulty: number | undefined;
  if (rawDiff !== undefined && rawDiff !== null) {
    difficulty = Number(rawDiff);
    if (!Number.isFinite(difficulty) || difficulty < 0 || difficulty > 1 || rawDiff === '') {
      return invalidRequest(
        `Invalid difficulty "${String(rawDiff)}" (${MOCK_REQUEST_HEADERS.difficulty} / metadata.difficulty): expected a number in [0, 1].`,
        'metadata.difficulty',
        'invalid_mock_header',
      );
    }
  }
  return { outputTokens, difficulty, fault: req.header(MOCK_REQUEST_HEADERS.fault), faultOnce: req.header(MOCK_REQUEST_HEADERS.faultOnce) };
}

/** An own field of the metadata (never one inherited from Object.prototype). */
function ownField(meta: Readonly<Record<string, unknown>> | undefined, key: string): unknown {
  return meta !== undefined && Object.hasOwn(meta, key) ? meta[key] : undefined;
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

function sendError(sink: ResponseSink, protocol: Protocol, err: ApiError, headers: Record<string, string> = {}): void {
  sink.send(err.status, { 'content-type': JSON_TYPE, ...headers, ...err.headers }, protocol.errorBody(err));
}
