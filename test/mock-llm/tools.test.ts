import { Ajv } from 'ajv';
import { encode } from 'gpt-tokenizer';
import OpenAI from 'openai';
import { zodResponseFormat } from 'openai/helpers/zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { buildCatalog, startMockServer, type LedgerSnapshot, type MockServer } from '../../mock-llm/index.ts';
import { TOOL_CALL_OVERHEAD_TOKENS } from '../../src/provider/tokens.ts';
import { callCostUsd } from '../../src/provider/pricing.ts';

const ajv = new Ajv({ strict: false });
const models = buildCatalog({
  quick: {
    extends: 'gpt-4o-mini',
    latency: { ttftBaseMs: 1, prefillMsPerInputToken: 0, ttftCv: 0, itlMs: 0, itlCv: 0, slowdownAtCap: 0 },
    defaultOutputTokens: 20,
  },
});

/** Tools as an agent declares them: nested objects and arrays, enums, bounds, strict. */
const WEATHER = {
  type: 'function' as const,
  function: {
    name: 'get_weather',
    description: 'Weather for a city',
    strict: true,
    parameters: {
      type: 'object',
      properties: {
        city: { type: 'string', minLength: 2 },
        unit: { type: 'string', enum: ['celsius', 'fahrenheit'] },
        days: { type: 'integer', minimum: 1, maximum: 7 },
      },
      required: ['city', 'unit', 'days'],
      additionalProperties: false,
    },
  },
};
const SEARCH = {
  type: 'function' as const,
  function: {
    name: 'search_orders',
    parameters: {
      type: 'object',
      properties: {
        filter: {
          type: 'object',
          properties: { status: { enum: ['open', 'shipped'] }, minTotal: { type: 'number', minimum: 0, maximum: 500 } },
          required: ['status'],
        },
        ids: { type: 'array', items: { type: 'string' }, minItems: 1, maxItems: 3 },
      },
      required: ['filter', 'ids'],
    },
  },
};
const TOOLS = [WEATHER, SEARCH];
const validators = new Map(TOOLS.map((t) => [t.function.name, ajv.compile(t.function.parameters)]));

let server: MockServer;
let parallel: MockServer;
let client: OpenAI;

beforeAll(async () => {
  server = await startMockServer({ port: 0, models, seed: 3 });
  parallel = await startMockServer({ port: 0, models, seed: 3, tools: { parallelCalls: 2, rounds: 2 } });
  client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'test', maxRetries: 0 });
});
afterAll(async () => {
  await server.close();
  await parallel.close();
});

const ask = [{ role: 'user' as const, content: 'What is the weather in Oslo, and where are my orders?' }];

function expectValidArguments(calls: { function: { name: string; arguments: string } }[]): void {
  for (const c of calls) {
    const validate = validators.get(c.function.name)!;
    const args = JSON.parse(c.function.arguments) as unknown;
    expect(validate(args), `${c.function.name}(${c.function.arguments}): ${ajv.errorsText(validate.errors)}`).toBe(true);
  }
}

describe('a tool call takes the time of all its output tokens', () => {
  // exact latencies: TTFT 50 ms, then 10 ms per output token (a call's start carries its name and framing tokens)
  const steady = buildCatalog({
    steady: { extends: 'gpt-4o-mini', latency: { ttftBaseMs: 50, prefillMsPerInputToken: 0, ttftCv: 0, itlMs: 10, itlCv: 0, slowdownAtCap: 0 } },
  });
  let timed: MockServer;
  let timedClient: OpenAI;
  beforeAll(async () => {
    timed = await startMockServer({ port: 0, models: steady, seed: 3 });
    timedClient = new OpenAI({ baseURL: `${timed.url}/v1`, apiKey: 'test', maxRetries: 0 });
  });
  afterAll(() => timed.close());

  it('whole: the last token is due (output tokens - 1) gaps after the first', async () => {
    const { data, response } = await timedClient.chat.completions.create({ model: 'steady', messages: ask, tools: [WEATHER] }).withResponse();
    expect(data.choices[0]!.finish_reason).toBe('tool_calls');
    const tokens = data.usage!.completion_tokens;
    const decode = Number(response.headers.get('x-mock-total-ms')) - Number(response.headers.get('x-mock-ttft-ms'));
    expect(decode).toBeCloseTo((tokens - 1) * 10, 2);
  });

  it('streamed: the first delta comes at TTFT, the last (output tokens - 1) gaps later', async () => {
    const started = performance.now();
    const stream = await timedClient.chat.completions.create({
      model: 'steady',
      messages: ask,
      tools: [WEATHER],
      stream: true,
      stream_options: { include_usage: true },
    });
    const at: number[] = [];
    let tokens = 0;
    for await (const chunk of stream) {
      if (chunk.choices[0]?.delta.tool_calls !== undefined) at.push(performance.now() - started);
      if (chunk.usage) tokens = chunk.usage.completion_tokens;
    }
    expect(tokens).toBeGreaterThan(at.length); // fewer deltas than tokens: the start carries several
    // timers fire late, never early (1 ms tolerance): the last delta is at least TTFT and every token's gap in
    expect(at[at.length - 1]!).toBeGreaterThanOrEqual(50 + (tokens - 1) * 10 - 2);
  });
});

