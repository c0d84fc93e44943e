import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConversationStore } from '../../mock-llm/conversations.ts';
import { buildCatalog, startMockServer, type MockServer } from '../../mock-llm/index.ts';

/** Responses `previous_response_id` (conversation state kept by the mock) and completions `echo`. */
const models = buildCatalog({
  quick: {
    extends: 'gpt-4o-mini',
    latency: { ttftBaseMs: 1, prefillMsPerInputToken: 0, ttftCv: 0, itlMs: 1, itlCv: 0, slowdownAtCap: 0 },
    defaultOutputTokens: 12,
  },
});
const WEATHER = {
  type: 'function' as const,
  name: 'weather',
  strict: true,
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false },
};

let server: MockServer;
let client: OpenAI;
beforeAll(async () => {
  server = await startMockServer({ port: 0, host: '127.0.0.1', models, seed: 4 });
  client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'test', maxRetries: 0 });
});
afterAll(async () => {
  await server.close();
});

function functionCall(res: OpenAI.Responses.Response): OpenAI.Responses.ResponseFunctionToolCall {
  const item = res.output.find((o) => o.type === 'function_call');
  expect(item).toBeDefined();
  return item as OpenAI.Responses.ResponseFunctionToolCall;
}

describe('previous_response_id', () => {
  it('continues a stored response: its function call can be answered, and the history is in the prompt', async () => {
    const first = await client.responses.create({ model: 'quick', input: 'Weather in Oslo?', tools: [WEATHER], tool_choice: 'required' });
    const call = functionCall(first);
    const output = { type: 'function_call_output' as const, call_id: call.call_id, output: '4 degrees, rain' };
    // without the previous response, the output answers no call
    await expect(client.responses.create({ model: 'quick', input: [output], tools: [WEATHER] })).rejects.toMatchObject({ status: 400 });
    const second = await client.responses.create({ model: 'quick', previous_response_id: first.id, input: [output], tools: [WEATHER], tool_choice: 'none' });
    expect(second.previous_response_id).toBe(first.id);
    expect(second.output_text.length).toBeGreaterThan(0);
    // the prompt is the first one's input and output, then the new item: more tokens than either alone
    expect(second.usage!.input_tokens).toBeGreaterThan(first.usage!.input_tokens);
    // the same continuation gets the same answer (the conversation is part of the answer's key)
    const again = await client.responses.create({ model: 'quick', previous_response_id: first.id, input: [output], tools: [WEATHER], tool_choice: 'none' });
    expect(again.output_text).toBe(second.output_text);
    // and a chain of three: the third continues the second (tool definitions do not carry over; the conversation does)
    const third = await client.responses.create({ model: 'quick', previous_response_id: second.id, input: 'And tomorrow?' });
    const alone = await client.responses.create({ model: 'quick', input: 'And tomorrow?' });
    expect(third.usage!.input_tokens).toBeGreaterThan(alone.usage!.input_tokens + 20);
  });

  it('keeps a streamed response too', async () => {
    const stream = await client.responses.create({ model: 'quick', input: 'Tell me a fact.', stream: true });
    let id = '';
    for await (const event of stream) if (event.type === 'response.completed') id = event.response.id;
    const next = await client.responses.create({ model: 'quick', previous_response_id: id, input: 'Another one.' });
    expect(next.previous_response_id).toBe(id);
  });

  it('answers an unknown or unstored id with a 400 naming previous_response_id, and keeps serving', async () => {
    const unstored = await client.responses.create({ model: 'quick', input: 'Hello.', store: false });
    expect((unstored as unknown as { store: boolean }).store).toBe(false);
    for (const id of ['resp_does_not_exist', unstored.id]) {
      const r = await fetch(`${server.url}/v1/responses`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'quick', previous_response_id: id, input: 'Hi again.' }),
      });
      expect(r.status).toBe(400);
      const err = ((await r.json()) as { error: { param: string; code: string; message: string } }).error;
      expect(err).toMatchObject({ param: 'previous_response_id', code: 'previous_response_not_found' });
      expect(err.message).toContain(id);
    }
    expect((await client.responses.create({ model: 'quick', input: 'Still there?' })).status).toBe('completed');
  });

  it('keeps a bounded number of responses and characters, dropping the oldest', () => {
    const store = new ConversationStore(2, 100);
    const conv = (text: string) => ({
      messages: [{ role: 'user', content: text }],
      callIds: [],
      turn: { lastRole: 'user' as const, toolRounds: 0 },
      lastUserText: text,
      hasToolResult: false,
    });
    store.put('a', conv('x'.repeat(10)));
    store.put('b', conv('y'.repeat(10)));
    store.put('c', conv('z'.repeat(10)));
    expect([store.get('a'), store.size]).toEqual([undefined, 2]);
    store.put('d', conv('w'.repeat(95)));
    expect([store.get('b'), store.get('c'), store.get('d') !== undefined]).toEqual([undefined, undefined, true]);
    store.put('e', conv('v'.repeat(101))); // larger than the whole store: not kept
    expect([store.get('e'), store.size]).toEqual([undefined, 1]);
  });
});

describe('legacy completions echo', () => {
  it('sends the prompt back before the completion, whole and streamed; usage counts the completion only', async () => {
    const prompt = 'Once upon a time, in Ålesund,';
    const plain = await client.completions.create({ model: 'quick', prompt, max_tokens: 4 });
    const echoed = await client.completions.create({ model: 'quick', prompt, max_tokens: 4, echo: true });
    expect(echoed.choices[0]!.text).toBe(prompt + plain.choices[0]!.text);
    expect(echoed.usage).toEqual(plain.usage);
    const stream = await client.completions.create({ model: 'quick', prompt, max_tokens: 4, echo: true, stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.text ?? '';
    expect(text).toBe(echoed.choices[0]!.text);
  });
});
