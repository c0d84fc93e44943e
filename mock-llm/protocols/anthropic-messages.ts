/**
 * Anthropic Messages (`POST /v1/messages`): system, content blocks, tools with tool_use and
 * tool_result blocks, tool_choice, stop sequences, prompt caching by `cache_control` (usage
 * reports cache_creation_input_tokens and cache_read_input_tokens), `x-api-key`, Anthropic-shaped
 * errors, and the event stream (message_start, content blocks, ping, message_delta, message_stop).
 */
import { ApiError, invalidRequest } from '../errors.ts';
import type { JsonSchema } from '../json-schema.ts';
import type { ModelRequest } from '../model-request.ts';
import { bearerAuthorized, type CallView, type HeaderReader, type Protocol, type StreamSink, type StreamWriter } from '../protocol.ts';
import { parseBody } from '../requests.ts';
import { schemaProblem } from '../schema-check.ts';
import type { CountedMessage } from '../../src/provider/tokens.ts';
import type { ToolChoice, ToolSpec } from '../tools.ts';
import { z } from 'zod';
import { CheckCache, isRecord, typeName } from './openai-common.ts';

const MessagesRequestSchema = z.looseObject({
  model: z.string().min(1),
  max_tokens: z.number().int().min(1),
  messages: z.array(z.unknown()).min(1),
  system: z.union([z.string(), z.array(z.unknown())]).optional(),
  stream: z.boolean().optional(),
  stop_sequences: z.array(z.string()).optional(),
  temperature: z.number().min(0).max(1).optional(),
  top_p: z.number().min(0).max(1).optional(),
  top_k: z.number().int().min(0).optional(),
  tools: z.array(z.unknown()).optional(),
  tool_choice: z.unknown().optional(),
  metadata: z.looseObject({ user_id: z.string().nullable().optional() }).optional(),
});

/** Checked tools by their JSON (see openai-chat.ts). */
const toolsCache = new CheckCache<{ specs: ToolSpec[]; cached: boolean }>();
const NO_TOOLS = Object.freeze({ specs: [] as ToolSpec[], cached: false });

/** Anthropic's error type for each status the mock answers. */
const ERROR_TYPES: Readonly<Record<number, string>> = Object.freeze({
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  405: 'invalid_request_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  503: 'overloaded_error',
  529: 'overloaded_error',
});

/** The Anthropic messages adapter. */
export const anthropicMessages: Protocol = {
  endpoint: 'messages',
  toolCallIdPrefix: 'toolu_',
  authorized: (header, apiKey) => header.header('x-api-key') === apiKey || bearerAuthorized(header, apiKey),
  unauthorized: (header: HeaderReader) =>
    new ApiError(401, header.header('x-api-key') === undefined ? 'x-api-key header is required' : 'invalid x-api-key', 'authentication_error', null),
  parse: parseMessages,
  errorBody: (err) =>
    JSON.stringify({
      type: 'error',
      error: { type: ERROR_TYPES[err.status] ?? (err.status >= 500 ? 'api_error' : 'invalid_request_error'), message: err.message },
    }),
  whole: (call) => JSON.stringify(messageObject(call, true)),
  stream: (call) => new MessagesStream(call),
};

function parseMessages(text: string): ModelRequest | ApiError {
  const body = parseBody(MessagesRequestSchema, text);
  if (body instanceof ApiError) return anthropicMessage(body);
  const toolsJson = body.tools === undefined || body.tools.length === 0 ? '' : JSON.stringify(body.tools);
  const tools = toolsJson === '' ? NO_TOOLS : toolsCache.get(toolsJson, () => parseTools(body.tools!));
  if (tools instanceof ApiError) return tools;
  const choice = parseToolChoice(body.tool_choice, tools.specs);
  if (choice instanceof ApiError) return choice;
  const counted: CountedMessage[] = [];
  let cachePrefix = 0;
  if (tools.specs.length > 0) {
    counted.push({ role: 'system', content: toolsJson });
    if (tools.cached) cachePrefix = counted.length;
  }
  if (body.system !== undefined) {
    const system = blocksText(body.system, 'system');
    if (system instanceof ApiError) return system;
    counted.push({ role: 'system', content: system.text });
    if (system.cached) cachePrefix = counted.length;
  }
  const history = readMessages(body.messages, counted);
  if (history instanceof ApiError) return history;
  return {
    model: body.model,
    messages: counted,
    rawPrompt: false,
    stream: body.stream === true,
    maxOutputTokens: body.max_tokens,
    stop: body.stop_sequences ?? null,
    tools: tools.specs,
    toolChoice: choice.choice,
    parallelToolCalls: choice.parallel,
    format: { kind: 'text' },
    includeUsage: true,
    turn: history.turn,
    lastUserText: history.lastUserText,
    hasToolResult: history.hasToolResult,
    metadata: undefined,
    seed: null,
    topLogprobs: null,
    cachePrefixMessages: Math.max(cachePrefix, history.cachePrefix),
    choices: 1,
  };
}

