/**
 * Google Gemini (`POST /v1beta/models/{model}:generateContent`, and `:streamGenerateContent?alt=sse`):
 * `contents` of `user` / `model` turns with text, `functionCall` and `functionResponse` parts,
 * `systemInstruction`, function declarations with `toolConfig` (AUTO, ANY, NONE, allowed names),
 * `generationConfig` (maxOutputTokens, stopSequences, JSON output with or without a schema),
 * `usageMetadata`, Google-shaped errors, and the `x-goog-api-key` header or `key` query parameter.
 * The model is named by the path. `candidateCount` (1–8) answers that many candidates, each priced.
 * Streamed text goes one token per event; a function call goes whole in one event, as Gemini sends
 * it. With `alt=sse` the events are SSE `data:` lines; without it, as Google sends them, one JSON
 * array written element by element (`[` first, `,` between, `]` last), one GenerateContentResponse each.
 */
import type { CountedMessage } from '../../src/provider/tokens.ts';
import type { Answer } from '../answer.ts';
import { ApiError, invalidRequest } from '../errors.ts';
import type { ModelRequest, OutputFormat } from '../model-request.ts';
import type { CallView, HeaderReader, Protocol, StreamSink, StreamWriter } from '../protocol.ts';
import type { ToolChoice, ToolSpec } from '../tools.ts';
import { duplicateTool, functionTool, isRecord, jsonSchemaFormat, typeName } from './openai-common.ts';

/** `/v1beta/models/{model}:generateContent` (or `/v1/…`, or `:streamGenerateContent`). */
const PATH = /^\/v1(?:beta)?\/models\/([^/:]+):(generateContent|streamGenerateContent)$/;

/** The Gemini adapter when `path` is one of its methods. */
export function geminiFor(path: string): Protocol | undefined {
  return PATH.test(path) ? gemini : undefined;
}

/** Google's status word for each HTTP status the mock answers. */
const STATUS_WORDS: Readonly<Record<number, string>> = Object.freeze({
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  405: 'INVALID_ARGUMENT',
  413: 'INVALID_ARGUMENT',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
});

const TEXT_FORMAT: OutputFormat = Object.freeze({ kind: 'text' });
const JSON_OBJECT: OutputFormat = Object.freeze({ kind: 'json_object' });

/** The Gemini adapter. */
const gemini: Protocol = {
  endpoint: 'generateContent',
  toolCallIdPrefix: 'call_',
  requestInPath: true,
  authorized: (req, apiKey) => req.header('x-goog-api-key') === apiKey || new URLSearchParams(req.query ?? '').get('key') === apiKey,
  unauthorized: (req) =>
    new ApiError(
      req.header('x-goog-api-key') === undefined && !new URLSearchParams(req.query ?? '').has('key') ? 401 : 403,
      req.header('x-goog-api-key') === undefined && !new URLSearchParams(req.query ?? '').has('key')
        ? "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API."
        : 'API key not valid. Please pass a valid API key (the key mock-llm was started with) in x-goog-api-key.',
      'authentication_error',
      'invalid_api_key',
    ),
  parse: parseGemini,
  errorBody: (err) => JSON.stringify({ error: { code: err.status, message: err.message, status: STATUS_WORDS[err.status] ?? 'UNKNOWN' } }),
  whole: (call) =>
    JSON.stringify(
      response(
        call,
        answersOf(call).map((a, k) => candidate(a, k, 'whole')),
      ),
    ),
  streamContentType: (call) => (call.request.jsonArrayStream === true ? 'application/json; charset=UTF-8' : undefined),
  stream: (call) => new GeminiStream(call),
};

/** Most candidates one request may ask for (the Gemini API's limit). */
const MAX_CANDIDATES = 8;

function bad(message: string, param: string | null = null): ApiError {
  return invalidRequest(message, param, 'invalid_argument');
}

