/**
 * The wire half of the live LLM client: builds each request's body, sends it over keep-alive
 * pooled connections (undici), parses the SSE stream (eventsource-parser) and timestamps every
 * content token. It knows nothing of the run's clock: times are epoch milliseconds, so the same
 * transport can run in this thread or on a send thread of its own (src/live/send-thread.ts), and
 * `HttpLlmClient` turns its facts into results on the run's clock.
 */
import { createParser, type EventSourceMessage, type EventSourceParser } from 'eventsource-parser';
import { Agent, type Dispatcher } from 'undici';
import { EARLY_TOLERANCE_MS, Scheduler } from '../core/scheduler.ts';
import { MOCK_REQUEST_HEADERS } from '../provider/mock-headers.ts';
import { chatMessages, embeddingTexts, type PromptBlocks } from './prompt-text.ts';
import { readToolCallDeltas, type ToolTurn, type WireToolCall, toolFields } from './tool-wire.ts';

/** What a chat request needs on the wire (small, so it crosses threads cheaply; the prompt text is built by the transport). */
export interface ChatWire {
  /** The endpoint's model id. */
  model: string;
  step: string;
  prefixTokens: number;
  inputTokens: number;
  /** Fixes the user prompt's words (equal wording, equal text). */
  wording: string;
  /** A traced prompt's prefix blocks: the user text starts with them (see promptMessages). */
  prefixBlocks?: PromptBlocks;
  outputTokens: number;
  difficulty: number;
  /** The answer's quality seed (`answerSeed`): mock-llm judges the answer as the simulator does. */
  qualitySeed: number;
  /** Abort the request after this many wall milliseconds. */
  timeoutWallMs?: number;
  /** Hold the request until this epoch time (a request's first call, made before its arrival time). */
  notBeforeEpoch?: number;
  /** Tool calling: tools offered, earlier calls and results sent back (tool-wire.ts). */
  tools?: ToolTurn;
}

interface Usage {
  prompt_tokens: number;
  completion_tokens?: number;
  prompt_tokens_details?: { cached_tokens?: number };
}

/** What came back for a chat request; every time is epoch ms (`epochNow()`). */
export interface ChatFacts {
  /** `response`: an HTTP status arrived; `timeout`: aborted at `timeoutWallMs`; `network`: no response. */
  kind: 'response' | 'timeout' | 'network';
  status: number;
  /** When the request was handed to the connection pool. */
  sentAt: number;
  /** First content token (not the role-only chunk); -1 if none. */
  firstTokenAt: number;
  endAt: number;
  /** Wall ms between consecutive content tokens. */
  gaps: number[];
  contentChunks: number;
  usage?: Usage;
  /** `[DONE]` or a finish_reason arrived: the answer is whole. */
  finished: boolean;
  /** The server reported an error inside the stream. */
  failed: boolean;
  /** After a 429: the wait the server asked for, wall ms. */
  retryAfterWallMs?: number;
  /** A 400 whose body names the context length. */
  contextLength?: boolean;
  /** The tool calls the answer streamed (their first delta counts as the first token). */
  toolCalls?: WireToolCall[];
  /** mock-llm's quality verdict headers (absent for other endpoints). */
  correct?: string;
  confidence?: string;
}

/** What an embedding request needs on the wire. */
export interface EmbedWire {
  model: string;
  texts: number;
  inputTokens: number;
  /** Fixes the texts' words. */
  key: string;
  /** Hold the request until this epoch time (see ChatWire). */
  notBeforeEpoch?: number;
}

/** What came back for an embedding request. */
export interface EmbedFacts {
  kind: 'response' | 'network';
  status: number;
  sentAt: number;
  endAt: number;
  promptTokens?: number;
}

/** Sends the live client's requests. */
export interface HttpTransport {
  chat(wire: ChatWire): Promise<ChatFacts>;
  embed(wire: EmbedWire): Promise<EmbedFacts>;
  /** Opens `connections` keep-alive connections (GET /models), so set-up is not measured. */
  warmUp(connections: number): Promise<void>;
  close(): Promise<void>;
}

/** Options of the undici transport. */
export interface TransportOptions {
  /** Base URL with `/v1`. */
  baseUrl: string;
  apiKey?: string;
  /** Most connections to the endpoint (keep-alive, reused). @default 512 */
  connections?: number;
}

/**
 * Wall-clock time as epoch milliseconds with sub-millisecond resolution, one clock for every thread
 * of the process: node (20) gives its worker threads the main thread's `performance.timeOrigin`, and
 * `performance.now()` counts the process's monotonic clock in each (test/scale/epoch.test.ts), so a
 * held call's due time set on the run's thread and a token's timestamp taken on the send thread are
 * on one clock.
 */