describe('chat tool calls through the openai SDK', () => {
  it('calls a tool with schema-valid arguments, finish_reason "tool_calls", and prices the call tokens', async () => {
    await fetch(`${server.url}/v1/ledger`, { method: 'DELETE' });
    const res = await client.chat.completions.create({ model: 'quick', messages: ask, tools: TOOLS });
    const choice = res.choices[0]!;
    expect(choice.finish_reason).toBe('tool_calls');
    expect(choice.message.content).toBeNull();
    const calls = choice.message.tool_calls! as OpenAI.ChatCompletionMessageFunctionToolCall[];
    expect(calls).toHaveLength(1);
    expect(calls[0]!.id).toMatch(/^call_[A-Za-z0-9]{24}$/);
    expectValidArguments(calls);
    expect(res.usage!.completion_tokens).toBeGreaterThan(3);
    const ledger = (await (await fetch(`${server.url}/v1/ledger`)).json()) as LedgerSnapshot;
    const row = ledger.rows[0]!;
    expect(row.outputTokens).toBe(res.usage!.completion_tokens);
    expect(row.costUsd).toBeCloseTo(
      callCostUsd(models['quick']!.pricing, { inputTokens: row.inputTokens, cachedInputTokens: 0, outputTokens: row.outputTokens }),
      15,
    );
  });

  it('gives the same call for the same seed and request', async () => {
    const a = await client.chat.completions.create({ model: 'quick', messages: ask, tools: TOOLS, seed: 11 });
    const b = await client.chat.completions.create({ model: 'quick', messages: ask, tools: TOOLS, seed: 11 });
    expect(b.choices[0]!.message.tool_calls).toEqual(a.choices[0]!.message.tool_calls);
  });

  it('streams a call as OpenAI does: index, id and name first, then argument fragments that join to valid JSON', async () => {
    const stream = await client.chat.completions.create({
      model: 'quick',
      messages: ask,
      tools: TOOLS,
      tool_choice: { type: 'function', function: { name: 'search_orders' } },
      stream: true,
      stream_options: { include_usage: true },
    });
    const deltas: OpenAI.ChatCompletionChunk.Choice.Delta.ToolCall[] = [];
    let finish: string | null = null;
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      if (chunk.usage) usage = chunk.usage;
      for (const c of chunk.choices) {
        deltas.push(...(c.delta.tool_calls ?? []));
        finish = c.finish_reason ?? finish;
      }
    }
    expect(deltas[0]).toMatchObject({ index: 0, type: 'function', function: { name: 'search_orders', arguments: '' } });
    expect(deltas[0]!.id).toMatch(/^call_/);
    const fragments = deltas.slice(1);
    expect(fragments.length).toBeGreaterThan(3);
    for (const f of fragments) expect(f.id).toBeUndefined();
    const args = fragments.map((f) => f.function!.arguments).join('');
    expectValidArguments([{ function: { name: 'search_orders', arguments: args } }]);
    expect(finish).toBe('tool_calls');
    // one fragment per token of the arguments; the call bills its name, its arguments and 3 tokens of framing
    expect(fragments).toHaveLength(encode(args).length);
    expect(usage!.completion_tokens).toBe(encode(args).length + encode('search_orders').length + TOOL_CALL_OVERHEAD_TOKENS);
  });

  it('assembles streamed parallel calls with the SDK stream helper', async () => {
    const c = new OpenAI({ baseURL: `${parallel.url}/v1`, apiKey: 'test', maxRetries: 0 });
    const runner = c.chat.completions.stream({ model: 'quick', messages: ask, tools: TOOLS, tool_choice: 'required' });
    const final = await runner.finalChatCompletion();
    const calls = final.choices[0]!.message.tool_calls as OpenAI.ChatCompletionMessageFunctionToolCall[];
    expect(calls.map((x) => x.function.name).sort()).toEqual(['get_weather', 'search_orders']);
    expect(new Set(calls.map((x) => x.id)).size).toBe(2);
    expectValidArguments(calls);
  });

  it('answers in text after the tool results (rounds: 1), and calls again up to the cap (rounds: 2)', async () => {
    const first = await client.chat.completions.create({ model: 'quick', messages: ask, tools: TOOLS });
    const call = first.choices[0]!.message.tool_calls![0]! as OpenAI.ChatCompletionMessageFunctionToolCall;
    const history: OpenAI.ChatCompletionMessageParam[] = [...ask, first.choices[0]!.message, { role: 'tool', tool_call_id: call.id, content: '{"ok":true}' }];
    const second = await client.chat.completions.create({ model: 'quick', messages: history, tools: TOOLS });
    expect(second.choices[0]!.finish_reason).toBe('stop');
    expect(second.choices[0]!.message.content!.split(' ')).toHaveLength(20);

    const c = new OpenAI({ baseURL: `${parallel.url}/v1`, apiKey: 'test', maxRetries: 0 });
    const again = await c.chat.completions.create({ model: 'quick', messages: history, tools: TOOLS });
    expect(again.choices[0]!.finish_reason).toBe('tool_calls');
  });

  it('answers in text under tool_choice "none"', async () => {
    const res = await client.chat.completions.create({ model: 'quick', messages: ask, tools: TOOLS, tool_choice: 'none' });
    expect(res.choices[0]!.finish_reason).toBe('stop');
    expect(res.choices[0]!.message.tool_calls).toBeUndefined();
  });

  it('cuts a call at max_completion_tokens with finish_reason "length"', async () => {
    const res = await client.chat.completions.create({ model: 'quick', messages: ask, tools: TOOLS, tool_choice: 'required', max_completion_tokens: 8 });
    expect(res.choices[0]!.finish_reason).toBe('length');
    expect(res.usage!.completion_tokens).toBeLessThanOrEqual(8);
  });
});

