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

/**
 * Messages totalling `inputTokens` prompt tokens: a system message of `prefixTokens` (same text for
 * the same step), then the user message (text fixed by `wording`).
 */
export function promptMessages(step: string, prefixTokens: number, inputTokens: number, wording: string): CountedMessage[] {
  const layout = promptLayout(prefixTokens, inputTokens);
  const messages: CountedMessage[] = [];
  if (layout.systemTokens > 0) messages.push({ role: 'system', content: words(layout.systemContentTokens, `system|${step}`) });
  messages.push({ role: 'user', content: words(layout.userContentTokens, `user|${step}|${wording}`) });
  return messages;
}

/** Texts totalling about `inputTokens` tokens for an embedding call. */
export function embeddingTexts(texts: number, inputTokens: number, key: string): string[] {
  const per = Math.max(1, Math.floor(inputTokens / Math.max(1, texts)));
  return Array.from({ length: texts }, (_, i) => words(per, `embed|${key}|${i}`));
}
