import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import { encode } from 'gpt-tokenizer';
import OpenAI from 'openai';
import { setupServer } from 'msw/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildCatalog,
  createMockHandlers,
  defineFixtures,
  MockConfigError,
  startMockServer,
  type LedgerSnapshot,
  type MockServer,
} from '../../mock-llm/index.ts';

const models = buildCatalog({
  quick: {
    extends: 'gpt-4o-mini',
    latency: { ttftBaseMs: 1, prefillMsPerInputToken: 0, ttftCv: 0, itlMs: 1, itlCv: 0, slowdownAtCap: 0 },
    defaultOutputTokens: 8,
  },
  slow: { extends: 'quick', latency: { ttftBaseMs: 120 } },
});
const WEATHER = {
  type: 'function' as const,
  function: {
    name: 'get_weather',
    parameters: { type: 'object', properties: { city: { type: 'string' }, days: { type: 'integer', minimum: 1, maximum: 3 } }, required: ['city', 'days'] },
  },
};

const fixtures = defineFixtures([
  {
    match: { lastUser: { regex: 'weather in (\\w+)', flags: 'i' }, toolResult: false },
    reply: { toolCalls: [{ name: 'get_weather', arguments: { city: 'Oslo', days: 2 } }] },
  },
  { match: { lastUser: 'weather', toolResult: true }, reply: { text: 'It is 4 degrees in Oslo.' } },
  { match: { lastUser: 'generate args' }, reply: { toolCalls: [{ name: 'get_weather' }] } },
  { match: { lastUser: 'json please' }, reply: { json: { ok: true, items: [1, 2] } } },
  { match: { lastUser: 'break', endpoint: 'chat' }, reply: { error: { status: 503, message: 'scripted outage' } } },
  { match: { lastUser: 'cut me' }, reply: { fault: '500' } },
  { match: { model: 'slow' }, reply: { text: 'slow but scripted' }, times: 1 },
]);

let server: MockServer;
let client: OpenAI;
beforeAll(async () => {
  server = await startMockServer({ port: 0, models, fixtures });
  client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'test', maxRetries: 0 });
});
afterAll(async () => {
  await server.close();
});

describe('scripted fixtures', () => {
  it('script a whole tool loop: the call with given arguments, then the answer once the result is in', async () => {
    const ask = [{ role: 'user' as const, content: 'What is the weather in Oslo?' }];
    const first = await client.chat.completions.create({ model: 'quick', messages: ask, tools: [WEATHER] });
    const call = first.choices[0]!.message.tool_calls![0] as OpenAI.ChatCompletionMessageFunctionToolCall;
    expect(first.choices[0]!.finish_reason).toBe('tool_calls');
    expect(JSON.parse(call.function.arguments)).toEqual({ city: 'Oslo', days: 2 });
    const second = await client.chat.completions.create({
      model: 'quick',
      tools: [WEATHER],
      messages: [...ask, first.choices[0]!.message, { role: 'tool', tool_call_id: call.id, content: '4C' }],
    });
    expect(second.choices[0]!.message.content).toBe('It is 4 degrees in Oslo.');
  });

  it('generate the arguments of a scripted call from the tool schema when none are given, and reply JSON', async () => {
    const res = await client.chat.completions.create({ model: 'quick', messages: [{ role: 'user', content: 'generate args' }], tools: [WEATHER] });
    const args = JSON.parse((res.choices[0]!.message.tool_calls![0] as OpenAI.ChatCompletionMessageFunctionToolCall).function.arguments) as {
      city: string;
      days: number;
    };
    expect(typeof args.city).toBe('string');
    expect(args.days).toBeGreaterThanOrEqual(1);
    const json = await client.chat.completions.create({ model: 'quick', messages: [{ role: 'user', content: 'json please' }] });
    expect(JSON.parse(json.choices[0]!.message.content!)).toEqual({ ok: true, items: [1, 2] });
  });

  it('script errors and faults in the provider shape; other requests are generated', async () => {
    await expect(client.chat.completions.create({ model: 'quick', messages: [{ role: 'user', content: 'break it' }] })).rejects.toMatchObject({
      status: 503,
      message: expect.stringContaining('scripted outage'),
    });
    await expect(client.chat.completions.create({ model: 'quick', messages: [{ role: 'user', content: 'cut me' }] })).rejects.toMatchObject({ status: 500 });
    const generated = await client.chat.completions.create({ model: 'quick', messages: [{ role: 'user', content: 'anything else' }] });
    expect(generated.choices[0]!.message.content!.split(' ')).toHaveLength(8);
    // the same fixtures answer the Anthropic API in its own shape
    const anthropic = new Anthropic({ baseURL: server.url, apiKey: 'x', maxRetries: 0 });
    const msg = await anthropic.messages.create({ model: 'quick', max_tokens: 50, messages: [{ role: 'user', content: 'json please' }] });
    expect(JSON.parse((msg.content[0] as Anthropic.TextBlock).text)).toEqual({ ok: true, items: [1, 2] });
  });

  it('give a scripted reply its model latency, tokens, cost and ledger row, at most `times` times', async () => {
    await fetch(`${server.url}/v1/ledger`, { method: 'DELETE' });
    const t0 = performance.now();
    const res = await client.chat.completions.create({ model: 'slow', messages: [{ role: 'user', content: 'hi' }] });
    expect(performance.now() - t0).toBeGreaterThanOrEqual(115);
    expect(res.choices[0]!.message.content).toBe('slow but scripted');
    expect(res.usage!.completion_tokens).toBe(encode('slow but scripted').length);
    const again = await client.chat.completions.create({ model: 'slow', messages: [{ role: 'user', content: 'hi' }] });
    expect(again.choices[0]!.message.content).not.toBe('slow but scripted');
    const ledger = (await (await fetch(`${server.url}/v1/ledger`)).json()) as LedgerSnapshot;
    expect(ledger.rows[0]).toMatchObject({ model: 'slow', outputTokens: encode('slow but scripted').length, outcome: 'ok' });
    expect(ledger.rows[0]!.costUsd).toBeGreaterThan(0);
  });

  it('match by request index, through msw handlers too', async () => {
    const mock = createMockHandlers({ models, fixtures: [{ match: { requestIndex: 1 }, reply: { text: 'second' } }] });
    const msw = setupServer(...mock.handlers);
    msw.listen({ onUnhandledRequest: 'bypass' });
    try {
      const c = new OpenAI({ baseURL: `${mock.baseUrl}/v1`, apiKey: 'x', maxRetries: 0 });
      const answers: string[] = [];
      for (let i = 0; i < 3; i++)
        answers.push((await c.chat.completions.create({ model: 'quick', messages: [{ role: 'user', content: 'hello' }] })).choices[0]!.message.content!);
      expect(answers[1]).toBe('second');
      expect(answers[0]).not.toBe('second');
      expect(answers[2]).toBe(answers[0]);
    } finally {
      msw.close();
      mock.close();
    }
  });

  it('reject a bad fixture with the file and field named', async () => {
    const file = join(tmpdir(), `fixtures-${process.pid}.json`);
    writeFileSync(file, JSON.stringify([{ match: { lastUser: 'x' }, reply: { txt: 'typo' } }]));
    await expect(startMockServer({ port: 0, models, fixturesFile: file })).rejects.toThrow(MockConfigError);
    await expect(startMockServer({ port: 0, models, fixturesFile: file })).rejects.toThrow(
      `Fixtures file "${file}": [0].reply: expected one of { text }, { toolCalls: [{ name, arguments? }] }, { json }, { error: { status, message } }, { fault }.`,
    );
  });
});
