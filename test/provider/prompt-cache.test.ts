/**
 * One prompt-cache model: mock-llm's cache (prefixes told apart by their token ids) and the
 * simulator's (prefixes told apart by where they reach in the prompt's layout) follow the same
 * rule, so the prompts the live client writes get the same cached tokens from both, call for call.
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/random.ts';
import { promptMessages } from '../../src/llm/prompt-text.ts';
import { PRESET_MODELS } from '../../src/provider/catalog.ts';
import { LayoutPromptCache, PromptCache, type PromptShape } from '../../src/provider/prompt-cache.ts';
import { encodePrompt } from '../../src/provider/tokenize.mjs';

const model = PRESET_MODELS['gpt-4o-mini']!;
const spec = model.promptCaching!;
const TTL_MS = spec.ttlS * 1000;

/** The live client's text for a call (src/llm/http-client.ts names the wording the same way). */
const liveIds = (p: PromptShape) =>
  encodePrompt(promptMessages(p.step, p.prefixTokens, p.inputTokens, p.wordingId === undefined ? `job${p.jobId}` : String(p.wordingId), p.prefixBlocks));

describe('one prompt-cache model for mock-llm and the simulator', () => {
  it('gives the same cached tokens for the same stream of prompts, TTL expiries included', () => {
    const byIds = new PromptCache(spec, TTL_MS);
    const byLayout = new LayoutPromptCache(spec, TTL_MS, model.pricing);
    const rng = new Rng(7);
    const got: Array<[number, number]> = [];
    let t = 0;
    for (let jobId = 0; jobId < 160; jobId++) {
      // a few steps and system prompts, a few wordings (some repeated, some one-off), lengths across several boundaries
      t += rng.next() < 0.1 ? TTL_MS * 1.5 : rng.next() * TTL_MS * 0.3;
      const prefixTokens = rng.next() < 0.8 ? 1200 : 0;
      // as the agent builds prompts: the system message, then a user message (of a few lengths per wording)
      const prompt: PromptShape = {
        step: rng.next() < 0.7 ? 'answer' : 'plan',
        prefixTokens,
        inputTokens: Math.max(1024, prefixTokens + 8 + rng.int(4) * 150 + rng.int(700)),
        jobId,
        ...(rng.next() < 0.8 ? { wordingId: rng.int(6) } : {}),
      };
      got.push([byIds.lookup([liveIds(prompt)], t), byLayout.lookup(prompt, t)]);
    }
    expect(got.map(([ids]) => ids)).toEqual(got.map(([, layout]) => layout));
    // the stream exercises misses, system-prefix-only hits and whole-prompt hits
    expect(got.filter(([ids]) => ids === 0).length).toBeGreaterThan(10);
    expect(got.filter(([ids]) => ids > 0).length).toBeGreaterThan(10);
    expect(new Set(got.map(([ids]) => ids)).size).toBeGreaterThan(5);
    expect(byLayout.stats.hits).toBe(got.filter(([, l]) => l > 0).length);
    expect(byLayout.stats.cachedTokens).toBe(got.reduce((s, [, l]) => s + l, 0));
  });

  it('agrees on traced prompts whose prefix blocks are shared (Mooncake hash_ids, 512-token blocks)', () => {
    const byIds = new PromptCache(spec, TTL_MS);
    const byLayout = new LayoutPromptCache(spec, TTL_MS, model.pricing);
    const rng = new Rng(11);
    const got: Array<[number, number]> = [];
    for (let jobId = 0; jobId < 60; jobId++) {
      // chained ids as Mooncake writes them: a shared head, then the request's own blocks; the head
      // may end in a partial block (the same id on requests of other lengths: a shorter run of its words)
      const blocks = 2 + rng.int(5);
      const head = rng.int(4);
      const inputTokens = blocks * 512 + 7 - (rng.next() < 0.5 ? 0 : 1 + rng.int(300));
      const ids = Int32Array.from({ length: blocks }, (_, k) => (k < head ? k : 1000 + jobId * 10 + k));
      const prompt: PromptShape = { step: 'answer', prefixTokens: 0, inputTokens, jobId, prefixBlocks: { ids, blockTokens: 512 } };
      got.push([byIds.lookup([liveIds(prompt)], jobId * 1000), byLayout.lookup(prompt, jobId * 1000)]);
    }
    expect(got.map(([ids]) => ids)).toEqual(got.map(([, layout]) => layout));
    expect(got.filter(([ids]) => ids > 0).length).toBeGreaterThan(10);
  });

  it('caches nothing below the minimum prefix and does not count the lookup', () => {
    const byLayout = new LayoutPromptCache(spec, TTL_MS, model.pricing);
    const short: PromptShape = { step: 'answer', prefixTokens: 0, inputTokens: spec.minPrefixTokens - 1, jobId: 1, wordingId: 1 };
    expect(byLayout.lookup(short, 0)).toBe(0);
    expect(byLayout.lookup(short, 1)).toBe(0);
    expect(byLayout.stats.lookups).toBe(0);
  });
});
