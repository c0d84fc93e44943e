/**
 * The contract every protocol adapter satisfies (OpenAI chat, responses and completions,
 * Anthropic messages): parse its wire request into a `ModelRequest`, shape its errors, and render
 * the core's answer as a whole body or as a stream. The core owns everything else: latency,
 * limits, faults, pricing, the ledger.
 */
import type { Answer } from './answer.ts';
import type { ConversationStore } from './conversations.ts';
import type { ApiError } from './errors.ts';
import type { LedgerEndpoint } from './ledger.ts';
import type { ModelRequest } from './model-request.ts';
import type { Judgement } from '../src/provider/quality.ts';

/** Reads request headers by lower-case name (the core's request). */
export interface HeaderReader {
  header(name: string): string | undefined;
  /** The path and query string (Gemini names the model and the method in the path, the key in the query). */
  readonly path?: string;
  readonly query?: string;
}

/** What a renderer reads of a call. */
export interface CallView {
  /** The response id (also `x-request-id`). */
  readonly id: string;
  /** Arrival, Unix seconds (the `created` field). */
  readonly createdS: number;
  /** The requested model id, and the same as a JSON string literal. */
  readonly modelId: string;
  readonly modelJson: string;
  readonly request: ModelRequest;
  readonly answer: Answer;
  /** Every choice's answer when the request asked for several (`answer` is choice 0); undefined for one. */
  readonly choices: readonly Answer[] | undefined;
  /** Prompt tokens in all (cached and cache-written included). */
  readonly inputTokens: number;
  /** Of those, read from the prompt cache. */
  readonly cachedInputTokens: number;
  /** Of those, written to the prompt cache (Anthropic cache_control). */
  readonly cacheWriteTokens: number;
  /** Output tokens sent so far (all of them once the answer is complete). */
  readonly outputTokens: number;
  /** The answer's key (see answerKey): draws that must repeat for the same request (ids, logprobs). */
  readonly requestKey: number;
  /** The quality model's verdict, when the request gave a difficulty. */
  readonly mock: (Judgement & { difficulty: number }) | undefined;
}

/** Where a stream's bytes go (the core's ResponseSink, as far as a renderer needs it). */
export interface StreamSink {
  write(chunk: string): void;
  writeBytes(source: { encodeInto(target: Uint8Array, offset: number): void }, byteLength: number): void;
}

/** A stream's events for one call, created when its headers go out. */
export interface StreamWriter {
  /** Writes units [from, to) (at least one; from 0 with the stream's opening events). */
  write(sink: StreamSink, from: number, to: number): void;
  /** Units [from, to) (possibly none), then the stream's closing events, as one text. */
  end(from: number, to: number): string;
}

/** One protocol adapter. */
export interface Protocol {
  /** The ledger's endpoint for its calls. */
  readonly endpoint: LedgerEndpoint;
  /** Prefix of the tool-call ids it generates (`call_`, `toolu_`). */
  readonly toolCallIdPrefix: string;
  /** Part of the request is in its path (Gemini's model): the core keeps no answer by body alone. */
  readonly requestInPath?: boolean;
  /** True when the request carries this protocol's credentials for `apiKey`. */
  authorized(header: HeaderReader, apiKey: string): boolean;
  /** The 401 for a request without them. */
  unauthorized(header: HeaderReader): ApiError;
  /** Validates the body once; every problem is a 400 naming the field. `conversations`: the stored responses (Responses API). */
  parse(body: string, header: HeaderReader, conversations?: ConversationStore): ModelRequest | ApiError;
  /** The provider's error body. */
  errorBody(err: ApiError): string;
  /** A whole (not streamed) response body. */
  whole(call: CallView): string;
  /**
   * True when the whole body's only non-ASCII characters are those of the model id (the core
   * then gets its byte length without a pass over it). Absent: never assumed.
   */
  asciiWhole?(call: CallView): boolean;
  /** The stream writer of a call. */
  stream(call: CallView): StreamWriter;
  /** A stream's content type when it is not SSE (Gemini's JSON-array stream); undefined: `text/event-stream`. */
  streamContentType?(call: CallView): string | undefined;
  /** Keeps what a later request may refer to, once the call has answered in full (Responses: its conversation). */
  remember?(call: CallView, conversations: ConversationStore): void;
}

/** `Authorization: Bearer <key>`, as OpenAI clients send it. */
export function bearerAuthorized(header: HeaderReader, apiKey: string): boolean {
  return header.header('authorization') === `Bearer ${apiKey}`;
}