function parseGemini(text: string, req: HeaderReader): ModelRequest | ApiError {
  const match = PATH.exec(req.path ?? '');
  if (match === null) return bad('Unknown Gemini method.');
  const model = decodeURIComponent(match[1]!);
  const stream = match[2] === 'streamGenerateContent';
  const alt = new URLSearchParams(req.query ?? '').get('alt');
  if (stream && alt !== null && alt !== 'sse' && alt !== 'json') return bad(`Invalid value at 'alt': ${JSON.stringify(alt)}; use sse or json.`, 'alt');
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return bad('Invalid JSON payload received. Unexpected token.');
  }
  if (!isRecord(body)) return bad(`Invalid JSON payload received. Expected an object, got ${typeName(body)}.`);
  const tools = readTools(body['tools']);
  if (tools instanceof ApiError) return tools;
  const choice = readToolConfig(body['toolConfig'], tools);
  if (choice instanceof ApiError) return choice;
  const config = readGenerationConfig(body['generationConfig']);
  if (config instanceof ApiError) return config;
  const history = readContents(body['contents']);
  if (history instanceof ApiError) return history;
  const system = readSystem(body['systemInstruction']);
  if (system instanceof ApiError) return system;
  const messages = history.messages;
  if (system !== '') messages.unshift({ role: 'system', content: system });
  if (tools.length > 0) messages.unshift({ role: 'system', content: JSON.stringify(body['tools']) });
  return {
    model,
    messages,
    rawPrompt: false,
    stream,
    maxOutputTokens: config.maxOutputTokens,
    stop: config.stop,
    tools,
    toolChoice: choice,
    parallelToolCalls: true,
    format: config.format,
    includeUsage: true,
    turn: history.turn,
    lastUserText: history.lastUserText,
    hasToolResult: history.hasToolResult,
    metadata: undefined,
    seed: config.seed,
    topLogprobs: null,
    cachePrefixMessages: 0,
    choices: config.candidates,
    jsonArrayStream: stream && alt !== 'sse',
  };
}

/** Gemini's schemas write OpenAPI types in capitals (`OBJECT`, `STRING`): JSON Schema's are lower case. */
function jsonSchemaOf(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(jsonSchemaOf);
  if (!isRecord(schema)) return schema;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(schema)) {
    if (k === 'nullable' || k === 'propertyOrdering') continue;
    out[k] = k === 'type' && typeof v === 'string' ? v.toLowerCase() : k === 'properties' && isRecord(v) ? mapValues(v, jsonSchemaOf) : jsonSchemaOf(v);
  }
  return out;
}

function mapValues(o: Record<string, unknown>, f: (v: unknown) => unknown): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, f(v)]));
}

function readTools(raw: unknown): ToolSpec[] | ApiError {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) return bad(`Invalid value at 'tools': expected a list, got ${typeName(raw)}.`, 'tools');
  const tools: ToolSpec[] = [];
  for (const [i, t] of raw.entries()) {
    if (!isRecord(t)) return bad(`Invalid value at 'tools[${i}]': expected an object.`, `tools[${i}]`);
    const decls = t['functionDeclarations'] ?? t['function_declarations'];
    if (decls === undefined) continue; // googleSearch, codeExecution: nothing the mock calls
    if (!Array.isArray(decls)) return bad(`Invalid value at 'tools[${i}].functionDeclarations': expected a list.`, `tools[${i}].functionDeclarations`);
    for (const [j, d] of decls.entries()) {
      const param = `tools[${i}].functionDeclarations[${j}]`;
      if (!isRecord(d)) return bad(`Invalid value at '${param}': expected an object.`, param);
      const schema = d['parametersJsonSchema'] ?? (d['parameters'] === undefined ? undefined : jsonSchemaOf(d['parameters']));
      const tool = functionTool(d['name'], schema, false, param);
      if (tool instanceof ApiError) return bad(tool.message, tool.param);
      tools.push(tool);
    }
  }
  return duplicateTool(tools, 'tools') ?? tools;
}

