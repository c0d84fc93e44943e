/**
 * Provider prompt caching, as mock-llm and OpenAI do it: the longest prefix (≥ 1,024 tokens, in
 * 128-token steps) sent before within the TTL is billed at the cached price. Requests of one step
 * share its system message; requests with the same wording share the whole prompt.
 */
import { describe, expect, it } from 'vitest';
import { PRESET_MODELS } from '../../src/provider/catalog.ts';
import { callCostUsd } from '../../src/provider/pricing.ts';
import { drive, tinyScenario } from './harness.ts';

const gpt4o = PRESET_MODELS['gpt-4o']!;
const withSystemPrompt = (systemPromptTokens: number) => tinyScenario({ workflow: [{ type: 'llm', name: 'answer', model: 'gpt-4o', systemPromptTokens }] });

describe('provider prompt caching', () => {
  it('bills the second request within the TTL at the cached price for the prefix; the first request pays full price', async () => {
    // 1,200-token system prompt, two different wordings: the shared prefix is the system message
    // and the user message's 3 header tokens (1,203), cached in 128-token steps past 1,024 → 1,152
    const run = await drive(withSystemPrompt(1200), [{ atMs: 0 }, { atMs: 60_000, intent: 1 }], { strategies: { promptCaching: true } });
    const [first, second] = run.rows;
    expect(first).toMatchObject({ inputTokens: 1300, cachedInputTokens: 0 });
    expect(first!.costUsd).toBeCloseTo(callCostUsd(gpt4o.pricing, { inputTokens: 1300, cachedInputTokens: 0, outputTokens: 50 }), 15);
    expect(second).toMatchObject({ inputTokens: 1300, cachedInputTokens: 1152 });
    // (148 × 2.5 + 1152 × 1.25 + 50 × 10) / 1e6
    expect(second!.costUsd).toBeCloseTo((148 * 2.5 + 1152 * 1.25 + 50 * 10) / 1e6, 15);
    expect(run.client.promptCache.get('gpt-4o')).toMatchObject({ lookups: 2, hits: 1, cachedTokens: 1152 });
    expect(run.client.promptCache.get('gpt-4o')!.savedUsd).toBeCloseTo((1152 * (2.5 - 1.25)) / 1e6, 15);
  });

  it('expires the prefix ttlS after its last use', async () => {
    const ttlMs = gpt4o.promptCaching!.ttlS * 1000;
    const run = await drive(withSystemPrompt(1200), [{ atMs: 0 }, { atMs: 60_000, intent: 1 }, { atMs: 60_000 + ttlMs + 1, intent: 2 }], {
      strategies: { promptCaching: true },
    });
    expect([...run.rows].sort((a, b) => a.tMs - b.tMs).map((r) => r.cachedInputTokens)).toEqual([0, 1152, 0]);
  });

  it('caches the whole prompt when the same wording comes again: 1,280 of 1,300 tokens', async () => {
    const run = await drive(withSystemPrompt(1200), [{ atMs: 0 }, { atMs: 60_000 }], { strategies: { promptCaching: true } });
    expect(run.rows.map((r) => r.cachedInputTokens)).toEqual([0, 1280]);
  });

  it('caches nothing below 1,024 shared prefix tokens or when prompt caching is off', async () => {
    const short = await drive(withSystemPrompt(1000), [{ atMs: 0 }, { atMs: 60_000, intent: 1 }], { strategies: { promptCaching: true } });
    expect(short.rows.map((r) => r.cachedInputTokens)).toEqual([0, 0]);
    const off = await drive(withSystemPrompt(1200), [{ atMs: 0 }, { atMs: 60_000 }], { strategies: { promptCaching: false } });
    expect(off.rows.map((r) => r.cachedInputTokens)).toEqual([0, 0]);
  });

  it('a cached prefix shortens prefill: TTFT is lower on the second request (same latency draw)', async () => {
    // a deterministic model: no spread, so TTFT = base + prefill × uncached tokens exactly
    const loaded = tinyScenario({
      models: { steady: { extends: 'gpt-4o', latency: { ttftCv: 0, itlCv: 0, slowdownAtCap: 0, prefillMsPerInputToken: 0.5 } } },
      workflow: [{ type: 'llm', name: 'answer', model: 'steady', systemPromptTokens: 1200 }],
    });
    const run = await drive(loaded, [{ atMs: 0 }, { atMs: 60_000, intent: 1 }], { strategies: { promptCaching: true } });
    expect(run.rows.map((r) => r.ttftMs)).toEqual([450 + 0.5 * 1300, 450 + 0.5 * 148]);
  });
});