export function epochNow(): number {
  return performance.timeOrigin + performance.now();
}

/** The part of an OpenAI chat-completion chunk the client reads. */
interface ChatChunk {
  choices?: Array<{ delta?: { content?: string | null; tool_calls?: unknown }; finish_reason?: string | null }>;
  usage?: Usage | null;
  error?: unknown;
}

/** One server-sent event of a chat stream (any line ending, comments, multi-line data: eventsource-parser). */
function onEvent(event: EventSourceMessage, f: ChatFacts): void {
  if (event.event === 'error') {
    f.failed = true;
    return;
  }
  const data = event.data.trim();
  if (data === '[DONE]') {
    f.finished = true;
    return;
  }
  let chunk: ChatChunk;
  try {
    chunk = JSON.parse(data) as ChatChunk;
  } catch {
    return; // not JSON (a keep-alive with data): nothing to count
  }
  if (chunk.error !== undefined && chunk.error !== null) f.failed = true;
  if (chunk.usage) f.usage = chunk.usage;
  for (const choice of chunk.choices ?? []) {
    if (typeof choice.delta?.content === 'string' && choice.delta.content !== '') {
      const now = epochNow();
      if (f.firstTokenAt < 0) f.firstTokenAt = now;
      else f.gaps.push(now - f.endAt);
      f.endAt = now; // the last token so far
      f.contentChunks++;
    } else if (choice.delta?.tool_calls != null) {
      // a call's delta is a token; a role chunk's `tool_calls: []` (or null elements) is not
      const calls = f.toolCalls ?? [];
      if (readToolCallDeltas(choice.delta.tool_calls, calls)) {
        if (f.firstTokenAt < 0) f.firstTokenAt = epochNow();
        f.toolCalls = calls;
      }
    }
    if (choice.finish_reason) f.finished = true;
  }
}

/**
 * Room a tool call gets beyond the tokens the agent predicts for it: the prediction follows
 * mock-llm's framing, and a provider that frames a call with more tokens must not be cut at
 * `length` (the next step would send truncated arguments); the cap only bounds a runaway.
 */
export const TOOL_CALL_SLACK_TOKENS = 256;

/** The call's `max_completion_tokens`: its output tokens, with room for a tool call's framing. */
function completionCap(w: ChatWire): number {
  return w.tools?.answersWithCall === true ? w.outputTokens + TOOL_CALL_SLACK_TOKENS : w.outputTokens;
}

/** Keep-alive pooled HTTP (undici) in the calling thread. */
export class UndiciTransport implements HttpTransport {
  private readonly agent: Agent;
  private readonly origin: string;
  private readonly prefix: string;
  private readonly auth: Record<string, string>;

  constructor(options: TransportOptions) {
    const url = new URL(options.baseUrl);
    this.origin = url.origin;
    this.prefix = url.pathname.replace(/\/$/, '');
    this.auth = options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {};
    this.agent = new Agent({ connections: options.connections ?? 512, keepAliveTimeout: 30_000, keepAliveMaxTimeout: 600_000 });
  }

  chat(w: ChatWire): Promise<ChatFacts> {
    const body = JSON.stringify({
      model: w.model,
      messages: chatMessages(w),
      ...toolFields(w.tools),
      stream: true,
      stream_options: { include_usage: true },
      max_completion_tokens: completionCap(w),
      metadata: { step: w.step },
    });
    const headers = {
      'content-type': 'application/json',
      ...this.auth,
      [MOCK_REQUEST_HEADERS.outputTokens]: String(w.outputTokens),
      // full precision (String round-trips a double), so the mock judges the simulator's difficulty
      [MOCK_REQUEST_HEADERS.difficulty]: String(w.difficulty),
      [MOCK_REQUEST_HEADERS.qualitySeed]: String(w.qualitySeed),
    };
    return new Promise((resolve) => {
      // undici's handler interface, not `request()`: no stream object or async iterator per answer
      whenDue(w.notBeforeEpoch, () =>
        this.agent.dispatch(
          { origin: this.origin, path: `${this.prefix}/chat/completions`, method: 'POST', headers, body },
          new ChatExchange(resolve, w.timeoutWallMs),
        ),
      );
    });
  }

