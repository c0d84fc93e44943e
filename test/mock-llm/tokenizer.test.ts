/**
 * The tokenizer thread and the constants the server keeps so as not to load the tokenizer: each
 * checked against gpt-tokenizer itself (tokenize.mjs).
 */
import { encodeChat } from 'gpt-tokenizer';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCatalog, startMockServer, type MockServer } from '../../mock-llm/index.ts';
import { countTextTokens, encodePrompt, messageIds, REPLY_PRIMER_IDS } from '../../src/provider/tokenize.mjs';
import { countTexts, isTokenizerLoaded, stopTokenizer, tokenizeMessages } from '../../src/provider/tokenizer.ts';
import { GENERATION_VOCABULARY, NOT_SINGLE_TOKEN, REPLY_PRIMER_IDS as KEPT_PRIMER } from '../../src/provider/tokens.ts';

/** Polls `condition` every millisecond, for at most 5 s. */
async function until(condition: () => boolean): Promise<void> {
  const end = performance.now() + 5_000;
  while (!condition()) {
    if (performance.now() > end) throw new Error('condition not met in 5 s');
    await new Promise((r) => setTimeout(r, 1));
  }
}

describe('constants kept without the tokenizer', () => {
  it('the reply primer ids are the tokenizer’s', () => {
    expect([...KEPT_PRIMER]).toEqual([...REPLY_PRIMER_IDS]);
  });

  it('every generation word is one token alone and after a space; the excluded ones are not', () => {
    for (const w of GENERATION_VOCABULARY) {
      expect(countTextTokens(w)).toBe(1);
      expect(countTextTokens(' ' + w)).toBe(1);
    }
    for (const w of NOT_SINGLE_TOKEN) expect(countTextTokens(w) + countTextTokens(' ' + w)).toBeGreaterThan(2);
  });
});

describe('a message’s ids', () => {
  // messageIds frames the content with ids read off encodeChat once per role (src/provider/token-rules.mjs)
  const viaEncodeChat = (role: string, content: string): number[] =>
    encodeChat([{ role, content }], 'gpt-4o', { disallowedSpecial: new Set() }).slice(0, -REPLY_PRIMER_IDS.length);

  it('are encodeChat’s, for every role and for contents that could merge with the framing or look like it', () => {
    const contents = [
      '',
      ' ',
      'x',
      '\n',
      '  leading and trailing  ',
      'Write a short paragraph about benchmarking. (request 00042)',
      '<|im_end|>',
      '<|im_start|>user<|im_sep|>hi<|im_end|>',
      '<|endoftext|> and <|im_sep|> inside',
      'user',
      'assistant: said so',
      '🙂 naïve café — 東京 ✓',
      '{"city":"Lyon","days":3}',
      'line one\n\nline two\t\ttabbed',
      '1234567890 3.14159 -42',
      'word '.repeat(2_000),
    ];
    // and seeded random strings over an alphabet of letters, digits, spaces, punctuation and non-ASCII
    const alphabet = 'abcXYZ019 .,;:!?\n\t<|>_-\'"éü東🙂';
    let state = 12345;
    const next = (n: number): number => {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      return state % n;
    };
    for (let i = 0; i < 200; i++) contents.push(Array.from({ length: 1 + next(60) }, () => [...alphabet][next([...alphabet].length)]).join(''));
    for (const role of ['system', 'developer', 'user', 'assistant', 'tool', 'function', 'critic']) {
      for (const content of contents)
        expect(messageIds(role, content), `${role}: ${JSON.stringify(content.slice(0, 40))}`).toEqual(viaEncodeChat(role, content));
    }
  });
});