/** zod's messages reworded as Anthropic words them ("max_tokens: Field required"). */
function anthropicMessage(err: ApiError): ApiError {
  if (err.code === 'missing_required_parameter' && err.param !== null) return invalidRequest(`${err.param}: Field required`, err.param, err.code);
  return err;
}

function parseTools(raw: readonly unknown[]): { specs: ToolSpec[]; cached: boolean } | ApiError {
  const specs: ToolSpec[] = [];
  let cached = false;
  for (const [i, t] of raw.entries()) {
    if (!isRecord(t)) return invalidRequest(`tools.${i}: Input should be an object, got ${typeName(t)}`, `tools.${i}`);
    const name = t['name'];
    if (typeof name !== 'string' || !/^[a-zA-Z0-9_-]{1,128}$/.test(name))
      return invalidRequest(`tools.${i}.name: String should match pattern '^[a-zA-Z0-9_-]{1,128}$'`, `tools.${i}.name`);
    if (specs.some((s) => s.name === name)) return invalidRequest(`tools: Tool names must be unique (duplicate: ${name})`, 'tools');
    const problem = schemaProblem(t['input_schema'], `tool '${name}'`, false);
    if (problem !== null)
      return invalidRequest(
        `tools.${i}.custom.input_schema: JSON schema is invalid - please consult https://json-schema.org or our documentation at https://docs.anthropic.com/en/docs/tool-use (${problem})`,
        `tools.${i}.input_schema`,
      );
    if (t['cache_control'] !== undefined) cached = true;
    specs.push({ name, parameters: t['input_schema'] as JsonSchema, strict: false });
  }
  return { specs, cached };
}

function parseToolChoice(raw: unknown, tools: readonly ToolSpec[]): { choice: ToolChoice; parallel: boolean } | ApiError {
  if (raw === undefined) return { choice: { kind: tools.length > 0 ? 'auto' : 'none' }, parallel: true };
  if (!isRecord(raw)) return invalidRequest(`tool_choice: Input should be an object, got ${typeName(raw)}`, 'tool_choice');
  const parallel = raw['disable_parallel_tool_use'] !== true;
  switch (raw['type']) {
    case 'auto':
      return { choice: { kind: tools.length > 0 ? 'auto' : 'none' }, parallel };
    case 'none':
      return { choice: { kind: 'none' }, parallel };
    case 'any':
      if (tools.length === 0) return invalidRequest('tool_choice: tool_choice.type "any" requires tools', 'tool_choice');
      return { choice: { kind: 'required' }, parallel };
    case 'tool': {
      const name = raw['name'];
      if (typeof name !== 'string' || !tools.some((t) => t.name === name)) {
        return invalidRequest(
          `tool_choice.name: Tool '${String(name)}' not found in provided tools (${tools.map((t) => t.name).join(', ') || 'none'})`,
          'tool_choice.name',
        );
      }
      return { choice: { kind: 'named', name }, parallel };
    }
    default:
      return invalidRequest(
        `tool_choice.type: Input tag ${JSON.stringify(raw['type'])} found using 'type' does not match any of the expected tags: 'auto', 'any', 'tool', 'none'`,
        'tool_choice.type',
      );
  }
}

/** A string or text blocks: the text, and whether a block carries cache_control. */
function blocksText(raw: unknown, param: string): { text: string; cached: boolean } | ApiError {
  if (typeof raw === 'string') return { text: raw, cached: false };
  if (!Array.isArray(raw)) return invalidRequest(`${param}: Input should be a valid string or a list of blocks, got ${typeName(raw)}`, param);
  let text = '';
  let cached = false;
  for (const [i, b] of raw.entries()) {
    if (!isRecord(b) || b['type'] !== 'text' || typeof b['text'] !== 'string')
      return invalidRequest(`${param}.${i}: expected a text block { "type": "text", "text": "..." }`, `${param}.${i}`);
    text += b['text'];
    if (b['cache_control'] !== undefined) cached = true;
  }
  return { text, cached };
}