  async embed(w: EmbedWire): Promise<EmbedFacts> {
    const body = JSON.stringify({ model: w.model, input: embeddingTexts(w.texts, w.inputTokens, w.key), encoding_format: 'float' });
    if (w.notBeforeEpoch !== undefined) await new Promise<void>((r) => whenDue(w.notBeforeEpoch, r));
    const f: EmbedFacts = { kind: 'response', status: 0, sentAt: epochNow(), endAt: -1 };
    try {
      const res = await this.agent.request({
        origin: this.origin,
        path: `${this.prefix}/embeddings`,
        method: 'POST',
        headers: { 'content-type': 'application/json', ...this.auth },
        body,
      });
      f.status = res.statusCode;
      const json = (await res.body.json()) as { usage?: { prompt_tokens: number } };
      if (json.usage !== undefined) f.promptTokens = json.usage.prompt_tokens;
    } catch {
      f.kind = 'network';
    }
    f.endAt = epochNow();
    return f;
  }

  async warmUp(connections: number): Promise<void> {
    await heldSends().ready(); // the held requests' timer thread runs before the clock starts
    await Promise.all(
      Array.from({ length: connections }, () =>
        this.agent.request({ origin: this.origin, path: `${this.prefix}/models`, method: 'GET', headers: this.auth }).then(
          (r) => r.body.dump(),
          () => undefined,
        ),
      ),
    );
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}

/** Requests held until their time (see whenDue); made with the first transport (its helper thread with it). */
let held: Scheduler | undefined;

function heldSends(): Scheduler {
  held ??= new Scheduler();
  return held;
}

const runHeld = (fn: () => void): void => fn();

/**
 * Runs `fn` at `epoch` (at once if due or unset), not before (within the scheduler's tolerance,
 * 0.02 ms). Not a node timer: those count whole milliseconds from the loop's cached time, so one
 * fires up to a millisecond early, and re-armed for what remains, up to a millisecond late; the
 * scheduler's helper thread wakes this loop within about 0.1 ms of the time.
 */
function whenDue(epoch: number | undefined, fn: () => void): void {
  if (epoch === undefined || epoch - epochNow() <= EARLY_TOLERANCE_MS) fn();
  else heldSends().at(epoch - performance.timeOrigin, runHeld, fn);
}

/** One chat request's life on the wire: its response read event by event into its facts. */
class ChatExchange implements Dispatcher.DispatchHandler {
  private readonly f: ChatFacts = {
    kind: 'response',
    status: 0,
    sentAt: epochNow(),
    firstTokenAt: -1,
    endAt: -1,
    gaps: [],
    contentChunks: 0,
    finished: false,
    failed: false,
  };
  private parser: EventSourceParser | undefined;
  private readonly decoder = new TextDecoder();
  /** A non-200 body, read for its error (400: context length). */
  private errorText = '';
  private controller: Dispatcher.DispatchController | undefined;
  private timer: NodeJS.Timeout | undefined;
  private timedOut = false;

  constructor(
    private readonly resolve: (f: ChatFacts) => void,
    timeoutWallMs: number | undefined,
  ) {
    if (timeoutWallMs !== undefined) {
      this.timer = setTimeout(
        () => {
          this.timedOut = true;
          this.controller?.abort(new Error('timeout'));
        },
        Math.max(1, timeoutWallMs),
      );
    }
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.timedOut) return controller.abort(new Error('timeout'));
    this.f.sentAt = epochNow(); // on a connection now (it may have waited for one)
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, headers: Record<string, string | string[] | undefined>): void {
    const f = this.f;
    f.status = statusCode;
    if (statusCode === 200) {
      const correct = headers['x-mock-correct'];
      const confidence = headers['x-mock-confidence'];
      if (typeof correct === 'string') f.correct = correct;
      if (typeof confidence === 'string') f.confidence = confidence;
      this.parser = createParser({ onEvent: (event) => onEvent(event, f) });
    } else if (statusCode === 429) {
      const ms = headers['retry-after-ms'];
      const s = headers['retry-after'];
      f.retryAfterWallMs = typeof ms === 'string' ? Number(ms) : (typeof s === 'string' ? Number(s) : 1) * 1000;
    }
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.parser !== undefined) this.parser.feed(this.decoder.decode(chunk, { stream: true }));
    else if (this.f.status === 400) this.errorText += chunk.toString();
  }

  onResponseEnd(): void {
    // an event not closed by a blank line before the body ended still counts
    if (this.parser !== undefined) this.parser.feed(`${this.decoder.decode()}\n\n`);
    if (this.f.status === 400) this.f.contextLength = this.errorText.includes('context_length');
    this.finish();
  }

  onResponseError(): void {
    this.f.kind = this.timedOut ? 'timeout' : 'network';
    this.finish();
  }

  private finish(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.f.endAt = epochNow();
    this.resolve(this.f);
  }
}
