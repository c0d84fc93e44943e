/**
 * OpenAI Responses (`POST /v1/responses`): `input` as text or items (messages, function calls
 * and their outputs), `instructions`, function tools, `text.format` for structured output,
 * `max_output_tokens`; streamed with the semantic events (response.created, output items,
 * output_text and function_call_arguments deltas, response.completed with usage).
 */
import { ApiError, invalidRequest } from '../errors.ts';
import { turnRole, type ModelRequest, type OutputFormat } from '../model-request.ts';
import { bearerAuthorized, type CallView, type Protocol, type StreamSink, type StreamWriter } from '../protocol.ts';
import { parseBody } from '../requests.ts';
import type { CountedMessage } from '../../src/provider/tokens.ts';
import type { ConversationStore, StoredConversation } from '../conversations.ts';
import { answerRng, randomId, type ToolSpec } from '../tools.ts';
import { z } from 'zod';
import { CheckCache, duplicateTool, functionTool, isRecord, jsonSchemaFormat, openaiUnauthorized, toolChoice, typeName } from './openai-common.ts';

const TEXT_FORMAT: OutputFormat = Object.freeze({ kind: 'text' });
/** Checked tools and formats by their JSON (see openai-chat.ts). */
const toolsCache = new CheckCache<ToolSpec[]>();
const formatCache = new CheckCache<OutputFormat>();

const ResponsesRequestSchema = z.looseObject({
  model: z.string().min(1),
  input: z.union([z.string(), z.array(z.unknown())]),
  instructions: z.string().nullable().optional(),
  stream: z.boolean().nullable().optional(),
  max_output_tokens: z.number().int().min(1).nullable().optional(),
  temperature: z.number().min(0).max(2).nullable().optional(),
  top_p: z.number().min(0).max(1).nullable().optional(),
  tools: z.array(z.unknown()).optional(),
  parallel_tool_calls: z.boolean().nullable().optional(),
  metadata: z.record(z.string(), z.string()).nullable().optional(),
  top_logprobs: z.number().int().min(0).max(20).nullable().optional(),
  previous_response_id: z.string().min(1).nullable().optional(),
  store: z.boolean().nullable().optional(),
});

/** The OpenAI responses adapter. */
export const openaiResponses: Protocol = {
  endpoint: 'responses',
  toolCallIdPrefix: 'call_',
  authorized: bearerAuthorized,
  unauthorized: openaiUnauthorized,
  parse: parseResponses,
  errorBody: (err) => err.toBody(),
  whole: (call) => JSON.stringify(responseObject(call, 'final')),
  stream: (call) => new ResponsesStream(call),
  remember: rememberResponse,
};

function parseResponses(text: string, _header: unknown, conversations?: ConversationStore): ModelRequest | ApiError {
  const body = parseBody(ResponsesRequestSchema, text);
  if (body instanceof ApiError) return body;
  let prior: StoredConversation | undefined;
  const previousId = body.previous_response_id ?? undefined;
  if (previousId !== undefined) {
    prior = conversations?.get(previousId);
    if (prior === undefined) {
      return invalidRequest(
        `Previous response with id '${previousId}' not found. (mock-llm keeps the most recent stored responses in memory, a bounded number, and none from before a restart.)`,
        'previous_response_id',
        'previous_response_not_found',
      );
    }
  }
  const raw = body as Record<string, unknown>;
  const toolsJson = body.tools === undefined || body.tools.length === 0 ? '' : JSON.stringify(body.tools);
  const tools = toolsJson === '' ? [] : toolsCache.get(toolsJson, () => parseTools(body.tools!));
  if (tools instanceof ApiError) return tools;
  const choice = toolChoice(raw['tool_choice'], tools, (o) => o['name']);
  if (choice instanceof ApiError) return choice;
  const format = raw['text'] === undefined || raw['text'] === null ? TEXT_FORMAT : formatCache.get(JSON.stringify(raw['text']), () => textFormat(raw['text']));
  if (format instanceof ApiError) return format;
  const history = readInput(body.input, prior);
  if (history instanceof ApiError) return history;
  const messages = [...history.messages];
  if (body.instructions != null) messages.unshift({ role: 'developer', content: body.instructions });
  if (tools.length > 0) messages.unshift({ role: 'system', content: toolsJson });
  return {
    model: body.model,
    messages,
    rawPrompt: false,
    stream: body.stream === true,
    maxOutputTokens: body.max_output_tokens ?? null,
    stop: null,
    tools,
    toolChoice: choice,
    parallelToolCalls: body.parallel_tool_calls !== false,
    format,
    includeUsage: true,
    turn: history.turn,
    lastUserText: history.lastUserText,
    hasToolResult: history.hasToolResult,
    metadata: body.metadata,
    seed: null,
    topLogprobs: null,
    cachePrefixMessages: 0,
    choices: 1,
    conversation: body.store === false ? undefined : history,
    previousResponseId: previousId ?? null,
  };
}

