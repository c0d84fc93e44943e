/**
 * The protocol-neutral request the core answers. Each protocol adapter validates its own wire
 * format once and maps it to this; the core and the answer rules read nothing else.
 */
import { hashString } from '../src/core/random.ts';
import type { StoredConversation } from './conversations.ts';
import type { JsonSchema } from './json-schema.ts';
import type { CountedMessage } from '../src/provider/tokens.ts';
import type { ToolChoice, ToolSpec, TurnState } from './tools.ts';

/** What shape the text output must take. */
export type OutputFormat =
  | { kind: 'text' }
  | { kind: 'json_object' }
  | { kind: 'json_schema'; name: string; schema: JsonSchema; strict: boolean /** The schema as JSON text (the answer's key reads it). */; schemaJson: string };

/** One request, as every adapter hands it to the core. */
export interface ModelRequest {
  model: string;
  /**
   * The prompt as the tokenizer counts it: one role and text per message (system first when
   * any), in the chat layout plus the reply primer; or, with `rawPrompt`, one text counted as it is.
   */
  messages: CountedMessage[];
  /** A legacy completions prompt: counted as plain text (role RAW_TEXT_ROLE), no chat layout, no reply primer. */
  rawPrompt: boolean;
  stream: boolean;
  /** Output cap (max_tokens, max_completion_tokens, max_output_tokens); null when none. */
  maxOutputTokens: number | null;
  stop: readonly string[] | null;
  tools: readonly ToolSpec[];
  toolChoice: ToolChoice;
  parallelToolCalls: boolean;
  format: OutputFormat;
  /** Streams end with a usage event/chunk (OpenAI chat: stream_options.include_usage; always for the others). */
  includeUsage: boolean;
  turn: TurnState;
  /** The text of the last user message ('' when none), for fixture matchers. */
  lastUserText: string;
  /** A tool result is somewhere in the conversation. */
  hasToolResult: boolean;
  /** The request's metadata (the mock reads mock_output_tokens and difficulty). */
  metadata: Readonly<Record<string, unknown>> | null | undefined;
  /** The request's own `seed` (OpenAI), or null: a different seed, a different answer. */
  seed: number | null;
  /** Alternatives per token when log probabilities are asked for (0: the chosen token's only); null when not asked. */
  topLogprobs: number | null;
  /**
   * Anthropic prompt caching: the prompt's first this many messages are marked with
   * `cache_control` (their prefix is written to / read from the cache); 0 when nothing is marked.
   */
  cachePrefixMessages: number;
  /** Choices to answer (OpenAI chat and legacy completions `n`); 1 for the other APIs. */
  choices: number;
  /** Responses: the conversation through this request's input, kept with the response unless `store: false`. */
  conversation?: StoredConversation;
  /** Legacy completions `echo`: the prompt is sent back before the completion. */
  echo?: boolean;
  /** Responses: the `previous_response_id` it continues, or null. */
  previousResponseId?: string | null;
  /** Gemini streamGenerateContent without `alt=sse`: the stream is one JSON array, not SSE events. */
  jsonArrayStream?: boolean;
}

/** The role of a message counted as plain text (see tokenize.mjs). */
export const RAW_TEXT_ROLE = '';

/** Reduces a provider's role to the four the answer rules know. */
export function turnRole(role: string): TurnState['lastRole'] {
  if (role === 'user') return 'user';
  if (role === 'assistant') return 'assistant';
  if (role === 'tool' || role === 'function') return 'tool';
  return 'system';
}

/** The answer key of choice `index` of a request keyed `key` (choice 0 is the request's own answer). */
export function choiceKey(key: number, index: number): number {
  return index === 0 ? key : hashString(`choice|${index}`, key);
}

/**
 * The key of a request's answer: the same for the same model, prompt (tools included), output
 * format and request seed, whatever else differs (stream, caps, stop sequences, log
 * probabilities), so that a capped or stopped answer is a prefix of the full one, and a streamed
 * answer equals the whole one. `seed` is the server's.
 */
export function answerKey(req: ModelRequest, seed: number): number {
  let h = hashString(req.model, seed);
  if (req.seed !== null) h = hashString(String(req.seed), h);
  const messages = req.messages;
  for (let i = 0; i < messages.length; i++) h = hashString(messages[i]!.content, hashString(messages[i]!.role, h));
  if (req.format.kind === 'json_schema') h = hashString(req.format.schemaJson, h);
  else if (req.format.kind === 'json_object') h = hashString('json_object', h);
  return h;
}
