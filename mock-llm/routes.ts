/**
 * The mock's routes and the shapes of its replies outside a model call's answer: which paths
 * and methods exist, the errors (in the protocol's own shape), the model objects, and the mock's
 * own request headers and metadata fields.
 */
import type { Extras } from './call.ts';
import type { ModelSpec } from '../src/provider/catalog.ts';
import { MOCK_REQUEST_HEADERS } from '../src/provider/mock-headers.ts';
import { ApiError, invalidRequest } from './errors.ts';
import type { CoreRequest, ResponseSink } from './exchange.ts';
import type { Protocol } from './protocol.ts';
import { anthropicMessages } from './protocols/anthropic-messages.ts';
import { openaiChat } from './protocols/openai-chat.ts';
import { openaiCompletions } from './protocols/openai-completions.ts';
import { openaiResponses } from './protocols/openai-responses.ts';
import { geminiFor } from './protocols/gemini.ts';

export const JSON_TYPE = 'application/json';

/** The model APIs, by path. */
const PROTOCOLS: ReadonlyMap<string, Protocol> = new Map([
  ['/v1/chat/completions', openaiChat],
  ['/v1/responses', openaiResponses],
  ['/v1/completions', openaiCompletions],
  ['/v1/messages', anthropicMessages],
]);

/** The model API at `path`: one of PROTOCOLS, or Gemini (whose paths name the model). */
export function protocolAt(path: string): Protocol | undefined {
  return PROTOCOLS.get(path) ?? (path.startsWith('/v1beta/') || path.includes(':') ? geminiFor(path) : undefined);
}

/** Allowed methods per path (the model APIs, all POST, are in PROTOCOLS). */
export const ROUTES: Readonly<Record<string, string>> = Object.freeze({
  '/v1/embeddings': 'POST',
  '/v1/models': 'GET',
  '/v1/ledger': 'GET, DELETE',
  '/health': 'GET',
  '/metrics': 'GET',
});

/** `ROUTES` split into method lists once (not per request). */
export const ROUTE_METHODS: Readonly<Record<string, readonly string[]>> = Object.freeze(
  Object.fromEntries(Object.entries(ROUTES).map(([path, allow]) => [path, allow.split(', ')])),
);

export const GET_ONLY: readonly string[] = ['GET'];

export const POST_ONLY: readonly string[] = ['POST'];

/** Reads the mock's own request headers and metadata fields. */
export function readExtras(req: CoreRequest, metadata: Readonly<Record<string, unknown>> | null | undefined): Extras | ApiError {
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
  const rawSeed = req.header(MOCK_REQUEST_HEADERS.qualitySeed);
  let qualitySeed: number | undefined;
  if (rawSeed !== undefined) {
    qualitySeed = Number(rawSeed);
    if (!/^\d+$/.test(rawSeed) || qualitySeed > 0xffff_ffff) {
      return invalidRequest(
        `Invalid quality seed "${rawSeed}" (${MOCK_REQUEST_HEADERS.qualitySeed}): expected an integer in [0, 4294967295].`,
        MOCK_REQUEST_HEADERS.qualitySeed,
        'invalid_mock_header',
      );
    }
  }
  return { outputTokens, difficulty, qualitySeed, fault: req.header(MOCK_REQUEST_HEADERS.fault), faultOnce: req.header(MOCK_REQUEST_HEADERS.faultOnce) };
}

/** An own field of the metadata (never one inherited from Object.prototype). */
function ownField(meta: Readonly<Record<string, unknown>> | undefined, key: string): unknown {
  return meta !== undefined && Object.hasOwn(meta, key) ? meta[key] : undefined;
}

export function modelObject(spec: ModelSpec): Record<string, unknown> {
  return { id: spec.id, object: 'model', created: 0, owned_by: spec.provider };
}

export function modelNotFound(id: string): ApiError {
  return new ApiError(404, `The model \`${id}\` does not exist or you do not have access to it.`, 'invalid_request_error', 'model_not_found', 'model');
}

export function serverError(kind: '500' | '503'): ApiError {
  return kind === '500'
    ? new ApiError(500, 'The server had an error while processing your request. Sorry about that! (injected by mock-llm)', 'server_error', 'server_error')
    : new ApiError(503, 'The engine is currently overloaded, please try again later. (injected by mock-llm)', 'server_error', 'service_unavailable');
}

export function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

export function sendJson(sink: ResponseSink, status: number, value: unknown): void {
  sink.send(status, { 'content-type': JSON_TYPE }, JSON.stringify(value));
}

export function sendError(sink: ResponseSink, protocol: Protocol, err: ApiError, headers: Record<string, string> = {}): void {
  sink.send(err.status, { 'content-type': JSON_TYPE, ...headers, ...err.headers }, protocol.errorBody(err));
}