function parseTools(raw: readonly unknown[]): ToolSpec[] | ApiError {
  const tools: ToolSpec[] = [];
  for (const [i, t] of raw.entries()) {
    if (!isRecord(t))
      return invalidRequest(`Invalid type for 'tools[${i}]': expected an object, but got ${typeName(t)} instead.`, `tools[${i}]`, 'invalid_type');
    if (t['type'] !== 'function')
      return invalidRequest(
        `Invalid value for 'tools[${i}].type': ${JSON.stringify(t['type'])}; the mock supports 'function' tools.`,
        `tools[${i}].type`,
        'invalid_value',
      );
    const tool = functionTool(t['name'], t['parameters'], t['strict'], `tools[${i}]`);
    if (tool instanceof ApiError) return tool;
    tools.push(tool);
  }
  return duplicateTool(tools, 'tools') ?? tools;
}

function textFormat(raw: unknown): OutputFormat | ApiError {
  if (raw === undefined || raw === null) return TEXT_FORMAT;
  if (!isRecord(raw)) return invalidRequest(`Invalid type for 'text': expected an object, but got ${typeName(raw)} instead.`, 'text', 'invalid_type');
  const f = raw['format'];
  if (f === undefined || f === null) return { kind: 'text' };
  if (!isRecord(f)) return invalidRequest(`Invalid type for 'text.format': expected an object, but got ${typeName(f)} instead.`, 'text.format', 'invalid_type');
  if (f['type'] === 'text') return { kind: 'text' };
  if (f['type'] === 'json_object') return { kind: 'json_object' };
  if (f['type'] === 'json_schema') return jsonSchemaFormat(f['name'], f['schema'], f['strict'], 'text.format');
  return invalidRequest(
    `Invalid value for 'text.format.type': ${JSON.stringify(f['type'])}; supported: 'text', 'json_object', 'json_schema'.`,
    'text.format.type',
    'invalid_value',
  );
}

const MESSAGE_ROLES = new Set(['user', 'assistant', 'system', 'developer']);

/** The conversation being read: what came before (a previous response's), then the input items. */
interface Reading {
  messages: CountedMessage[];
  callIds: Set<string>;
  toolRounds: number;
  lastUserText: string;
  hasToolResult: boolean;
  lastRole: string;
  previousWasCall: boolean;
}

/**
 * The conversation through the input items, after `prior` (the previous response's, without its
 * instructions); every function_call_output must answer an earlier function_call.
 */