interface History {
  turn: ModelRequest['turn'];
  lastUserText: string;
  hasToolResult: boolean;
  /** Counted messages up to the last block with cache_control (0 when none). */
  cachePrefix: number;
}

const BLOCK_TYPES = "'text', 'image', 'document', 'tool_use', 'tool_result', 'thinking', 'redacted_thinking'";

/** Counts the messages into `counted`; every tool_result must answer a tool_use of the message before. */
function readMessages(raw: readonly unknown[], counted: CountedMessage[]): History | ApiError {
  let toolRounds = 0;
  let lastUserText = '';
  let hasToolResult = false;
  let cachePrefix = 0;
  let previousToolUses = new Set<string>();
  let lastRole: 'user' | 'assistant' = 'user';
  for (const [i, m] of raw.entries()) {
    const param = `messages.${i}`;
    if (!isRecord(m)) return invalidRequest(`${param}: Input should be an object, got ${typeName(m)}`, param);
    const role = m['role'];
    if (role !== 'user' && role !== 'assistant') {
      const hint = role === 'system' ? ' (use the top-level "system" parameter for a system prompt)' : '';
      return invalidRequest(`${param}.role: Input should be 'user' or 'assistant'${hint}`, `${param}.role`);
    }
    const content = m['content'];
    let text = '';
    const toolUses = new Set<string>();
    let userText = '';
    if (typeof content === 'string') {
      text = userText = content;
    } else if (Array.isArray(content)) {
      const read = readBlocks(content, param, role, previousToolUses, toolUses);
      if (read instanceof ApiError) return read;
      ({ text, userText } = read);
      if (read.cacheMarked) cachePrefix = counted.length + 1;
      if (read.toolResult) hasToolResult = true;
    } else {
      return invalidRequest(`${param}.content: Input should be a valid string or a list of content blocks, got ${typeName(content)}`, `${param}.content`);
    }
    counted.push({ role, content: text });
    if (role === 'user' && !(Array.isArray(content) && content.every((b) => isRecord(b) && b['type'] === 'tool_result'))) {
      toolRounds = 0;
      lastUserText = userText;
    }
    if (role === 'assistant' && toolUses.size > 0) toolRounds++;
    previousToolUses = toolUses;
    lastRole = role;
  }
  // a user message of tool results is the tools' answer: the model's next turn follows tool output
  const last = raw[raw.length - 1] as Record<string, unknown>;
  const lastIsResults =
    Array.isArray(last['content']) && last['content'].length > 0 && last['content'].every((b) => isRecord(b) && b['type'] === 'tool_result');
  return { turn: { lastRole: lastIsResults ? 'tool' : lastRole, toolRounds }, lastUserText, hasToolResult, cachePrefix };
}

/** One message's content blocks: its text as counted, its user text, and its tool uses (added to `toolUses`). */
function readBlocks(
  content: readonly unknown[],
  param: string,
  role: 'user' | 'assistant',
  previousToolUses: ReadonlySet<string>,
  toolUses: Set<string>,
): { text: string; userText: string; cacheMarked: boolean; toolResult: boolean } | ApiError {
  let text = '';
  let userText = '';
  let cacheMarked = false;
  let toolResult = false;
  for (const [j, b] of content.entries()) {
    const at = `${param}.content.${j}`;
    if (!isRecord(b) || typeof b['type'] !== 'string') return invalidRequest(`${at}: Input should be a content block object with a 'type'`, at);
    if (b['cache_control'] !== undefined) cacheMarked = true;
    const type = b['type'];
    if (type === 'text') {
      if (typeof b['text'] !== 'string') return invalidRequest(`${at}.text: Field required`, `${at}.text`);
      text += b['text'];
      userText += b['text'];
    } else if (type === 'tool_use') {
      if (role !== 'assistant') return invalidRequest(`${at}: tool_use blocks are only allowed in assistant messages`, at);
      if (typeof b['id'] !== 'string' || typeof b['name'] !== 'string' || !isRecord(b['input']))
        return invalidRequest(`${at}: a tool_use block needs a string 'id' and 'name' and an object 'input'`, at);
      toolUses.add(b['id']);
      text += `${b['name']}(${JSON.stringify(b['input'])})`;
    } else if (type === 'tool_result') {
      const id = b['tool_use_id'];
      if (typeof id !== 'string' || !previousToolUses.has(id)) {
        return invalidRequest(
          `${at}: unexpected \`tool_use_id\` found in \`tool_result\` blocks: ${String(id)}. Each \`tool_result\` block must have a corresponding \`tool_use\` block in the previous message.`,
          at,
        );
      }
      const result = typeof b['content'] === 'string' ? b['content'] : blocksText(b['content'] ?? [], `${at}.content`);
      if (result instanceof ApiError) return result;
      text += typeof result === 'string' ? result : result.text;
      toolResult = true;
    } else if (!BLOCK_TYPES.includes(`'${type}'`)) {
      return invalidRequest(`${at}.type: Input tag '${type}' found using 'type' does not match any of the expected tags: ${BLOCK_TYPES}`, `${at}.type`);
    }
  }
  return { text, userText, cacheMarked, toolResult };
}

