import OpenAI from 'openai';
import { encode } from 'gpt-tokenizer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCatalog, startMockServer, type LedgerSnapshot, type MockServer } from '../../mock-llm/index.ts';
import { callCostUsd } from '../../src/provider/pricing.ts';

/** `n` > 1: n choices, each with its index and its own answer; usage and cost count all of them. */
const models = buildCatalog({
  quick: {
    extends: 'gpt-4o-mini',
    latency: { ttftBaseMs: 1, prefillMsPerInputToken: 0, ttftCv: 0, itlMs: 1, itlCv: 0, slowdownAtCap: 0 },
    defaultOutputTokens: 12,
  },
});
const pricing = models['quick']!.pricing;
const messages = [{ role: 'user' as const, content: 'Name three colours of the sea at dusk.' }];
const TOOLS = [
  {
    type: 'function' as const,
    function: {
      name: 'lookup',
      parameters: { type: 'object', properties: { city: { type: 'string', enum: ['Oslo', 'Lima', 'Pune'] } }, required: ['city'], additionalProperties: false },
    },
  },
];

let server: MockServer;
let client: OpenAI;
beforeAll(async () => {
  server = await startMockServer({ port: 0, host: '127.0.0.1', models, seed: 9 });
  client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'test', maxRetries: 0 });
});
afterAll(async () => {
  await server.close();
});

async function lastRow() {
  const ledger = (await (await fetch(`${server.url}/v1/ledger`)).json()) as LedgerSnapshot;
  return ledger.rows.at(-1)!;
}

describe('n choices (OpenAI chat and legacy completions)', () => {
  it('answers n = 3 with three indexed choices, each its own text, usage and cost for all three', async () => {
    const res = await client.chat.completions.create({ model: 'quick', messages, n: 3 });
    expect(res.choices.map((c) => c.index)).toEqual([0, 1, 2]);
    const texts = res.choices.map((c) => c.message.content!);
    expect(new Set(texts).size).toBe(3);
    for (const t of texts) expect(encode(t).length).toBe(12);
    expect(res.usage!.completion_tokens).toBe(36);
    const row = await lastRow();
    expect(row.outputTokens).toBe(36);
    expect(row.costUsd).toBeCloseTo(
      callCostUsd(pricing, { inputTokens: res.usage!.prompt_tokens, cachedInputTokens: 0, cacheWriteInputTokens: 0, outputTokens: 36 }),
      12,
    );
    // choice 0 is the answer a request for one choice gets
    const one = await client.chat.completions.create({ model: 'quick', messages });
    expect(one.choices[0]!.message.content).toBe(texts[0]);
    expect(one.usage!.completion_tokens).toBe(12);
  });

  it('streams n = 2 as chunks carrying each choice index, the same texts as the whole answer, one finish per choice', async () => {
    const whole = await client.chat.completions.create({ model: 'quick', messages, n: 2, max_tokens: 5 });
    const stream = await client.chat.completions.create({
      model: 'quick',
      messages,
      n: 2,
      max_tokens: 5,
      stream: true,
      stream_options: { include_usage: true },
    });
    const texts = ['', ''];
    const finish: Array<string | null> = [null, null];
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of stream) {
      if (chunk.usage) usage = chunk.usage;
      for (const c of chunk.choices) {
        texts[c.index] += c.delta.content ?? '';
        if (c.finish_reason !== null) finish[c.index] = c.finish_reason;
      }
    }
    expect(texts).toEqual(whole.choices.map((c) => c.message.content));
    expect(finish).toEqual(['length', 'length']);
    expect(usage!.completion_tokens).toBe(10);
    expect((await lastRow()).outputTokens).toBe(10);
  });

  it('gives every choice its own tool calls, counted together', async () => {
    const res = await client.chat.completions.create({ model: 'quick', messages, n: 2, tools: TOOLS, tool_choice: 'required' });
    expect(res.choices).toHaveLength(2);
    for (const c of res.choices) {
      expect(c.finish_reason).toBe('tool_calls');
      expect(JSON.parse(c.message.tool_calls![0]!.type === 'function' ? c.message.tool_calls![0]!.function.arguments : '{}')).toHaveProperty('city');
    }
    const ids = res.choices.map((c) => c.message.tool_calls![0]!.id);
    expect(new Set(ids).size).toBe(2);
    const single = await client.chat.completions.create({ model: 'quick', messages, tools: TOOLS, tool_choice: 'required' });
    expect(res.choices[0]!.message.tool_calls).toEqual(single.choices[0]!.message.tool_calls);
    expect(res.usage!.completion_tokens).toBeGreaterThan(single.usage!.completion_tokens);
    expect((await lastRow()).outputTokens).toBe(single.usage!.completion_tokens);
  });

  it('answers legacy completions with n choices, plain and streamed', async () => {
    const res = await client.completions.create({ model: 'quick', prompt: 'Once upon a time', n: 2, max_tokens: 4 });
    expect(res.choices.map((c) => c.index)).toEqual([0, 1]);
    expect(res.choices[0]!.text).not.toBe(res.choices[1]!.text);
    expect(res.usage!.completion_tokens).toBe(8);
    const stream = await client.completions.create({ model: 'quick', prompt: 'Once upon a time', n: 2, max_tokens: 4, stream: true });
    const texts = ['', ''];
    for await (const chunk of stream) for (const c of chunk.choices) texts[c.index] += c.text;
    expect(texts).toEqual(res.choices.map((c) => c.text));
  });

  it('refuses n outside 1…128 with a 400 naming n', async () => {
    for (const n of [0, 129, 1.5]) {
      const r = await fetch(`${server.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'quick', messages, n }),
      });
      expect(r.status).toBe(400);
      expect(((await r.json()) as { error: { param: string } }).error.param).toBe('n');
    }
  });
});