function readToolConfig(raw: unknown, tools: readonly ToolSpec[]): ToolChoice | ApiError {
  const config = isRecord(raw) ? raw['functionCallingConfig'] : undefined;
  const mode = isRecord(config) ? (config['mode'] ?? 'AUTO') : 'AUTO';
  if (tools.length === 0 || mode === 'NONE') return { kind: 'none' };
  if (mode === 'AUTO' || mode === 'MODE_UNSPECIFIED' || mode === 'VALIDATED') return { kind: 'auto' };
  if (mode !== 'ANY')
    return bad(`Invalid value at 'tool_config.function_calling_config.mode': ${JSON.stringify(mode)}.`, 'toolConfig.functionCallingConfig.mode');
  const allowed = isRecord(config) ? config['allowedFunctionNames'] : undefined;
  if (Array.isArray(allowed) && allowed.length > 0) {
    for (const name of allowed) {
      if (!tools.some((t) => t.name === name)) {
        return bad(
          `allowed_function_names: ${JSON.stringify(name)} is not one of the function declarations.`,
          'toolConfig.functionCallingConfig.allowedFunctionNames',
        );
      }
    }
    if (allowed.length === 1) return { kind: 'named', name: String(allowed[0]) };
  }
  return { kind: 'required' };
}

interface GenerationConfig {
  candidates: number;
  maxOutputTokens: number | null;
  stop: readonly string[] | null;
  format: OutputFormat;
  seed: number | null;
}

function readGenerationConfig(raw: unknown): GenerationConfig | ApiError {
  if (raw === undefined || raw === null) return { candidates: 1, maxOutputTokens: null, stop: null, format: TEXT_FORMAT, seed: null };
  if (!isRecord(raw)) return bad(`Invalid value at 'generation_config': expected an object, got ${typeName(raw)}.`, 'generationConfig');
  const max = raw['maxOutputTokens'];
  if (max !== undefined && (typeof max !== 'number' || !Number.isInteger(max) || max < 1)) {
    return bad(
      `Invalid value at 'generation_config.max_output_tokens': ${JSON.stringify(max)}; expected a positive integer.`,
      'generationConfig.maxOutputTokens',
    );
  }
  const stop = raw['stopSequences'];
  if (stop !== undefined && (!Array.isArray(stop) || stop.length > 5 || stop.some((s) => typeof s !== 'string'))) {
    return bad("Invalid value at 'generation_config.stop_sequences': expected at most 5 strings.", 'generationConfig.stopSequences');
  }
  const count = raw['candidateCount'] ?? 1;
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 1 || count > MAX_CANDIDATES) {
    return bad(
      `Invalid value at 'generation_config.candidate_count': ${JSON.stringify(count)}; only values from 1 to ${MAX_CANDIDATES} are supported.`,
      'generationConfig.candidateCount',
    );
  }
  const seed = raw['seed'];
  let format = TEXT_FORMAT;
  if (raw['responseMimeType'] === 'application/json') {
    const schema = raw['responseJsonSchema'] ?? (raw['responseSchema'] === undefined ? undefined : jsonSchemaOf(raw['responseSchema']));
    if (schema === undefined) format = JSON_OBJECT;
    else {
      const f = jsonSchemaFormat('response', schema, false, 'generationConfig.responseSchema');
      if (f instanceof ApiError) return bad(f.message, f.param);
      format = f;
    }
  }
  return {
    candidates: count,
    maxOutputTokens: typeof max === 'number' ? max : null,
    stop: Array.isArray(stop) ? (stop as string[]) : null,
    format,
    seed: typeof seed === 'number' && Number.isInteger(seed) ? seed : null,
  };
}

function readSystem(raw: unknown): string | ApiError {
  if (raw === undefined || raw === null) return '';
  if (typeof raw === 'string') return raw;
  if (!isRecord(raw) || !Array.isArray(raw['parts']))
    return bad("Invalid value at 'system_instruction': expected a Content with 'parts'.", 'systemInstruction');
  return raw['parts'].map((p) => (isRecord(p) && typeof p['text'] === 'string' ? p['text'] : '')).join('');
}

