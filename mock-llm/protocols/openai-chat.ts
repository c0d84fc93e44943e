/**
 * OpenAI Chat Completions (`POST /v1/chat/completions`): tools and tool calls, response formats,
 * log probabilities, streamed as OpenAI streams them. A plain text answer (the load-test path)
 * is rendered from templates and streamed as bytes (token-events.ts); everything else is built
 * as objects.
 */
import type { Answer } from '../answer.ts';
import { ApiError, invalidRequest } from '../errors.ts';
import { tokenLogprob } from '../logprobs.ts';
import { choiceKey, turnRole, type ModelRequest, type OutputFormat } from '../model-request.ts';
import { bearerAuthorized, type CallView, type Protocol, type StreamSink, type StreamWriter } from '../protocol.ts';
import { acceptsChatRequest, ChatRequestSchema, messageText, parseBody, type ChatRequest } from '../requests.ts';
import { TokenEvents } from '../token-events.ts';
import type { CountedMessage } from '../../src/provider/tokens.ts';
import type { ToolSpec } from '../tools.ts';
import {
  chatUsageJson,
  CheckCache,
  duplicateTool,
  functionTool,
  isRecord,
  jsonSchemaFormat,
  openaiUnauthorized,
  toolChoice,
  typeName,
} from './openai-common.ts';

const TEXT_FORMAT: OutputFormat = Object.freeze({ kind: 'text' });
/** Checked tools and formats by their JSON: an agent sends the same ones with every turn (checking a schema takes tens of microseconds). */
const toolsCache = new CheckCache<ToolSpec[]>();
const formatCache = new CheckCache<OutputFormat>();
const NO_TOOLS: readonly ToolSpec[] = Object.freeze([]);
const AUTO = Object.freeze({ kind: 'auto' as const });
const NONE = Object.freeze({ kind: 'none' as const });

/** The OpenAI chat adapter. */
export const openaiChat: Protocol = {
  endpoint: 'chat',
  toolCallIdPrefix: 'call_',
  authorized: bearerAuthorized,
  unauthorized: openaiUnauthorized,
  parse: parseChat,
  errorBody: (err) => err.toBody(),
  whole: chatWhole,
  asciiWhole: isPlainText,
  stream: chatStream,
};

function parseChat(text: string): ModelRequest | ApiError {
  const body = parseBody(ChatRequestSchema, text, acceptsChatRequest);
  if (body instanceof ApiError) return body;
  const history = readHistory(body);
  if (history instanceof ApiError) return history;
  const raw = body as Record<string, unknown>;
  let tools = NO_TOOLS;
  let toolsJson = '';
  if (body.tools !== undefined && body.tools.length > 0) {
    toolsJson = JSON.stringify(body.tools);
    const parsed = toolsCache.get(toolsJson, () => parseTools(body.tools!));
    if (parsed instanceof ApiError) return parsed;
    tools = parsed;
  }
  const choice =
    raw['tool_choice'] === undefined
      ? tools.length > 0
        ? AUTO
        : NONE
      : toolChoice(raw['tool_choice'], tools, (o) => (isRecord(o['function']) ? o['function']['name'] : undefined));
  if (choice instanceof ApiError) return choice;
  const parallel = raw['parallel_tool_calls'];
  if (parallel !== undefined && parallel !== null && typeof parallel !== 'boolean') {
    return invalidRequest(
      `Invalid type for 'parallel_tool_calls': expected a boolean, but got ${typeName(parallel)} instead.`,
      'parallel_tool_calls',
      'invalid_type',
    );
  }
  const rawFormat = raw['response_format'];
  const format = rawFormat === undefined || rawFormat === null ? TEXT_FORMAT : formatCache.get(JSON.stringify(rawFormat), () => responseFormat(rawFormat));
  if (format instanceof ApiError) return format;
  const topLogprobs = logprobsOption(raw['logprobs'], raw['top_logprobs']);
  if (topLogprobs instanceof ApiError) return topLogprobs;
  // the tool definitions are part of the prompt the model reads (and is billed for)
  if (tools.length > 0) history.messages.unshift({ role: 'system', content: toolsJson });
  return {
    model: body.model,
    messages: history.messages,
    rawPrompt: false,
    stream: body.stream === true,
    maxOutputTokens: body.max_completion_tokens ?? body.max_tokens ?? null,
    stop: body.stop == null ? null : typeof body.stop === 'string' ? [body.stop] : body.stop,
    tools,
    toolChoice: choice,
    parallelToolCalls: parallel !== false,
    format,
    includeUsage: body.stream_options?.include_usage === true,
    turn: history.turn,
    lastUserText: history.lastUserText,
    hasToolResult: history.hasToolResult,
    metadata: body.metadata,
    seed: body.seed ?? null,
    topLogprobs,
    cachePrefixMessages: 0,
    choices: body.n ?? 1,
  };
}

