import Anthropic from '@anthropic-ai/sdk';
import { Ajv } from 'ajv';
import { encode } from 'gpt-tokenizer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCatalog, startMockServer, type LedgerSnapshot, type MockServer } from '../../mock-llm/index.ts';
import { callCostUsd } from '../../src/provider/pricing.ts';

const ajv = new Ajv({ strict: false });
const models = buildCatalog({
  haiku: {
    extends: 'claude-3-5-haiku',
    latency: { ttftBaseMs: 1, prefillMsPerInputToken: 0, ttftCv: 0, itlMs: 1, itlCv: 0, slowdownAtCap: 0 },
    defaultOutputTokens: 15,
  },
});
const EXTRACT = {
  name: 'record_invoice',
  description: 'Record the invoice fields',
  input_schema: {
    type: 'object' as const,
    properties: {
      vendor: { type: 'string', minLength: 2 },
      total: { type: 'number', minimum: 0, maximum: 10_000 },
      lines: {
        type: 'array',
        items: { type: 'object', properties: { item: { type: 'string' }, qty: { type: 'integer', minimum: 1 } }, required: ['item', 'qty'] },
        minItems: 1,
      },
      currency: { enum: ['EUR', 'USD'] },
    },
    required: ['vendor', 'total', 'lines', 'currency'],
  },
};

let server: MockServer;
let client: Anthropic;
beforeAll(async () => {
  server = await startMockServer({ port: 0, models, seed: 9, apiKey: 'sk-ant-test' });
  client = new Anthropic({ baseURL: server.url, apiKey: 'sk-ant-test', maxRetries: 0 });
});
afterAll(async () => {
  await server.close();
});

const question = [{ role: 'user' as const, content: 'Extract the invoice from ACME: 3 bolts, 12 EUR.' }];

async function ledger(): Promise<LedgerSnapshot> {
  return (await (await fetch(`${server.url}/v1/ledger`, { headers: { authorization: 'Bearer sk-ant-test' } })).json()) as LedgerSnapshot;
}