interface History {
  messages: CountedMessage[];
  turn: ModelRequest['turn'];
  lastUserText: string;
  hasToolResult: boolean;
}

/** The contents as counted messages; a functionResponse must answer a functionCall of the turn before. */
function readContents(raw: unknown): History | ApiError {
  if (!Array.isArray(raw) || raw.length === 0) return bad("Invalid value at 'contents': expected a non-empty list of Content.", 'contents');
  const messages: CountedMessage[] = [];
  let toolRounds = 0;
  let lastUserText = '';
  let hasToolResult = false;
  let lastRole: ModelRequest['turn']['lastRole'] = 'user';
  let previousCalls = new Set<string>();
  for (const [i, c] of raw.entries()) {
    const param = `contents[${i}]`;
    if (!isRecord(c) || !Array.isArray(c['parts'])) return bad(`Invalid value at '${param}': expected a Content with 'parts'.`, param);
    const role = c['role'] ?? 'user';
    if (role !== 'user' && role !== 'model' && role !== 'function')
      return bad(`Invalid value at '${param}.role': ${JSON.stringify(role)}; use 'user' or 'model'.`, `${param}.role`);
    const read = readParts(c['parts'], param, role === 'model', previousCalls);
    if (read instanceof ApiError) return read;
    messages.push({ role: role === 'model' ? 'assistant' : read.results > 0 ? 'tool' : 'user', content: read.text });
    if (read.results > 0) {
      hasToolResult = true;
      lastRole = 'tool';
    } else if (role === 'model') {
      if (read.calls.size > 0) toolRounds++;
      lastRole = 'assistant';
    } else {
      toolRounds = 0;
      lastUserText = read.text;
      lastRole = 'user';
    }
    previousCalls = read.calls;
  }
  return { messages, turn: { lastRole, toolRounds }, lastUserText, hasToolResult };
}

/** One Content's parts: its text as counted, the functions it calls (a model turn) and the results it gives. */
function readParts(
  parts: unknown[],
  param: string,
  isModel: boolean,
  previousCalls: ReadonlySet<string>,
): { text: string; calls: Set<string>; results: number } | ApiError {
  let text = '';
  const calls = new Set<string>();
  let results = 0;
  for (const [j, p] of parts.entries()) {
    const at = `${param}.parts[${j}]`;
    if (!isRecord(p)) return bad(`Invalid value at '${at}': expected a Part object.`, at);
    if (typeof p['text'] === 'string') text += p['text'];
    else if (isRecord(p['functionCall'])) {
      const fc = p['functionCall'];
      if (!isModel) return bad(`${at}: a functionCall part belongs in a 'model' turn.`, at);
      if (typeof fc['name'] !== 'string') return bad(`Invalid value at '${at}.function_call.name': required.`, `${at}.functionCall.name`);
      calls.add(fc['name']);
      text += `${fc['name']}(${JSON.stringify(fc['args'] ?? {})})`;
    } else if (isRecord(p['functionResponse'])) {
      const fr = p['functionResponse'];
      if (typeof fr['name'] !== 'string' || !previousCalls.has(fr['name'])) {
        return bad(
          `${at}: function response ${JSON.stringify(fr['name'])} answers no function call of the previous turn; please ensure that the number of function response parts equals the number of function call parts of the function call turn.`,
          `${at}.functionResponse.name`,
        );
      }
      text += JSON.stringify(fr['response'] ?? {});
      results++;
    } else if (!isRecord(p['inlineData']) && !isRecord(p['fileData']) && p['thought'] === undefined) {
      return bad(`Invalid value at '${at}': a Part needs text, functionCall, functionResponse, inlineData or fileData.`, at);
    }
  }
  return { text, calls, results };
}

// ---- rendering ----------------------------------------------------------------------------------

function finishReason(answer: Answer): string {
  return answer.finish === 'length' ? 'MAX_TOKENS' : 'STOP';
}

