import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCatalog, startMockServer, type MockServer } from '../../mock-llm/index.ts';
import { promptLayout } from '../../src/provider/prompt-layout.ts';
import { promptMessages } from '../../src/llm/prompt-text.ts';
import { encodePrompt } from '../../src/provider/tokenize.mjs';

/**
 * A traced prompt's prefix blocks (Mooncake `hash_ids`) become shared prompt text in live mode:
 * requests with equal leading block ids send equal leading tokens, so the endpoint's prompt
 * cache sees the trace's prefix reuse.
 */
const BLOCK = 512;
const blocks = (...ids: number[]) => ({ ids: Int32Array.from(ids), blockTokens: BLOCK });

describe('traced prefix blocks as prompt text', () => {
  it.each([
    [0, 1800, [1, 2, 3]],
    [400, 2500, [1, 2, 3, 4]],
    [0, 700, [9, 10]],
  ])('writes prompts of exactly the traced length (system %i, total %i, blocks %j)', (prefix, total, ids) => {
    expect(encodePrompt(promptMessages('answer', prefix, total, 'w', blocks(...ids))).length).toBe(total);
  });

  it('shares the tokens of equal leading blocks, and of them only', () => {
    const start = promptLayout(0, 2000).userContentStart;
    const a = encodePrompt(promptMessages('answer', 0, 2000, 'job1', blocks(7, 8, 9)));
    const b = encodePrompt(promptMessages('answer', 0, 2200, 'job2', blocks(7, 8, 5)));
    let shared = 0;
    while (a[shared] === b[shared]) shared++;
    // two whole blocks in common (a third block's first words could coincide by chance: at most a few)
    expect(shared).toBeGreaterThanOrEqual(start + 2 * BLOCK);
    expect(shared).toBeLessThan(start + 2 * BLOCK + 4);
  });

  describe('against mock-llm’s prompt cache', () => {
    const models = buildCatalog({
      cached: { extends: 'gpt-4o-mini', latency: { ttftBaseMs: 1, prefillMsPerInputToken: 0, ttftCv: 0, itlMs: 0, itlCv: 0, slowdownAtCap: 0 } },
    });
    let server: MockServer;
    beforeAll(async () => {
      server = await startMockServer({ port: 0, host: '127.0.0.1', models, seed: 2 });
    });
    afterAll(async () => {
      await server.close();
    });

    async function cachedTokens(inputTokens: number, wording: string, ids: number[]): Promise<{ prompt: number; cached: number }> {
      const res = await fetch(`${server.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'cached', messages: promptMessages('answer', 0, inputTokens, wording, blocks(...ids)), max_tokens: 1 }),
      });
      const body = (await res.json()) as { usage: { prompt_tokens: number; prompt_tokens_details: { cached_tokens: number } } };
      return { prompt: body.usage.prompt_tokens, cached: body.usage.prompt_tokens_details.cached_tokens };
    }

    it('reads the shared blocks from the cache (1,024 tokens and up, in steps of 128) and nothing for new blocks', async () => {
      expect(await cachedTokens(2000, 'job1', [21, 22, 23])).toEqual({ prompt: 2000, cached: 0 });
      // two leading blocks in common: 3 header tokens + 1,024 shared, cached to the 1,024 step
      expect(await cachedTokens(2100, 'job2', [21, 22, 31])).toEqual({ prompt: 2100, cached: 1024 });
      // three in common: 3 + 1,536 shared, cached to 1,536
      expect(await cachedTokens(1900, 'job3', [21, 22, 23, 40])).toEqual({ prompt: 1900, cached: 1536 });
      // other blocks, the same words budget: nothing cached
      expect(await cachedTokens(2000, 'job4', [51, 52, 53])).toEqual({ prompt: 2000, cached: 0 });
      // without blocks every request's text is its own
      const res = await fetch(`${server.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'cached', messages: promptMessages('answer', 0, 2000, 'job5'), max_tokens: 1 }),
      });
      expect(((await res.json()) as { usage: { prompt_tokens_details: { cached_tokens: number } } }).usage.prompt_tokens_details.cached_tokens).toBe(0);
    });
  });
});
