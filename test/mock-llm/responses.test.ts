import { Ajv } from 'ajv';
import { encode } from 'gpt-tokenizer';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCatalog, startMockServer, type LedgerSnapshot, type MockServer } from '../../mock-llm/index.ts';

const ajv = new Ajv({ strict: false });
const models = buildCatalog({
  quick: {
    extends: 'gpt-4o-mini',
    latency: { ttftBaseMs: 1, prefillMsPerInputToken: 0, ttftCv: 0, itlMs: 1, itlCv: 0, slowdownAtCap: 0 },
    defaultOutputTokens: 12,
  },
  chatty: { extends: 'quick', defaultOutputTokens: 40 },
});
const LOOKUP = {
  type: 'function' as const,
  name: 'lookup_customer',
  strict: true,
  parameters: {
    type: 'object',
    properties: { email: { type: 'string', format: 'email' }, fields: { type: 'array', items: { enum: ['name', 'plan', 'spend'] }, minItems: 1, maxItems: 3 } },
    required: ['email', 'fields'],
    additionalProperties: false,
  },
};

let server: MockServer;
let client: OpenAI;
beforeAll(async () => {
  server = await startMockServer({ port: 0, models, seed: 5 });
  client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'test', maxRetries: 0 });
});
afterAll(async () => {
  await server.close();
});

describe('responses through the openai SDK', () => {
  it('answers text with instructions, output_text and usage', async () => {
    const res = await client.responses.create({ model: 'quick', instructions: 'Be brief.', input: 'Say hello.' });
    expect(res.status).toBe('completed');
    expect(res.output_text.split(' ')).toHaveLength(12);
    expect(res.usage!.output_tokens).toBe(12);
    expect(res.usage!.input_tokens).toBeGreaterThan(5);
  });

  it('streams a function call with the semantic events; the arguments validate against the tool schema', async () => {
    const stream = await client.responses.create({ model: 'quick', input: 'Look up ann@example.com', tools: [LOOKUP], stream: true });
    const types: string[] = [];
    let args = '';
    let completed: OpenAI.Responses.Response | undefined;
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === 'response.function_call_arguments.delta') args += event.delta;
      if (event.type === 'response.completed') completed = event.response;
    }
    expect(types.slice(0, 3)).toEqual(['response.created', 'response.in_progress', 'response.output_item.added']);
    expect(types.at(-1)).toBe('response.completed');
    expect(types).toContain('response.function_call_arguments.done');
    expect(types.filter((t) => t === 'response.function_call_arguments.delta')).toHaveLength(encode(args).length);
    expect(ajv.validate(LOOKUP.parameters, JSON.parse(args))).toBe(true);
    const call = completed!.output[0] as OpenAI.Responses.ResponseFunctionToolCall;
    expect(call).toMatchObject({ type: 'function_call', name: 'lookup_customer', arguments: args });
    expect(completed!.usage!.output_tokens).toBe(encode(args).length + encode('lookup_customer').length + 3);
  });

  it('streams text with output_text deltas that join to the final text', async () => {
    const stream = await client.responses.create({ model: 'quick', input: 'Tell me a story.', stream: true });
    let text = '';
    let final = '';
    for await (const event of stream) {
      if (event.type === 'response.output_text.delta') text += event.delta;
      if (event.type === 'response.output_text.done') final = event.text;
    }
    expect(text).toBe(final);
    expect(encode(text).length).toBe(12);
  });

  it('answers in text after the function call output, and rejects an output that answers no call', async () => {
    const first = await client.responses.create({ model: 'quick', input: 'Look up ann@example.com', tools: [LOOKUP] });
    const call = first.output[0] as OpenAI.Responses.ResponseFunctionToolCall;
    const second = await client.responses.create({
      model: 'quick',
      tools: [LOOKUP],
      input: [{ role: 'user', content: 'Look up ann@example.com' }, call, { type: 'function_call_output', call_id: call.call_id, output: '{"plan":"pro"}' }],
    });
    expect(second.output_text.length).toBeGreaterThan(0);
    const bad = client.responses.create({ model: 'quick', input: [{ type: 'function_call_output', call_id: 'call_nope', output: 'x' }] });
    await expect(bad).rejects.toMatchObject({
      status: 400,
      message: expect.stringContaining('No tool call found for function call output with call_id call_nope.'),
    });
  });

  it('returns structured output for text.format json_schema, and stops at max_output_tokens as incomplete', async () => {
    const schema = { type: 'object', properties: { score: { type: 'integer', minimum: 1, maximum: 5 } }, required: ['score'], additionalProperties: false };
    const res = await client.responses.create({
      model: 'quick',
      input: 'Rate it.',
      text: { format: { type: 'json_schema', name: 'rating', schema, strict: true } },
    });
    expect(ajv.validate(schema, JSON.parse(res.output_text))).toBe(true);
    const cut = await client.responses.create({ model: 'quick', input: 'Tell me a story.', max_output_tokens: 4 });
    expect(cut.status).toBe('incomplete');
    expect(cut.incomplete_details).toEqual({ reason: 'max_output_tokens' });
    expect(cut.usage!.output_tokens).toBe(4);
  });
});

describe('completions through the openai SDK', () => {
  it('completes a prompt counted as plain text, at most 16 tokens by default (as OpenAI), and records the ledger row', async () => {
    await fetch(`${server.url}/v1/ledger`, { method: 'DELETE' });
    const prompt = 'Once upon a time there was';
    const res = await client.completions.create({ model: 'chatty', prompt });
    expect(res.object).toBe('text_completion');
    expect(res.usage!.prompt_tokens).toBe(encode(prompt).length);
    expect(res.usage!.completion_tokens).toBe(16);
    expect(res.choices[0]!.finish_reason).toBe('length');
    const capped = await client.completions.create({ model: 'quick', prompt, max_tokens: 5, logprobs: 2 });
    expect(capped.choices[0]!.finish_reason).toBe('length');
    expect(capped.choices[0]!.logprobs!.tokens).toHaveLength(5);
    const ledger = (await (await fetch(`${server.url}/v1/ledger`)).json()) as LedgerSnapshot;
    expect(ledger.rows.map((r) => [r.endpoint, r.outputTokens])).toEqual([
      ['completions', 16],
      ['completions', 5],
    ]);
  });

  it('streams text_completion chunks', async () => {
    const stream = await client.completions.create({ model: 'quick', prompt: 'Hello', stream: true, max_tokens: 6 });
    let text = '';
    let finish: string | null = null;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.text ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(encode(text).length).toBe(6);
    expect(finish).toBe('length');
  });
});