describe('Anthropic messages through @anthropic-ai/sdk', () => {
  it('messages.create answers text with a system prompt, stop_reason and usage', async () => {
    const msg = await client.messages.create({ model: 'haiku', max_tokens: 100, system: 'You are terse.', messages: question });
    expect(msg.type).toBe('message');
    expect(msg.stop_reason).toBe('end_turn');
    const block = msg.content[0] as Anthropic.TextBlock;
    expect(encode(block.text).length).toBe(15);
    expect(msg.usage.output_tokens).toBe(15);
    expect(msg.usage.cache_read_input_tokens).toBe(0);
  });

  it('messages.create stops at max_tokens and at a stop sequence', async () => {
    const capped = await client.messages.create({ model: 'haiku', max_tokens: 4, messages: question });
    expect(capped.stop_reason).toBe('max_tokens');
    expect(capped.usage.output_tokens).toBe(4);
    const full = ((await client.messages.create({ model: 'haiku', max_tokens: 100, messages: question })).content[0] as Anthropic.TextBlock).text;
    const word = full.split(' ')[3]!;
    const stopped = await client.messages.create({ model: 'haiku', max_tokens: 100, messages: question, stop_sequences: [` ${word}`] });
    expect(stopped.stop_reason).toBe('stop_sequence');
    expect(stopped.stop_sequence).toBe(` ${word}`);
  });

  it('messages.stream with a forced tool gives tool_use input valid against the schema (tool use as structured output)', async () => {
    const stream = client.messages.stream({
      model: 'haiku',
      max_tokens: 500,
      messages: question,
      tools: [EXTRACT],
      tool_choice: { type: 'tool', name: 'record_invoice' },
    });
    const events: string[] = [];
    stream.on('streamEvent', (e) => events.push(e.type));
    const final = await stream.finalMessage();
    expect(final.stop_reason).toBe('tool_use');
    const use = final.content.find((b): b is Anthropic.ToolUseBlock => b.type === 'tool_use')!;
    expect(use.id).toMatch(/^toolu_/);
    expect(use.name).toBe('record_invoice');
    expect(ajv.validate(EXTRACT.input_schema, use.input), ajv.errorsText()).toBe(true);
    // the SDK does not pass pings on: the wire order is checked below
    expect(events.slice(0, 3)).toEqual(['message_start', 'content_block_start', 'content_block_delta']);
    expect(events.slice(-3)).toEqual(['content_block_stop', 'message_delta', 'message_stop']);
    const raw = await fetch(`${server.url}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': 'sk-ant-test', 'anthropic-version': '2023-06-01', 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'haiku', max_tokens: 500, messages: question, stream: true }),
    });
    const names = [...(await raw.text()).matchAll(/^event: (\w+)$/gm)].map((m) => m[1]);
    expect(names.slice(0, 4)).toEqual(['message_start', 'ping', 'content_block_start', 'content_block_delta']);
  });

  it('answers the tool_result in text, and rejects a tool_result that answers no tool_use', async () => {
    const first = await client.messages.create({ model: 'haiku', max_tokens: 300, messages: question, tools: [EXTRACT] });
    const use = first.content.find((b): b is Anthropic.ToolUseBlock => b.type === 'tool_use')!;
    const second = await client.messages.create({
      model: 'haiku',
      max_tokens: 300,
      tools: [EXTRACT],
      messages: [
        ...question,
        { role: 'assistant', content: first.content },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: use.id, content: 'recorded' }] },
      ],
    });
    expect(second.stop_reason).toBe('end_turn');
    const bad = client.messages.create({
      model: 'haiku',
      max_tokens: 10,
      messages: [
        ...question,
        { role: 'assistant', content: 'ok' },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_nope', content: 'x' }] },
      ],
    });
    await expect(bad).rejects.toBeInstanceOf(Anthropic.BadRequestError);
    await expect(bad).rejects.toMatchObject({
      error: {
        type: 'error',
        error: { type: 'invalid_request_error', message: expect.stringContaining('unexpected `tool_use_id` found in `tool_result` blocks: toolu_nope') },
      },
    });
  });

  it('writes a cache_control prefix once, then reads it; both priced with the cache-write premium and read discount', async () => {
    await fetch(`${server.url}/v1/ledger`, { method: 'DELETE', headers: { authorization: 'Bearer sk-ant-test' } });
    const longSystem = 'Policy clause on refunds and returns. '.repeat(400);
    const params = {
      model: 'haiku',
      max_tokens: 50,
      system: [{ type: 'text' as const, text: longSystem, cache_control: { type: 'ephemeral' as const } }],
      messages: question,
    };
    const first = await client.messages.create(params);
    const second = await client.messages.create(params);
    expect(first.usage.cache_creation_input_tokens).toBeGreaterThan(2048);
    expect(first.usage.cache_read_input_tokens).toBe(0);
    expect(second.usage.cache_read_input_tokens).toBe(first.usage.cache_creation_input_tokens);
    expect(second.usage.cache_creation_input_tokens).toBe(0);
    const rows = (await ledger()).rows;
    const pricing = models['haiku']!.pricing;
    expect(pricing.cacheWritePer1M).toBe(1);
    const written = first.usage.cache_creation_input_tokens!;
    const all = first.usage.input_tokens + written;
    expect(rows[0]!.cacheWriteInputTokens).toBe(written);
    expect(rows[0]!.costUsd).toBeCloseTo((first.usage.input_tokens * 0.8 + written * 1 + 15 * 4) / 1e6, 12);
    expect(rows[1]!.costUsd).toBeCloseTo(callCostUsd(pricing, { inputTokens: all, cachedInputTokens: written, outputTokens: 15 }), 12);
    expect(rows[1]!.costUsd).toBeLessThan(rows[0]!.costUsd);
  });

  it('answers Anthropic-shaped errors: 401 without x-api-key, 404 model, 400 malformed block', async () => {
    const res = await fetch(`${server.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
      body: '{}',
    });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ type: 'error', error: { type: 'authentication_error', message: 'x-api-key header is required' } });
    await expect(client.messages.create({ model: 'nope', max_tokens: 5, messages: question })).rejects.toBeInstanceOf(Anthropic.NotFoundError);
    const bad = client.messages.create({ model: 'haiku', max_tokens: 5, messages: [{ role: 'user', content: [{ type: 'txt', text: 'x' } as never] }] });
    await expect(bad).rejects.toMatchObject({
      status: 400,
      error: { error: { message: expect.stringContaining("messages.0.content.0.type: Input tag 'txt'") } },
    });
    const missing = await fetch(`${server.url}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': 'sk-ant-test' },
      body: JSON.stringify({ model: 'haiku', messages: question }),
    });
    expect(((await missing.json()) as { error: { message: string } }).error.message).toBe('max_tokens: Field required');
  });
});