describe('structured output through the openai SDK', () => {
  const Order = z.object({
    id: z.string(),
    status: z.enum(['open', 'shipped', 'lost']),
    lines: z.array(z.object({ sku: z.string(), qty: z.number().int().min(1).max(9) })).min(1),
    note: z.string().nullable(),
  });

  it('chat.completions.parse with a zod schema returns a parsed object valid against the schema', async () => {
    const res = await client.chat.completions.parse({ model: 'quick', messages: ask, response_format: zodResponseFormat(Order, 'order') });
    const parsed = res.choices[0]!.message.parsed!;
    expect(Order.parse(parsed)).toEqual(parsed);
    const schema = zodResponseFormat(Order, 'order').json_schema.schema!;
    expect(ajv.validate(schema, parsed)).toBe(true);
  });

  it('streams json_schema content that parses and validates', async () => {
    const schema = zodResponseFormat(Order, 'order').json_schema.schema!;
    const stream = await client.chat.completions.create({
      model: 'quick',
      messages: ask,
      stream: true,
      response_format: { type: 'json_schema', json_schema: { name: 'order', schema, strict: true } },
    });
    let text = '';
    let chunks = 0;
    for await (const chunk of stream) {
      chunks++;
      text += chunk.choices[0]?.delta.content ?? '';
    }
    expect(chunks).toBeGreaterThan(5);
    expect(ajv.validate(schema, JSON.parse(text))).toBe(true);
  });

  it('returns a JSON object for json_object, non-strict json_schema too', async () => {
    const obj = await client.chat.completions.create({ model: 'quick', messages: ask, response_format: { type: 'json_object' } });
    expect(typeof JSON.parse(obj.choices[0]!.message.content!)).toBe('object');
    const loose = {
      type: 'object',
      properties: { total: { type: 'number', minimum: 5, maximum: 6 }, tags: { type: 'array', items: { type: 'string' } } },
      required: ['total'],
    };
    const res = await client.chat.completions.create({
      model: 'quick',
      messages: ask,
      response_format: { type: 'json_schema', json_schema: { name: 'loose', schema: loose } },
    });
    expect(ajv.validate(loose, JSON.parse(res.choices[0]!.message.content!))).toBe(true);
  });
});