function readInput(input: string | unknown[], prior: StoredConversation | undefined): StoredConversation | ApiError {
  const r: Reading = {
    messages: prior === undefined ? [] : [...prior.messages],
    callIds: new Set(prior?.callIds),
    toolRounds: prior?.turn.toolRounds ?? 0,
    lastUserText: prior?.lastUserText ?? '',
    hasToolResult: prior?.hasToolResult ?? false,
    lastRole: prior?.turn.lastRole ?? 'user',
    previousWasCall: false,
  };
  if (typeof input === 'string') {
    r.messages.push({ role: 'user', content: input });
    return { messages: r.messages, callIds: [...r.callIds], turn: { lastRole: 'user', toolRounds: 0 }, lastUserText: input, hasToolResult: r.hasToolResult };
  }
  if (input.length === 0) return invalidRequest("Invalid 'input': expected a string or a non-empty array of input items.", 'input', 'invalid_value');
  for (let i = 0; i < input.length; i++) {
    const problem = readItem(input[i], `input[${i}]`, r);
    if (problem !== undefined) return problem;
  }
  return {
    messages: r.messages,
    callIds: [...r.callIds],
    turn: { lastRole: turnRole(r.lastRole), toolRounds: r.toolRounds },
    lastUserText: r.lastUserText,
    hasToolResult: r.hasToolResult,
  };
}

/** Reads one input item into `r`; an error when it is not a valid item. */
function readItem(item: unknown, param: string, r: Reading): ApiError | undefined {
  if (!isRecord(item)) return invalidRequest(`Invalid type for '${param}': expected an object, but got ${typeName(item)} instead.`, param, 'invalid_type');
  const type = item['type'] ?? 'message';
  let isCall = false;
  if (type === 'message') {
    const role = item['role'];
    if (typeof role !== 'string' || !MESSAGE_ROLES.has(role)) {
      return invalidRequest(
        `Invalid value for '${param}.role': ${JSON.stringify(role)}; supported: 'user', 'assistant', 'system', 'developer'.`,
        `${param}.role`,
        'invalid_value',
      );
    }
    const content = contentText(item['content'], `${param}.content`);
    if (content instanceof ApiError) return content;
    r.messages.push({ role, content });
    if (role === 'user') {
      r.toolRounds = 0;
      r.lastUserText = content;
    }
    r.lastRole = role;
  } else if (type === 'function_call') {
    const { call_id: id, name, arguments: args } = item;
    if (typeof id !== 'string' || typeof name !== 'string' || typeof args !== 'string') {
      return invalidRequest(`Invalid '${param}': a function_call item needs string 'call_id', 'name' and 'arguments'.`, param, 'invalid_value');
    }
    r.callIds.add(id);
    r.messages.push(callMessage(name, args));
    if (!r.previousWasCall) r.toolRounds++;
    isCall = true;
    r.lastRole = 'assistant';
  } else if (type === 'function_call_output') {
    const id = item['call_id'];
    if (typeof id !== 'string' || !r.callIds.has(id)) {
      return invalidRequest(`No tool call found for function call output with call_id ${String(id)}.`, `${param}.call_id`, 'invalid_tool_output');
    }
    const output = typeof item['output'] === 'string' ? item['output'] : JSON.stringify(item['output'] ?? '');
    r.messages.push({ role: 'tool', content: output });
    r.hasToolResult = true;
    r.lastRole = 'tool';
  } else if (type !== 'reasoning' && type !== 'item_reference') {
    return invalidRequest(
      `Invalid value for '${param}.type': ${JSON.stringify(type)}; the mock supports 'message', 'function_call', 'function_call_output'.`,
      `${param}.type`,
      'invalid_value',
    );
  }
  r.previousWasCall = isCall;
  return undefined;
}

/** A function call as the prompt counts it. */
function callMessage(name: string, args: string): CountedMessage {
  return { role: 'assistant', content: `${name}(${args})` };
}

/** Keeps a finished response's conversation (its input, then its output) for a later previous_response_id. */
function rememberResponse(call: CallView, conversations: ConversationStore): void {
  const before = call.request.conversation;
  if (before === undefined) return; // store: false
  const answer = call.answer;
  const messages = [...before.messages];
  const callIds = [...before.callIds];
  if (answer.textUnits > 0 || answer.toolCalls.length === 0) messages.push({ role: 'assistant', content: answer.text() });
  for (const c of answer.toolCalls) {
    messages.push(callMessage(c.name, c.arguments));
    callIds.push(c.id);
  }
  const toolRounds = before.turn.toolRounds + (answer.toolCalls.length > 0 ? 1 : 0);
  conversations.put(call.id, { ...before, messages, callIds, turn: { lastRole: 'assistant', toolRounds } });
}

