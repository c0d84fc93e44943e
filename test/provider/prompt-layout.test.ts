import { describe, expect, it } from 'vitest';
import { encodePrompt } from '../../src/provider/tokenize.mjs';
import { MESSAGE_END_TOKENS, MESSAGE_HEADER_TOKENS, promptLayout, REPLY_PRIMER_TOKENS } from '../../src/provider/prompt-layout.ts';
import { promptMessages } from '../../src/llm/prompt-text.ts';

describe('prompt layout', () => {
  it('matches the tokenizer’s chat layout', () => {
    expect(encodePrompt([]).length).toBe(REPLY_PRIMER_TOKENS);
    expect(encodePrompt([{ role: 'user', content: '' }]).length - REPLY_PRIMER_TOKENS).toBe(MESSAGE_HEADER_TOKENS + MESSAGE_END_TOKENS);
    expect(encodePrompt([{ role: 'system', content: '' }]).length - REPLY_PRIMER_TOKENS).toBe(MESSAGE_HEADER_TOKENS + MESSAGE_END_TOKENS);
  });

  it.each([
    [0, 50],
    [400, 1900],
    [1200, 1300],
    [1800, 6000],
  ])('writes live prompts of exactly the simulated length (system %i, total %i)', (prefix, total) => {
    const messages = promptMessages('answer', prefix, total, 'faq/1/2');
    const ids = encodePrompt(messages);
    expect(ids.length).toBe(total);
    const layout = promptLayout(prefix, total);
    if (prefix > 0) expect(encodePrompt([messages[0]!]).length - REPLY_PRIMER_TOKENS).toBe(layout.systemTokens);
    expect(layout.userContentEnd + MESSAGE_END_TOKENS + REPLY_PRIMER_TOKENS).toBe(total);
  });

  it('keeps the system message identical across prompts of a step and the user text identical across requests of a wording', () => {
    const a = promptMessages('answer', 1200, 1500, 'faq/1/0');
    const b = promptMessages('answer', 1200, 1700, 'faq/2/0');
    const c = promptMessages('answer', 1200, 1600, 'faq/1/0');
    expect(a[0]).toEqual(b[0]);
    expect(a[1]!.content).not.toEqual(b[1]!.content);
    expect(c[1]!.content.startsWith(a[1]!.content)).toBe(true);
  });
});