interface History {
  messages: CountedMessage[];
  turn: ModelRequest['turn'];
  lastUserText: string;
  hasToolResult: boolean;
}

/** The messages as counted, the turn state, and the check that every tool message answers a call. */
function readHistory(body: ChatRequest): History | ApiError {
  const messages = body.messages;
  const counted = new Array<CountedMessage>(messages.length);
  let toolRounds = 0;
  let lastUserText = '';
  let hasToolResult = false;
  let callIds: Set<unknown> | undefined;
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i]!;
    const content = messageText(m);
    counted[i] = { role: m.role, content };
    if (m.role === 'user') {
      toolRounds = 0;
      lastUserText = content;
    } else if (m.role === 'assistant' && m.tool_calls !== undefined && m.tool_calls.length > 0) {
      toolRounds++;
      callIds ??= new Set();
      for (const c of m.tool_calls) callIds.add((c as Record<string, unknown>)['id']);
    } else if (m.role === 'tool') {
      hasToolResult = true;
      const id = (m as Record<string, unknown>)['tool_call_id'];
      if (typeof id !== 'string')
        return invalidRequest(`Missing required parameter: 'messages.[${i}].tool_call_id'.`, `messages.[${i}].tool_call_id`, 'missing_required_parameter');
      if (callIds === undefined || !callIds.has(id)) {
        return invalidRequest(
          `Invalid parameter: messages with role 'tool' must be a response to a preceding message with 'tool_calls'; messages.[${i}].tool_call_id '${id}' matches no earlier tool call.`,
          `messages.[${i}].role`,
          'invalid_tool_message',
        );
      }
    }
  }
  const last = messages[messages.length - 1]!;
  return { messages: counted, turn: { lastRole: turnRole(last.role), toolRounds }, lastUserText, hasToolResult };
}

function parseTools(raw: readonly unknown[]): ToolSpec[] | ApiError {
  const tools: ToolSpec[] = [];
  for (let i = 0; i < raw.length; i++) {
    const t = raw[i];
    const param = `tools[${i}]`;
    if (!isRecord(t)) return invalidRequest(`Invalid type for '${param}': expected an object, but got ${typeName(t)} instead.`, param, 'invalid_type');
    if (t['type'] !== 'function')
      return invalidRequest(`Invalid value for '${param}.type': ${JSON.stringify(t['type'])}; supported: 'function'.`, `${param}.type`, 'invalid_value');
    const fn = t['function'];
    if (!isRecord(fn)) return invalidRequest(`Missing required parameter: '${param}.function'.`, `${param}.function`, 'missing_required_parameter');
    const tool = functionTool(fn['name'], fn['parameters'], fn['strict'], `${param}.function`);
    if (tool instanceof ApiError) return tool;
    tools.push(tool);
  }
  return duplicateTool(tools, 'tools') ?? tools;
}

function responseFormat(raw: unknown): OutputFormat | ApiError {
  if (raw === null) return TEXT_FORMAT;
  if (!isRecord(raw))
    return invalidRequest(`Invalid type for 'response_format': expected an object, but got ${typeName(raw)} instead.`, 'response_format', 'invalid_type');
  switch (raw['type']) {
    case 'text':
      return TEXT_FORMAT;
    case 'json_object':
      return { kind: 'json_object' };
    case 'json_schema': {
      const js = raw['json_schema'];
      if (!isRecord(js))
        return invalidRequest("Missing required parameter: 'response_format.json_schema'.", 'response_format.json_schema', 'missing_required_parameter');
      return jsonSchemaFormat(js['name'], js['schema'], js['strict'], 'response_format.json_schema');
    }
    default:
      return invalidRequest(
        `Invalid value for 'response_format.type': ${JSON.stringify(raw['type'])}; supported: 'text', 'json_object', 'json_schema'.`,
        'response_format.type',
        'invalid_value',
      );
  }
}

/** top_logprobs when logprobs are asked for, else null; top_logprobs needs logprobs: true. */
function logprobsOption(logprobs: unknown, top: unknown): number | null | ApiError {
  if (logprobs !== undefined && logprobs !== null && typeof logprobs !== 'boolean') {
    return invalidRequest(`Invalid type for 'logprobs': expected a boolean, but got ${typeName(logprobs)} instead.`, 'logprobs', 'invalid_type');
  }
  if (top !== undefined && top !== null && (typeof top !== 'number' || !Number.isInteger(top) || top < 0 || top > 20)) {
    return invalidRequest(`Invalid 'top_logprobs': expected an integer from 0 to 20, got ${JSON.stringify(top)}.`, 'top_logprobs', 'invalid_value');
  }
  if (logprobs !== true) {
    if (typeof top === 'number')
      return invalidRequest("Invalid value for 'top_logprobs': 'logprobs' must be set to true when 'top_logprobs' is given.", 'top_logprobs', 'invalid_value');
    return null;
  }
  return typeof top === 'number' ? top : 0;
}