/** A message's text: a string, or its text parts (input_text, output_text; images and files count nothing). */
function contentText(content: unknown, param: string): string | ApiError {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content))
    return invalidRequest(
      `Invalid type for '${param}': expected a string or an array of content parts, but got ${typeName(content)} instead.`,
      param,
      'invalid_type',
    );
  let text = '';
  for (const [i, part] of content.entries()) {
    if (!isRecord(part) || typeof part['type'] !== 'string')
      return invalidRequest(`Invalid '${param}[${i}]': expected a content part object with a 'type'.`, `${param}[${i}]`, 'invalid_value');
    if (typeof part['text'] === 'string') text += part['text'];
  }
  return text;
}

// ---- rendering ----------------------------------------------------------------------------------

type Stage = 'created' | 'final';

/** The item ids of a call's output (deterministic per request). */
function itemIds(call: CallView): { message: string; calls: string[] } {
  const rng = answerRng(0, call.requestKey, 'responses-items');
  return { message: 'msg_' + randomId(rng, 32), calls: call.answer.toolCalls.map(() => 'fc_' + randomId(rng, 32)) };
}

function messageItem(id: string, text: string, status: string): Record<string, unknown> {
  return { id, type: 'message', status, role: 'assistant', content: [{ type: 'output_text', text, annotations: [], logprobs: [] }] };
}

function callItem(id: string, call: CallView, k: number, args: string, status: string): Record<string, unknown> {
  const c = call.answer.toolCalls[k]!;
  return { id, type: 'function_call', status, arguments: args, call_id: c.id, name: c.name };
}

/** The response object: empty and in progress when created, complete (or incomplete at the cap) at the end. */
function responseObject(call: CallView, stage: Stage): Record<string, unknown> {
  const answer = call.answer;
  const req = call.request;
  const output: Record<string, unknown>[] = [];
  if (stage === 'final') {
    const ids = itemIds(call);
    if (answer.textUnits > 0 || answer.toolCalls.length === 0) output.push(messageItem(ids.message, answer.text(), 'completed'));
    answer.toolCalls.forEach((c, k) => output.push(callItem(ids.calls[k]!, call, k, c.arguments, 'completed')));
  }
  const incomplete = stage === 'final' && answer.finish === 'length';
  const format =
    req.format.kind === 'json_schema'
      ? { type: 'json_schema', name: req.format.name, schema: req.format.schema, strict: req.format.strict }
      : { type: req.format.kind };
  return {
    id: call.id,
    object: 'response',
    created_at: call.createdS,
    status: stage === 'created' ? 'in_progress' : incomplete ? 'incomplete' : 'completed',
    error: null,
    incomplete_details: incomplete ? { reason: 'max_output_tokens' } : null,
    instructions: null,
    max_output_tokens: req.maxOutputTokens,
    model: call.modelId,
    output,
    parallel_tool_calls: req.parallelToolCalls,
    previous_response_id: req.previousResponseId ?? null,
    reasoning: { effort: null, summary: null },
    store: req.conversation !== undefined,
    temperature: 1,
    text: { format },
    tool_choice: req.toolChoice.kind === 'named' ? { type: 'function', name: req.toolChoice.name } : req.toolChoice.kind,
    tools: req.tools.map((t) => ({ type: 'function', name: t.name, parameters: t.parameters, strict: t.strict })),
    top_p: 1,
    truncation: 'disabled',
    usage:
      stage === 'created'
        ? null
        : {
            input_tokens: call.inputTokens,
            input_tokens_details: { cached_tokens: call.cachedInputTokens },
            output_tokens: call.outputTokens,
            output_tokens_details: { reasoning_tokens: 0 },
            total_tokens: call.inputTokens + call.outputTokens,
          },
    user: null,
    metadata: req.metadata ?? {},
  };
}