describe('bad tool requests get OpenAI 400s and the server keeps serving', () => {
  async function post(body: unknown): Promise<{ status: number; error: { message: string; param: string | null; code: string | null; type: string } }> {
    const res = await fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, error: ((await res.json()) as { error: never }).error };
  }

  it('rejects an invalid tool schema, naming the tool', async () => {
    const r = await post({
      model: 'quick',
      messages: ask,
      tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object', required: 'x' } } }],
    });
    expect(r.status).toBe(400);
    expect(r.error).toMatchObject({ type: 'invalid_request_error', code: 'invalid_function_parameters', param: 'tools[0].function.parameters' });
    expect(r.error.message).toBe("Invalid schema for function 'f': /required must be array. (param: tools[0].function.parameters)");
  });

  it('rejects a strict tool that breaks the strict rules', async () => {
    const r = await post({
      model: 'quick',
      messages: ask,
      tools: [{ type: 'function', function: { name: 'f', strict: true, parameters: { type: 'object', properties: { a: { type: 'string' } } } } }],
    });
    expect(r.status).toBe(400);
    expect(r.error.message).toContain("'additionalProperties' is required to be supplied and to be false");
  });

  it('rejects a tool_choice naming an unknown tool', async () => {
    const r = await post({ model: 'quick', messages: ask, tools: TOOLS, tool_choice: { type: 'function', function: { name: 'nope' } } });
    expect(r.status).toBe(400);
    expect(r.error).toMatchObject({ param: 'tool_choice', code: 'invalid_value' });
    expect(r.error.message).toBe("Invalid value for 'tool_choice': function 'nope' is not one of the tools; tools: get_weather, search_orders.");
  });

  it('rejects a tool message that answers no call', async () => {
    const r = await post({ model: 'quick', messages: [...ask, { role: 'tool', tool_call_id: 'call_x', content: '1' }], tools: TOOLS });
    expect(r.status).toBe(400);
    expect(r.error).toMatchObject({ param: 'messages.[1].role', code: 'invalid_tool_message' });
  });

  it('rejects tool_choice without tools, a bad response_format and top_logprobs without logprobs', async () => {
    expect((await post({ model: 'quick', messages: ask, tool_choice: 'required' })).error.message).toBe(
      "Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are specified.",
    );
    expect((await post({ model: 'quick', messages: ask, response_format: { type: 'yaml' } })).error.param).toBe('response_format.type');
    expect((await post({ model: 'quick', messages: ask, top_logprobs: 2 })).error.param).toBe('top_logprobs');
    const ok = await client.chat.completions.create({ model: 'quick', messages: ask });
    expect(ok.choices[0]!.finish_reason).toBe('stop');
  });
});

describe('log probabilities', () => {
  it('returns one entry per token with top_logprobs alternatives, the chosen token first', async () => {
    const res = await client.chat.completions.create({ model: 'quick', messages: ask, logprobs: true, top_logprobs: 3 });
    const content = res.choices[0]!.logprobs!.content!;
    expect(content).toHaveLength(20);
    expect(content.map((c) => c.token).join('')).toBe(res.choices[0]!.message.content);
    for (const c of content) {
      expect(c.top_logprobs).toHaveLength(3);
      expect(c.top_logprobs[0]!.token).toBe(c.token);
      expect(c.logprob).toBeLessThanOrEqual(0);
    }
  });
});