// ---- rendering ----------------------------------------------------------------------------------

/** The plain text path: generated words, no tool calls, no log probabilities. */
function isPlainText(call: CallView): boolean {
  return call.choices === undefined && call.answer.generated !== undefined && call.answer.toolCalls.length === 0 && call.request.topLogprobs === null;
}

function mockField(call: CallView): string {
  return call.mock === undefined ? '' : `,"mock":${JSON.stringify(call.mock)}`;
}

function chatWhole(call: CallView): string {
  const answer = call.answer;
  const head = `{"id":"${call.id}","object":"chat.completion","created":${call.createdS},"model":${call.modelJson},"choices":[{"index":0,"message":`;
  const tail = `,"usage":${chatUsageJson(call)},"service_tier":"default","system_fingerprint":"fp_mock"${mockField(call)}}`;
  if (isPlainText(call)) {
    // a template rather than JSON.stringify of an object: this is the hot path of a zero-latency
    // run; the generated text needs no escaping (the vocabulary is lower-case ASCII words)
    return `${head}{"role":"assistant","content":"${answer.generated!.text()}","refusal":null,"annotations":[]},"logprobs":null,"finish_reason":"${answer.finish}"}]${tail}`;
  }
  if (call.choices !== undefined) {
    const choices = call.choices.map((a, index) => JSON.stringify(choiceObject(call, a, index)));
    return `${head.slice(0, head.length - '[{"index":0,"message":'.length)}[${choices.join(',')}]${tail}`;
  }
  const logprobs = call.request.topLogprobs === null ? 'null' : JSON.stringify(choiceObject(call, answer, 0).logprobs);
  return `${head}${messageJson(answer)},"logprobs":${logprobs},"finish_reason":"${answer.finish}"}]${tail}`;
}

/** One choice of a whole answer: its message, log probabilities and finish reason. */
function choiceObject(
  call: CallView,
  answer: Answer,
  index: number,
): { index: number; message: Record<string, unknown>; logprobs: unknown; finish_reason: string } {
  const logprobs = call.request.topLogprobs === null ? null : { content: textLogprobs(call, answer, index, 0, answer.textUnits), refusal: null };
  return { index, message: messageObject(answer), logprobs, finish_reason: answer.finish };
}

/** A whole answer's message: its text, or its tool calls. */
function messageObject(answer: Answer): Record<string, unknown> {
  const message: Record<string, unknown> = {
    role: 'assistant',
    content: answer.toolCalls.length > 0 && answer.textUnits === 0 ? null : answer.text(),
    refusal: null,
    annotations: [],
  };
  if (answer.toolCalls.length > 0) {
    message['tool_calls'] = answer.toolCalls.map((c) => ({ id: c.id, type: 'function', function: { name: c.name, arguments: c.arguments } }));
  }
  return message;
}

/**
 * Fixed answers' messages as JSON: a kept request's fixed answer serves every repeat (see
 * known-requests.ts), rendered once. Generated words are a new answer per request: rendered
 * directly, never entered in the map (that would cost every fresh request an entry for nothing).
 */
const MESSAGE_JSON = new WeakMap<Answer, string>();

function messageJson(answer: Answer): string {
  if (answer.generated !== undefined) return JSON.stringify(messageObject(answer));
  let json = MESSAGE_JSON.get(answer);
  if (json === undefined) MESSAGE_JSON.set(answer, (json = JSON.stringify(messageObject(answer))));
  return json;
}

/** Log probabilities of choice `index`'s text units [from, to). */
function textLogprobs(call: CallView, answer: Answer, index: number, from: number, to: number): ReturnType<typeof tokenLogprob>[] {
  const out = [];
  const top = call.request.topLogprobs ?? 0;
  const key = choiceKey(call.requestKey, index);
  for (let i = from; i < Math.min(to, answer.textUnits); i++) {
    const u = answer.unit(i);
    if (u.kind === 'text') out.push(tokenLogprob(key, i, u.text, top));
  }
  return out;
}

/** A stream chunk's text up to its `choices` (the same in every chunk of the stream). */
function chunkHead(call: CallView): string {
  return `data: {"id":"${call.id}","object":"chat.completion.chunk","created":${call.createdS},"model":${call.modelJson},"system_fingerprint":"fp_mock",`;
}
const DELTA_OPEN = '"choices":[{"index":0,"delta":{';
function deltaClose(call: CallView): string {
  return `},"logprobs":null,"finish_reason":null}]${call.request.includeUsage ? ',"usage":null' : ''}}\n\n`;
}
const ROLE_FIELD = '"role":"assistant",';
const CONTENT_FIELD = '"content":"';