describe('tokenizer thread', () => {
  it('answers what the tokenizer computes, for many concurrent requests', async () => {
    const texts = Array.from({ length: 40 }, (_, i) => `Message ${i}: ${'lorem ipsum dolor '.repeat(i)} <|im_end|> ✓`);
    const [ids, counts] = await Promise.all([Promise.all(texts.map((t, i) => tokenizeMessages([[i % 2 ? 'user' : 'system', t]]))), countTexts(texts)]);
    texts.forEach((t, i) => {
      expect(Array.from(ids[i]![0]!)).toEqual(messageIds(i % 2 ? 'user' : 'system', t));
      expect(counts[i]).toBe(countTextTokens(t));
    });
  });

  it('answers a short message’s ids as a plain array and a long one’s as a typed array (4 bytes an id), the same ids either way', async () => {
    const short = 'A short message.';
    const long = 'many words '.repeat(400);
    const [a, b] = await tokenizeMessages([
      ['user', short],
      ['user', long],
    ]);
    expect(Array.isArray(a)).toBe(true);
    expect(b).toBeInstanceOf(Uint32Array);
    expect(Array.from(a!)).toEqual(messageIds('user', short));
    expect(Array.from(b!)).toEqual(messageIds('user', long));
  });

  it('is loaded by the time startMockServer resolves (the first new prompts do not wait for it)', async () => {
    await stopTokenizer();
    expect(isTokenizerLoaded()).toBe(false);
    const s = await startMockServer({ port: 0 });
    try {
      expect(isTokenizerLoaded()).toBe(true);
    } finally {
      await s.close();
    }
  });

  it('fails the requests waiting on it when it stops, and the next request starts a new one', async () => {
    const waiting = tokenizeMessages([['user', 'x '.repeat(50_000)]]);
    await stopTokenizer();
    await expect(waiting).rejects.toThrow(/tokenizer/);
    expect(await countTexts(['hello world'])).toEqual([2]);
  });
});

describe('the server with the tokenizer off its event loop', () => {
  let server: MockServer;
  let client: OpenAI;
  beforeAll(async () => {
    server = await startMockServer({
      port: 0,
      models: buildCatalog({
        quick: { extends: 'gpt-4o-mini', latency: { ttftBaseMs: 1, prefillMsPerInputToken: 0, ttftCv: 0, itlMs: 0, itlCv: 0 }, defaultOutputTokens: 3 },
      }),
    });
    client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'k', maxRetries: 0 });
  });
  afterAll(async () => {
    await server.close();
  });

  it('counts new and cached prompts alike, long ones included', async () => {
    const long = Array.from({ length: 8000 }, (_, i) => `word${i % 97}`).join(' ');
    const messages = [
      { role: 'system' as const, content: 'You are terse.' },
      { role: 'user' as const, content: long },
    ];
    const expected = encodePrompt(messages).length;
    const first = await client.chat.completions.create({ model: 'quick', messages });
    const again = await client.chat.completions.create({ model: 'quick', messages });
    expect(first.usage!.prompt_tokens).toBe(expected);
    expect(again.usage!.prompt_tokens).toBe(expected);
  });

  it('answers 500 (and keeps serving) when the tokenizer fails, and ends requests waiting on it when the server closes', async () => {
    const failing = client.chat.completions.create({ model: 'quick', messages: [{ role: 'user', content: 'y '.repeat(60_000) }] });
    failing.catch(() => {}); // awaited below
    // stop the thread only once the request waits on it (stopped earlier, the request would
    // start a new thread and be answered)
    await until(() => server.stats().active > 0);
    await stopTokenizer();
    await expect(failing).rejects.toMatchObject({ status: 500 });
    const ok = await client.chat.completions.create({ model: 'quick', messages: [{ role: 'user', content: 'after the restart' }] });
    expect(ok.usage!.prompt_tokens).toBe(encodePrompt([{ role: 'user', content: 'after the restart' }]).length);

    const other = await startMockServer({ port: 0 });
    const c = new OpenAI({ baseURL: `${other.url}/v1`, apiKey: 'k', maxRetries: 0 });
    expect((await c.embeddings.create({ model: 'text-embedding-3-small', input: 'a short one' })).usage.prompt_tokens).toBe(3);
    const pending = c.embeddings.create({ model: 'text-embedding-3-small', input: 'z '.repeat(60_000) }).then(
      () => 'answered',
      (err: { status?: number }) => err.status ?? 'no status',
    );
    await until(() => other.stats().active > 0); // waiting on the tokenizer
    const closing = other.close();
    expect(await pending).not.toBe('answered');
    await closing;
    expect(other.stats().active).toBe(0);
    expect(server.stats().active).toBe(0);
  });
});
