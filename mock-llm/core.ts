/**
 * The one request-handling core of the mock: routing, limits, faults, latency, the answer,
 * pricing, the ledger and metrics, for every protocol. Each protocol adapter (protocols/*.ts)
 * parses its wire request into a `ModelRequest` and renders the answer; each transport (server.ts,
 * msw.ts) turns its request into a `CoreRequest` and gives a `ResponseSink` to write to.
 */
import { performance } from 'node:perf_hooks';
import { Rng } from '../src/core/random.ts';
import { findModel } from '../src/provider/catalog.ts';
import { ConcurrencyGate, RateLimiter } from '../src/provider/limits.ts';
import { PromptCache } from '../src/provider/prompt-cache.ts';
import { judge, judgeAnswer } from '../src/provider/quality.ts';
import { countTexts, warmTokenizer } from '../src/provider/tokenizer.ts';
import { REPLY_PRIMER_TOKENS, type TokenIds } from '../src/provider/tokens.ts';
import { answerOf, draftAnswer, fixedAnswer, textsToCount, type Answer, type AnswerDraft } from './answer.ts';
import { ApiError, invalidRequest } from './errors.ts';
import type { CoreRequest, ResponseSink } from './exchange.ts';
import { FixtureSet, type FixtureOutcome } from './fixtures.ts';
import { callId, type Ledger } from './ledger.ts';
import type { Metrics, ModelGauges } from './metrics.ts';
import { answerKey, choiceKey } from './model-request.ts';
import { limitsFor, type ResolvedMockOptions } from './options.ts';
import type { Protocol } from './protocol.ts';
import { openaiChat } from './protocols/openai-chat.ts';
import { EmbeddingsRequestSchema, parseBody, type EmbeddingsRequest } from './requests.ts';
import { EMBEDDINGS_REQUEST, type Extras, newCall, type Call, type Counted, type ModelState, readPromptCache } from './call.ts';
import { FaultPicker } from './faults.ts';
import { KnownRequests, remember } from './known-requests.ts';
import { cachedParts, PromptBatcher } from './prompt-batch.ts';
import { modelNotFound, modelObject, protocolAt, GET_ONLY, POST_ONLY, readExtras } from './routes.ts';
import { ROUTE_METHODS, ROUTES, safeDecode, sendError, sendJson, serverError } from './routes.ts';
import { CallRunner } from './runner.ts';

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

const NO_MODEL = '(none)';

/** The core: one per server or msw handler set. */
export class MockCore {
  readonly ledger: Ledger;
  readonly metrics: Metrics;
  /** Runs every call once decided (timing, sending, the ledger). */
  private readonly runner: CallRunner;
  private readonly faults: FaultPicker;
  private readonly models = new Map<string, ModelState>();
  private readonly fixtures: FixtureSet | undefined;
  private seq = 0;
  /** Model requests received (fixture matchers' request index). */
  private modelRequests = 0;
  private closed = false;
  /** Requests waiting for the tokenizer thread, by their sinks (counted as active; cut at close). */
  private readonly tokenizing = new Set<ResponseSink>();
  /** Fixed answers' texts' token counts (agents resend the same tool calls). */
  private readonly textTokens = new Map<string, number>();
  /** Requests answered before, by body (see promptCounted); not with fixtures (they match by a request's index). */
  private readonly known: KnownRequests | undefined;
  /** New prompts waiting for the tokenizer thread, sent to it in batches. */
  private readonly prompts = new PromptBatcher({
    counted: (req, sink, c) => this.resume(req, sink, c.protocol, () => this.promptCounted(req, sink, c)),
    failed: (req, sink, c, err) => this.resume(req, sink, c.protocol, () => this.internalError(sink, err, c.protocol)),
    sent: (messages) => {
      this.metrics.tokenizedMessages += messages;
      this.metrics.tokenizerBatches++;
    },
  });

  constructor(readonly options: ResolvedMockOptions) {
    this.runner = new CallRunner(options);
    this.ledger = this.runner.ledger;
    this.metrics = this.runner.metrics;
    this.faults = new FaultPicker(options);
    this.fixtures = options.fixtures.length === 0 ? undefined : new FixtureSet(options.fixtures);
    this.known = this.fixtures === undefined ? new KnownRequests() : undefined;
    warmTokenizer();
  }