function usageMetadata(call: CallView): Record<string, number> {
  const usage: Record<string, number> = {
    promptTokenCount: call.inputTokens,
    candidatesTokenCount: call.outputTokens,
    totalTokenCount: call.inputTokens + call.outputTokens,
  };
  if (call.cachedInputTokens > 0) usage['cachedContentTokenCount'] = call.cachedInputTokens;
  return usage;
}

/** A complete function call's part (none for one cut short by the token cap: its arguments are not JSON). */
function callParts(answer: Answer, from: number, to: number): Record<string, unknown>[] {
  const parts: Record<string, unknown>[] = [];
  for (let k = from; k < to; k++) {
    const c = answer.toolCalls[k]!;
    try {
      parts.push({ functionCall: { name: c.name, args: JSON.parse(c.arguments) as unknown } });
    } catch {
      // cut by maxOutputTokens: Gemini would end with MAX_TOKENS and no call
    }
  }
  return parts;
}

/** Every candidate's answer, in index order. */
function answersOf(call: CallView): readonly Answer[] {
  return call.choices ?? [call.answer];
}

/** One candidate of a response (whole) or of a streamed chunk with `parts`; the last chunk's carry the finish reason. */
function candidate(answer: Answer, index: number, stage: 'whole' | 'delta' | 'last', parts?: Record<string, unknown>[]): Record<string, unknown> {
  const content = parts ?? [
    ...(answer.textUnits > 0 || answer.toolCalls.length === 0 ? [{ text: answer.text() }] : []),
    ...callParts(answer, 0, answer.toolCalls.length),
  ];
  const out: Record<string, unknown> = { content: { parts: content, role: 'model' }, index };
  if (stage !== 'delta') out['finishReason'] = finishReason(answer);
  return out;
}

/** A GenerateContentResponse with these candidates; usage counts every candidate's output so far. */
function response(call: CallView, candidates: Record<string, unknown>[]): Record<string, unknown> {
  const out: Record<string, unknown> = { candidates, usageMetadata: usageMetadata(call), modelVersion: call.modelId, responseId: call.id };
  if (call.mock !== undefined) out['mock'] = call.mock;
  return out;
}

/**
 * The streamed responses: one per unit (a text token of each candidate that has one; a function
 * call once its last unit is due), then the finish reasons and usage. SSE `data:` events, or the
 * elements of one JSON array.
 */
class GeminiStream implements StreamWriter {
  private readonly jsonArray: boolean;
  private opened = false;

  constructor(private readonly call: CallView) {
    this.jsonArray = call.request.jsonArrayStream === true;
  }

  write(sink: StreamSink, from: number, to: number): void {
    const out = this.events(from, to);
    if (out !== '') sink.write(out);
  }

  end(from: number, to: number): string {
    const last = answersOf(this.call).map((a, k) => candidate(a, k, 'last', [{ text: '' }]));
    return this.events(from, to) + this.event(response(this.call, last)) + (this.jsonArray ? ']' : '');
  }

  private events(from: number, to: number): string {
    const answers = answersOf(this.call);
    let out = '';
    for (let i = from; i < to; i++) {
      const candidates: Record<string, unknown>[] = [];
      answers.forEach((answer, k) => {
        const parts = i < answer.units ? unitParts(answer, i) : [];
        if (parts.length > 0) candidates.push(candidate(answer, k, 'delta', parts));
      });
      if (candidates.length > 0) out += this.event(response(this.call, candidates));
    }
    return out;
  }

  private event(chunk: Record<string, unknown>): string {
    if (!this.jsonArray) return `data: ${JSON.stringify(chunk)}\r\n\r\n`;
    const before = this.opened ? ',\r\n' : '[';
    this.opened = true;
    return before + JSON.stringify(chunk);
  }
}

/** The parts unit `i` of an answer sends: its text token, or a function call whole at its last unit (none before). */
function unitParts(answer: Answer, i: number): Record<string, unknown>[] {
  const u = answer.unit(i);
  if (u.kind === 'text') return [{ text: u.text }];
  const last = i + 1 === answer.units || answer.unit(i + 1).kind === 'call';
  return last ? callParts(answer, u.call, u.call + 1) : [];
}
