/**
 * One call's state as the core and the runner share it: the model it is for, its request and
 * answer, its timing and its progress; and the prompt as counted before a call exists.
 */
import type { Rng } from '../src/core/random.ts';
import type { ModelSpec } from '../src/provider/catalog.ts';
import type { ConcurrencyGate, RateLimiter, SlotWaiter } from '../src/provider/limits.ts';
import type { PromptCache } from '../src/provider/prompt-cache.ts';
import type { Judgement } from '../src/provider/quality.ts';
import { generateText, REPLY_PRIMER_IDS, type TokenIds } from '../src/provider/tokens.ts';
import { generatedAnswer, type Answer } from './answer.ts';
import type { ResponseSink } from './exchange.ts';
import { callId, type LedgerEndpoint } from './ledger.ts';
import type { ModelRequest } from './model-request.ts';
import type { CallView, Protocol, StreamWriter } from './protocol.ts';
import type { ScheduledTask } from '../src/core/scheduler.ts';

export interface Extras {
  outputTokens: number | undefined;
  difficulty: number | undefined;
  /** `x-mock-quality-seed`: the caller's answer seed (`answerSeed`), so the verdict matches the simulator's. */
  qualitySeed: number | undefined;
  fault: string | undefined;
  faultOnce: string | undefined;
}

export interface ModelState {
  spec: ModelSpec;
  gate: ConcurrencyGate;
  limiter: RateLimiter | undefined;
  promptCache: PromptCache | undefined;
}

/** Context shared by every step of one call (a model call is also what its protocol renders). */
export interface Call extends CallView {
  /** Every choice's answer when the request asked for several (`answer` is the first); undefined for one. */
  choices: readonly Answer[] | undefined;
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

/** A request answered before (see MockCore.promptCounted). */
export interface KnownRequest {
  request: ModelRequest;
  requestKey: number;
  promptParts: TokenIds[];
  /** Its fixed answer; undefined when it is answered with generated words (as many as each repeat asks for). */
  answer: Answer | undefined;
}

/** What a model request has once its prompt is counted. */
export interface Counted {
  protocol: Protocol;
  request: ModelRequest;
  model: ModelState;
  extras: Extras;
  promptParts: TokenIds[];
  arrivalMs: number;
  /** What the answer's draws depend on (see answerKey). */
  requestKey: number;
}

export interface EmbeddingsPlan {
  model: string;
  texts: string[];
  dims: number;
  base64: boolean;
}

/** A call's answer before it has one (errors, embeddings). */
const NO_ANSWER = generatedAnswer(generateText(0, 0), 0, null);

/** The request an embeddings call carries (it renders no model answer). */
export const EMBEDDINGS_REQUEST: ModelRequest = Object.freeze<ModelRequest>({
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
  choices: 1,
});

/** A new call (no answer yet: `NO_ANSWER`), its id from its endpoint and sequence number. */
export function newCall(
  seq: number,
  arrivalMs: number,
  protocol: Protocol,
  model: ModelState,
  stream: boolean,
  inputTokens: number,
  sink: ResponseSink,
  request: ModelRequest,
  requestKey: number,
): Call {
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
    choices: undefined,
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

/** Stream units of a call: its answer's, or the most of any choice's (each choice sends its unit k at the same time). */
export function unitsOf(call: Call): number {
  const choices = call.choices;
  if (choices === undefined) return call.answer.units;
  let units = 0;
  for (const a of choices) if (a.units > units) units = a.units;
  return units;
}

/** Token gaps between unit `k - 1` and unit `k` (0 < k < unitsOf(call)): the most of any choice's (see Answer.tokensBefore). */
export function gapsBefore(call: Call, k: number): number {
  const choices = call.choices;
  if (choices === undefined) return call.answer.tokensBefore(k);
  let gaps = 0;
  for (const a of choices) if (k < a.units && a.tokensBefore(k) > gaps) gaps = a.tokensBefore(k);
  return gaps;
}

/** Output tokens billed for the first `k` units of every choice. */
export function tokensThroughOf(call: Call, k: number): number {
  const choices = call.choices;
  if (choices === undefined) return call.answer.tokensThrough(k);
  let tokens = 0;
  for (const a of choices) tokens += a.tokensThrough(Math.min(k, a.units));
  return tokens;
}

/** Output tokens of the whole answer, every choice's together. */
export function outputTokensOf(call: Call): number {
  const choices = call.choices;
  if (choices === undefined) return call.answer.outputTokens;
  let tokens = 0;
  for (const a of choices) tokens += a.outputTokens;
  return tokens;
}

/**
 * The prompt's cached tokens: OpenAI's automatic caching (prefixes from 1,024 tokens in steps
 * of 128), or, when the request marks a prefix (Anthropic cache_control), that prefix read
 * from or written to the cache. A prompt below the cache's minimum is neither served nor recorded.
 */
export function readPromptCache(call: Call, c: Counted, promptTokens: number): void {
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
