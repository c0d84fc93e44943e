/**
 * Prompt text of an exact token count, for live mode: the live client sends real messages whose
 * gpt-tokenizer count (chat layout, as the mock counts them) equals the simulated call's input
 * tokens, with the step's system prompt identical across requests (so provider prompt caching
 * sees the same prefix the simulator assumes).
 */
import { GENERATION_VOCABULARY, type CountedMessage } from '../provider/tokens.ts';
import { promptLayout } from '../provider/prompt-layout.ts';
import { hashString, Rng } from '../core/random.ts';

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

/** Texts totalling about `inputTokens` tokens for an embedding call. */
export function embeddingTexts(texts: number, inputTokens: number, key: string): string[] {
  const per = Math.max(1, Math.floor(inputTokens / Math.max(1, texts)));
  return Array.from({ length: texts }, (_, i) => words(per, `embed|${key}|${i}`));
}