// ---- rendering ----------------------------------------------------------------------------------

function stopReason(call: CallView): string {
  const a = call.answer;
  if (a.finish === 'length') return 'max_tokens';
  if (a.finish === 'tool_calls') return 'tool_use';
  return a.stopSequence !== null ? 'stop_sequence' : 'end_turn';
}

/** Anthropic's usage: input_tokens are the uncached ones; cache reads and writes apart. */
function usage(call: CallView, outputTokens: number): Record<string, number> {
  return {
    input_tokens: call.inputTokens - call.cachedInputTokens - call.cacheWriteTokens,
    cache_creation_input_tokens: call.cacheWriteTokens,
    cache_read_input_tokens: call.cachedInputTokens,
    output_tokens: outputTokens,
  };
}

function toolUseBlock(call: CallView, k: number, input: unknown): Record<string, unknown> {
  const c = call.answer.toolCalls[k]!;
  return { type: 'tool_use', id: c.id, name: c.name, input };
}

/** A tool call's input object (a call cut by max_tokens has unparseable arguments: its input is {}). */
function parsedInput(args: string): unknown {
  try {
    return JSON.parse(args);
  } catch {
    return {};
  }
}

function messageObject(call: CallView, final: boolean): Record<string, unknown> {
  const a = call.answer;
  const content: Record<string, unknown>[] = [];
  if (final) {
    if (a.textUnits > 0 || a.toolCalls.length === 0) content.push({ type: 'text', text: a.text() });
    a.toolCalls.forEach((c, k) => content.push(toolUseBlock(call, k, parsedInput(c.arguments))));
  }
  return {
    id: call.id,
    type: 'message',
    role: 'assistant',
    model: call.modelId,
    content,
    stop_reason: final ? stopReason(call) : null,
    stop_sequence: final ? a.stopSequence : null,
    usage: usage(call, final ? call.outputTokens : 1),
  };
}

/** The event stream: message_start and a ping, one content block per text or tool_use, message_delta, message_stop. */
class MessagesStream implements StreamWriter {
  private block = -1;
  private open: 'text' | 'tool' | undefined;

  constructor(private readonly call: CallView) {}

  write(sink: StreamSink, from: number, to: number): void {
    sink.write(this.events(from, to));
  }

  end(from: number, to: number): string {
    let out = this.events(from, to);
    if (this.block === -1) out += this.startBlock({ type: 'text', text: '' }, 'text');
    out += this.stopBlock();
    out += event('message_delta', {
      delta: { stop_reason: stopReason(this.call), stop_sequence: this.call.answer.stopSequence },
      usage: { output_tokens: this.call.outputTokens },
    });
    return out + event('message_stop', {});
  }

  private events(from: number, to: number): string {
    let out = from === 0 ? event('message_start', { message: messageObject(this.call, false) }) + event('ping', {}) : '';
    for (let i = from; i < to; i++) {
      const u = this.call.answer.unit(i);
      if (u.kind === 'text') {
        if (this.open !== 'text') out += this.startBlock({ type: 'text', text: '' }, 'text');
        out += event('content_block_delta', { index: this.block, delta: { type: 'text_delta', text: u.text } });
      } else if (u.kind === 'call') {
        out += this.stopBlock() + this.startBlock(toolUseBlock(this.call, u.call, {}), 'tool');
      } else {
        out += event('content_block_delta', { index: this.block, delta: { type: 'input_json_delta', partial_json: u.text } });
      }
    }
    return out;
  }

  private startBlock(block: Record<string, unknown>, kind: 'text' | 'tool'): string {
    this.block++;
    this.open = kind;
    return event('content_block_start', { index: this.block, content_block: block });
  }

  private stopBlock(): string {
    if (this.open === undefined) return '';
    this.open = undefined;
    return event('content_block_stop', { index: this.block });
  }
}

function event(type: string, fields: Record<string, unknown>): string {
  return `event: ${type}\ndata: ${JSON.stringify({ type, ...fields })}\n\n`;
}
