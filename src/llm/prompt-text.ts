/**
 * Prompt text of an exact token count, for live mode: the live client sends real messages whose
 * gpt-tokenizer count (chat layout, as the mock counts them) equals the simulated call's input
 * tokens, with the step's system prompt identical across requests (so provider prompt caching
 * sees the same prefix the simulator assumes).
 */
import { GENERATION_VOCABULARY, type CountedMessage } from '../provider/tokens.ts';
import { promptLayout } from '../provider/prompt-layout.ts';
import { hashString, Rng } from '../core/random.ts';
import type { ToolTurn } from './tool-wire.ts';

function words(count: number, seedText: string): string {
  if (count <= 0) return '';
  const rng = new Rng(hashString(seedText));
  const v = GENERATION_VOCABULARY;
  let out = v[rng.int(v.length)]!;
  for (let i = 1; i < count; i++) out += ' ' + v[rng.int(v.length)]!;
  return out;
}

/** A traced prompt's prefix blocks (a Mooncake trace's `hash_ids`): equal leading ids, equal leading text. */
export interface PromptBlocks {
  ids: ArrayLike<number>;
  blockTokens: number;
}

/**
 * Messages totalling `inputTokens` prompt tokens: a system message of `prefixTokens` (same text for
 * the same step), then the user message (text fixed by `wording`). With `blocks`, the user text
 * starts with one run of `blockTokens` words per block (the last one cut to what is left), its
 * words fixed by the block's id alone (ids are chained, so an equal id is an equal prefix), then
 * the rest, past the trace's blocks, from `wording`: two traced requests sharing leading blocks share that prompt prefix token for token,
 * and the endpoint's prompt cache sees the trace's reuse (the simulator's cache reads the same
 * blocks at the same offsets).
 */
export function promptMessages(step: string, prefixTokens: number, inputTokens: number, wording: string, blocks?: PromptBlocks): CountedMessage[] {
  const layout = promptLayout(prefixTokens, inputTokens);
  const messages: CountedMessage[] = [];
  if (layout.systemTokens > 0) messages.push({ role: 'system', content: words(layout.systemContentTokens, `system|${step}`) });
  let user = '';
  let left = layout.userContentTokens;
  if (blocks !== undefined && blocks.blockTokens > 0) {
    // the last block may be partial: its words are still its id's (a shorter run of the same words),
    // as the simulator's cache reads every boundary inside a block by the block's id
    for (let k = 0; k < blocks.ids.length && left > 0; k++) {
      const n = Math.min(left, blocks.blockTokens);
      user += (user === '' ? '' : ' ') + words(n, `block|${blocks.ids[k]}`);
      left -= n;
    }
  }
  if (left > 0) user += (user === '' ? '' : ' ') + words(left, `user|${step}|${wording}`);
  messages.push({ role: 'user', content: user });
  return messages;
}

/** A chat message on the wire: counted text, or an assistant's tool calls, or a tool's result. */
export type WireMessage =
  | CountedMessage
  | { role: 'assistant'; content: null; tool_calls: Array<{ id: string; type: 'function'; function: { name: string; arguments: string } }> }
  | { role: 'tool'; tool_call_id: string; content: string };

/** What `chatMessages` reads of a call (the transport's `ChatWire`). */
export interface ChatPrompt {
  step: string;
  prefixTokens: number;
  inputTokens: number;
  wording: string;
  prefixBlocks?: PromptBlocks;
  tools?: ToolTurn;
}

/**
 * The messages of a chat call of `inputTokens` prompt tokens in all: with tool calling, the
 * offered tools (a message of `offer.tokens` the endpoint adds ahead of the system message) and
 * the earlier tool calls and their results (after the user message) are part of the count, so
 * the system and user text are written for what is left.
 */
export function chatMessages(w: ChatPrompt): WireMessage[] {
  const offered = w.tools?.offer?.tokens ?? 0;
  const exchange = w.tools?.exchange;
  const messages: WireMessage[] = promptMessages(
    w.step,
    w.prefixTokens - offered,
    w.inputTokens - offered - (exchange?.tokens ?? 0),
    w.wording,
    w.prefixBlocks,
  );
  if (exchange === undefined) return messages;
  messages.push({
    role: 'assistant',
    content: null,
    tool_calls: exchange.calls.map((c) => ({ id: c.id, type: 'function' as const, function: { name: c.name, arguments: c.arguments } })),
  });
  exchange.results.forEach((r, i) => {
    messages.push({ role: 'tool', tool_call_id: exchange.calls[i]!.id, content: toolResultText(r.tokens, r.key) });
  });
  return messages;
}

/** A tool's result of `tokens` tokens, its words fixed by `key` (the same call, the same result). */
function toolResultText(tokens: number, key: string): string {
  return words(tokens, `tool|${key}`);
}

/** Texts totalling about `inputTokens` tokens for an embedding call. */
export function embeddingTexts(texts: number, inputTokens: number, key: string): string[] {
  const per = Math.max(1, Math.floor(inputTokens / Math.max(1, texts)));
  return Array.from({ length: texts }, (_, i) => words(per, `embed|${key}|${i}`));
}