  /** Answers one request. Never throws: internal failures become a 500 error. */
  handle(req: CoreRequest, sink: ResponseSink): void {
    try {
      this.route(req, sink);
    } catch (err) {
      this.internalError(sink, err as Error, protocolAt(req.path) ?? openaiChat);
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
    return { inFlight, queued, active: this.runner.active.size + this.tokenizing.size, scheduledTasks: this.runner.scheduler.pending() };
  }

  /** Resolves once the core can keep time (its scheduler's wake-up thread runs). */
  ready(): Promise<void> {
    return this.runner.scheduler.ready();
  }

  /** Ends every call in progress (connections broken, ledger outcome "shutdown") and clears timers. */
  close(): void {
    this.closed = true;
    const runner = this.runner;
    for (const call of [...runner.active]) runner.interrupt(call, 'shutdown');
    runner.active.clear();
    for (const sink of this.tokenizing) sink.destroy();
    this.tokenizing.clear();
    runner.scheduler.close();
    this.metrics.health.close();
  }

  private route(req: CoreRequest, sink: ResponseSink): void {
    const { method, path } = req;
    const protocol = protocolAt(path);
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
    if ((path.startsWith('/v1/') || protocol !== undefined) && key !== undefined && !shape.authorized(req, key)) {
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
    const known = this.known?.get(protocol, req.body);
    const request = known?.request ?? protocol.parse(req.body, req, this.runner.conversations);
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
      return this.callFor(req, sink, c, known.answer ?? targetTokens(c), undefined);
    }

    // the prompt's tokens per message, from the cache (by content) or the tokenizer thread
    const promptParts = new Array<TokenIds>(request.messages.length);
    const missing = cachedParts(request.messages, promptParts);
    const counted: Counted = { protocol, request, model, extras, promptParts, arrivalMs, requestKey: answerKey(request, this.options.seed) };
    if (missing === undefined) return this.promptCounted(req, sink, counted);
    this.tokenizing.add(sink);
    this.prompts.count(req, sink, counted, missing);
  }

  /** Continues a request after the tokenizer thread answered, unless the server closed or the client left meanwhile. */
  private resume(req: CoreRequest, sink: ResponseSink, protocol: Protocol, next: () => void): void {
    // not when the server closed (the request was cut) or the client left (nothing was billed or
    // sent: no ledger row, like a request rejected up front)
    if (!this.tokenizing.delete(sink) || req.gone()) return;
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
   * counted first; then the call. A request is kept by its body with its checked request, prompt
   * tokens and fixed answer, if any (see known-requests.ts).
   */
  private promptCounted(req: CoreRequest, sink: ResponseSink, c: Counted): void {
    const index = this.modelRequests++;
    const fixture = this.fixtures?.match(c.request, c.protocol.endpoint, index, c.requestKey, c.protocol.toolCallIdPrefix);
    if (fixture !== undefined && fixture.kind !== 'draft') return this.callFor(req, sink, c, undefined, fixture);
    const target = targetTokens(c);
    const draft = fixture?.draft ?? this.draft(c, c.requestKey, target);
    if (draft.generateTokens !== undefined) {
      this.known?.keep(req.body, c, undefined);
      return this.callFor(req, sink, c, draft.generateTokens, undefined);
    }
    // n > 1: each further choice is drafted with its own key (it may call other tools, or none)
    const more: AnswerDraft[] = [];
    for (let k = 1; k < c.request.choices; k++) more.push(fixture?.draft ?? this.draft(c, choiceKey(c.requestKey, k), target));
    const texts = [draft, ...more].flatMap(textsToCount);
    const counts = texts.map((t) => this.textTokens.get(t) ?? -1);
    const fixed = (): void => {
      const { maxOutputTokens, stop } = c.request;
      const answer = fixedAnswer(draft, counts, maxOutputTokens, stop);
      if (more.length > 0) {
        let at = textsToCount(draft).length;
        const others = more.map((d) => {
          const n = textsToCount(d).length;
          at += n;
          return d.generateTokens ?? fixedAnswer(d, counts.slice(at - n, at), maxOutputTokens, stop);
        });
        return this.callFor(req, sink, c, answer, undefined, others);
      }
      this.known?.keep(req.body, c, answer);
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

  /** The rules' answer to the request with answer key `key` (a method, not a closure per request: see server.ts on keepNames). */
  private draft(c: Counted, key: number, target: number): AnswerDraft {
    return draftAnswer(c.request, this.options.seed, key, this.options.tools, c.protocol.toolCallIdPrefix, target);
  }

  /**
   * The rest of a model request: context, faults and limits, the answer (`answer`: a fixed one,
   * or the number of words to generate), the prompt cache, admission.
   */
  private callFor(
    req: CoreRequest,
    sink: ResponseSink,
    c: Counted,
    answer: Answer | number | undefined,
    fixture: FixtureOutcome | undefined,
    /** Choices 1… of a request for several: an answer, or words to generate (a generated choice 0 makes them all generated). */
    others?: ReadonlyArray<Answer | number>,
  ): void {
    const { request, model, protocol } = c;
    let promptTokens = request.rawPrompt ? 0 : REPLY_PRIMER_TOKENS;
    for (const ids of c.promptParts) promptTokens += ids.length;
    const spec = model.spec;
    const maxTokens = request.maxOutputTokens;
    const call = newCall(this.seq++, c.arrivalMs, protocol, model, request.stream, promptTokens, sink, request, c.requestKey);
    if (fixture?.kind === 'error') return this.runner.fail(call, sink, fixture.error, 'error');
    const forced = fixture?.kind === 'fault' ? fixture.fault : this.faults.forced(req, c.extras.fault, c.extras.faultOnce);
    if (forced instanceof ApiError) return this.reject(sink, protocol, forced, request.model, protocol.endpoint);
    if (forced === 'context_length' || promptTokens + (maxTokens ?? 0) > spec.contextWindow) return this.contextTooLong(call, sink, promptTokens, maxTokens);
    const target = c.extras.outputTokens ?? spec.defaultOutputTokens;
    if (this.runner.admitOrReject(call, sink, forced, promptTokens + (maxTokens ?? target))) return;
    const fault = forced === undefined ? this.faults.random(call.model.spec.id, call.seq) : forced;
    if (fault === '500' || fault === '503') return this.runner.fail(call, sink, serverError(fault), 'error');
    if (fault === 'hang') return this.runner.hang(call, req);

    const limit = Math.min(maxTokens ?? Infinity, spec.contextWindow - promptTokens);
    call.answer = answerOf(answer!, c.requestKey, limit, request.stop);
    if (request.choices > 1) {
      const rest = others ?? new Array<Answer | number>(request.choices - 1).fill(answer!);
      call.choices = [call.answer, ...rest.map((a, k) => answerOf(a, choiceKey(c.requestKey, k + 1), limit, request.stop))];
    }
    readPromptCache(call, c, promptTokens);
    const difficulty = c.extras.difficulty;
    if (difficulty !== undefined) {
      // seeded by the caller (the live client sends the simulator's answer seed) or by the body
      const seed = c.extras.qualitySeed;
      const verdict =
        seed !== undefined
          ? judgeAnswer(spec.capability, difficulty, seed)
          : judge(spec.capability, difficulty, Rng.derive(this.options.seed, `judge|${req.body}`));
      call.mock = { ...verdict, difficulty };
      call.headers['x-mock-correct'] = String(verdict.correct);
      // full precision: a cascade compares it with its threshold exactly as the simulator does
      call.headers['x-mock-confidence'] = String(verdict.confidence);
      call.headers['x-mock-difficulty'] = String(difficulty);
    }
    call.cut = fault === 'cut';
    call.planned = true;
    this.runner.admit(call, req);
  }

  private contextTooLong(call: Call, sink: ResponseSink, promptTokens: number, maxTokens: number | null): void {
    const window = call.model.spec.contextWindow;
    const err = invalidRequest(
      `This model's maximum context length is ${window} tokens. However, you requested ${promptTokens + (maxTokens ?? 0)} tokens ` +
        `(${promptTokens} in the messages, ${maxTokens ?? 0} in the completion). Please reduce the length of the messages or completion.`,
      'messages',
      'context_length_exceeded',
    );
    this.runner.fail(call, sink, err, 'context_length');
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
    const call = newCall(this.seq++, arrivalMs, openaiChat, model, false, tokens, sink, EMBEDDINGS_REQUEST, 0);
    call.endpoint = 'embeddings';
    call.id = callId('embeddings', call.seq);
    call.headers['x-request-id'] = call.id;
    const fault = this.faults.forced(req, extras.fault, extras.faultOnce);
    if (fault instanceof ApiError) return this.reject(sink, openaiChat, fault, body.model, 'embeddings');
    if (fault === 'context_length') {
      return this.runner.fail(
        call,
        sink,
        invalidRequest(`This model's maximum context length is ${spec.contextWindow} tokens (forced by x-mock-fault).`, 'input', 'context_length_exceeded'),
        'context_length',
      );
    }
    if (this.runner.admitOrReject(call, sink, fault, tokens)) return;
    const random = fault === undefined ? this.faults.random(call.model.spec.id, call.seq) : fault;
    if (random === '500' || random === '503') return this.runner.fail(call, sink, serverError(random), 'error');
    if (random === 'hang') return this.runner.hang(call, req);
    call.embeddings = { model: body.model, texts, dims, base64: body.encoding_format === 'base64' };
    call.cut = random === 'cut';
    call.planned = true;
    this.runner.admit(call, req);
  }

  /** Answers an invalid request before any call exists (no ledger row: nothing was billed). */
  private reject(sink: ResponseSink, protocol: Protocol, err: ApiError, model: string, endpoint: string): void {
    this.metrics.request(model, endpoint, err.status);
    this.metrics.error(err.code ?? err.type);
    sendError(sink, protocol, err);
  }
}

const TEXT_TOKENS_MAX = 4096;

/** Output tokens the request asks for (`x-mock-output-tokens`, else the model's default). */
function targetTokens(c: Counted): number {
  return c.extras.outputTokens ?? c.model.spec.defaultOutputTokens;
}