/** The semantic events, item by item: a message's text deltas, then each function call's argument deltas. */
class ResponsesStream implements StreamWriter {
  private seq = 0;
  /** The output item open: -1 none, 0.. the item's output index. */
  private openIndex = -1;
  private openKind: 'message' | 'call' | undefined;
  private openCall = -1;
  private readonly ids: { message: string; calls: string[] };
  private readonly hasMessage: boolean;

  constructor(private readonly call: CallView) {
    this.ids = itemIds(call);
    this.hasMessage = call.answer.textUnits > 0 || call.answer.toolCalls.length === 0;
  }

  write(sink: StreamSink, from: number, to: number): void {
    sink.write(this.events(from, to));
  }

  end(from: number, to: number): string {
    let out = this.events(from, to);
    if (this.call.answer.units === 0 && this.openIndex === -1) out += this.openMessage();
    out += this.closeOpen();
    const done = this.call.answer.finish === 'length' ? 'response.incomplete' : 'response.completed';
    return out + this.event(done, { response: responseObject(this.call, 'final') });
  }

  private events(from: number, to: number): string {
    let out =
      from === 0
        ? this.event('response.created', { response: responseObject(this.call, 'created') }) +
          this.event('response.in_progress', { response: responseObject(this.call, 'created') })
        : '';
    const answer = this.call.answer;
    for (let i = from; i < to; i++) {
      const u = answer.unit(i);
      if (u.kind === 'text') {
        if (this.openKind !== 'message') out += this.openMessage();
        out += this.event('response.output_text.delta', { item_id: this.ids.message, output_index: 0, content_index: 0, delta: u.text, logprobs: [] });
      } else if (u.kind === 'call') {
        out += this.closeOpen();
        this.openIndex = (this.hasMessage ? 1 : 0) + u.call;
        this.openKind = 'call';
        this.openCall = u.call;
        out += this.event('response.output_item.added', {
          output_index: this.openIndex,
          item: callItem(this.ids.calls[u.call]!, this.call, u.call, '', 'in_progress'),
        });
      } else {
        out += this.event('response.function_call_arguments.delta', { item_id: this.ids.calls[u.call], output_index: this.openIndex, delta: u.text });
      }
    }
    return out;
  }

  private openMessage(): string {
    this.openIndex = 0;
    this.openKind = 'message';
    const item = { id: this.ids.message, type: 'message', status: 'in_progress', role: 'assistant', content: [] };
    return (
      this.event('response.output_item.added', { output_index: 0, item }) +
      this.event('response.content_part.added', {
        item_id: this.ids.message,
        output_index: 0,
        content_index: 0,
        part: { type: 'output_text', text: '', annotations: [], logprobs: [] },
      })
    );
  }

  private closeOpen(): string {
    const kind = this.openKind;
    this.openKind = undefined;
    if (kind === 'message') {
      const text = this.call.answer.text();
      const ids = { item_id: this.ids.message, output_index: 0, content_index: 0 };
      return (
        this.event('response.output_text.done', { ...ids, text, logprobs: [] }) +
        this.event('response.content_part.done', { ...ids, part: { type: 'output_text', text, annotations: [], logprobs: [] } }) +
        this.event('response.output_item.done', { output_index: 0, item: messageItem(this.ids.message, text, 'completed') })
      );
    }
    if (kind === 'call') {
      const k = this.openCall;
      const args = this.call.answer.toolCalls[k]!.arguments;
      const id = this.ids.calls[k]!;
      return (
        this.event('response.function_call_arguments.done', { item_id: id, output_index: this.openIndex, arguments: args }) +
        this.event('response.output_item.done', { output_index: this.openIndex, item: callItem(id, this.call, k, args, 'completed') })
      );
    }
    return '';
  }

  private event(type: string, fields: Record<string, unknown>): string {
    return `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: this.seq++, ...fields })}\n\n`;
  }
}