/** The finish chunk (one per choice), the usage chunk when asked for, and [DONE]. */
function streamEnd(call: CallView, head: string): string {
  const usageNull = call.request.includeUsage ? ',"usage":null' : '';
  let out = '';
  const answers = call.choices ?? [call.answer];
  for (let index = 0; index < answers.length; index++) {
    const mock = index === answers.length - 1 ? mockField(call) : '';
    out += `${head}"choices":[{"index":${index},"delta":{},"logprobs":null,"finish_reason":"${answers[index]!.finish}"}]${usageNull}${mock}}\n\n`;
  }
  if (call.request.includeUsage) out += `${head}"choices":[],"usage":${chatUsageJson(call)}}\n\n`;
  return out + 'data: [DONE]\n\n';
}

function chatStream(call: CallView): StreamWriter {
  return isPlainText(call) ? new TextStream(call) : new ObjectStream(call);
}

/** Generated words as byte-encoded token events (the hot path). */
class TextStream implements StreamWriter {
  private readonly events: TokenEvents | undefined;

  constructor(private readonly call: CallView) {
    if (call.answer.units > 0)
      this.events = new TokenEvents(chunkHead(call) + DELTA_OPEN, ROLE_FIELD, CONTENT_FIELD, '"' + deltaClose(call), call.answer.generated!);
  }

  write(sink: StreamSink, from: number, to: number): void {
    const events = this.events!;
    events.from = from;
    events.to = to;
    sink.writeBytes(events, events.byteLength());
  }

  end(from: number, to: number): string {
    const head = chunkHead(this.call);
    let chunk = '';
    if (to > from) {
      const events = this.events!;
      events.from = from;
      events.to = to;
      chunk = events.toText();
    } else if (this.call.answer.units === 0) {
      chunk = head + DELTA_OPEN + ROLE_FIELD + CONTENT_FIELD + '"' + deltaClose(this.call); // the empty answer's one content chunk
    }
    return chunk + streamEnd(this.call, head);
  }
}

/** Tool calls, fixed text and log probabilities, one chunk per unit as OpenAI sends them. */
class ObjectStream implements StreamWriter {
  private readonly head: string;

  constructor(private readonly call: CallView) {
    this.head = chunkHead(call);
  }

  write(sink: StreamSink, from: number, to: number): void {
    sink.write(this.chunks(from, to));
  }

  end(from: number, to: number): string {
    let out = this.chunks(from, to);
    const answers = this.call.choices ?? [this.call.answer];
    answers.forEach((a, index) => {
      if (a.units === 0) out += this.chunk({ role: 'assistant', content: '' }, null, index);
    });
    return out + streamEnd(this.call, this.head);
  }

  /** Units [from, to): unit i of every choice that has one, in choice order (n > 1 interleaves them as OpenAI does). */
  private chunks(from: number, to: number): string {
    const answers = this.call.choices ?? [this.call.answer];
    let out = '';
    for (let i = from; i < to; i++) {
      for (let index = 0; index < answers.length; index++) {
        const answer = answers[index]!;
        if (i < answer.units) out += this.unitChunk(answer, index, i);
      }
    }
    return out;
  }

  private unitChunk(answer: Answer, index: number, i: number): string {
    const u = answer.unit(i);
    let delta: Record<string, unknown>;
    let logprobs: unknown = null;
    if (u.kind === 'text') {
      delta = { content: u.text };
      if (this.call.request.topLogprobs !== null) logprobs = { content: textLogprobs(this.call, answer, index, i, i + 1), refusal: null };
    } else if (u.kind === 'call') {
      const c = answer.toolCalls[u.call]!;
      delta = { tool_calls: [{ index: u.call, id: c.id, type: 'function', function: { name: c.name, arguments: '' } }] };
      if (i === 0) delta['content'] = null;
    } else {
      delta = { tool_calls: [{ index: u.call, function: { arguments: u.text } }] };
    }
    if (i === 0) delta = { role: 'assistant', ...delta };
    return this.chunk(delta, logprobs, index);
  }

  private chunk(delta: Record<string, unknown>, logprobs: unknown, index: number): string {
    const usage = this.call.request.includeUsage ? ',"usage":null' : '';
    return `${this.head}"choices":[{"index":${index},"delta":${JSON.stringify(delta)},"logprobs":${JSON.stringify(logprobs)},"finish_reason":null}]${usage}}\n\n`;
  }
}
