import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildCatalog, startMockServer, type MockServer } from '../../mock-llm/index.ts';
import { openaiChat } from '../../mock-llm/protocols/openai-chat.ts';
import { openaiResponses } from '../../mock-llm/protocols/openai-responses.ts';

/** A request body sent again is answered from what the first one's parse and count found (mock-llm/known-requests.ts). */
const models = buildCatalog({
  quick: {
    extends: 'gpt-4o-mini',
    latency: { ttftBaseMs: 0, prefillMsPerInputToken: 0, ttftCv: 0, itlMs: 0, itlCv: 0, slowdownAtCap: 0 },
    defaultOutputTokens: 12,
  },
});

let server: MockServer;
beforeAll(async () => {
  server = await startMockServer({ port: 0, host: '127.0.0.1', models, seed: 3 });
});
afterAll(async () => {
  await server.close();
});
afterEach(() => {
  vi.restoreAllMocks();
});

async function post(path: string, body: string, headers: Record<string, string> = {}): Promise<Record<string, unknown>> {
  const res = await fetch(`${server.url}${path}`, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });
  expect(res.status).toBe(200);
  return (await res.json()) as Record<string, unknown>;
}

interface Chat {
  id: string;
  choices: { message: { content: string } }[];
  usage: { prompt_tokens: number; completion_tokens: number };
}

describe('requests sent again', () => {
  it('parses a repeated body once; each repeat is its own call with its own headers', async () => {
    const parse = vi.spyOn(openaiChat, 'parse');
    const body = JSON.stringify({ model: 'quick', messages: [{ role: 'user', content: 'Say something about known requests.' }] });
    const first = (await post('/v1/chat/completions', body)) as unknown as Chat;
    const again = (await post('/v1/chat/completions', body)) as unknown as Chat;
    const shorter = (await post('/v1/chat/completions', body, { 'x-mock-output-tokens': '5' })) as unknown as Chat;
    expect(parse).toHaveBeenCalledTimes(1);
    expect(again.id).not.toBe(first.id);
    expect(again.choices[0]!.message.content).toBe(first.choices[0]!.message.content);
    expect(again.usage).toEqual(first.usage);
    // the repeat's own x-mock-output-tokens: the same words, fewer of them
    expect(shorter.usage).toEqual({ ...first.usage, completion_tokens: 5, total_tokens: first.usage.prompt_tokens + 5 });
    expect(first.choices[0]!.message.content.startsWith(shorter.choices[0]!.message.content)).toBe(true);
  });

  it('parses a Responses request that continues a stored response every time (that response may be dropped meanwhile)', async () => {
    const stored = await post('/v1/responses', JSON.stringify({ model: 'quick', input: 'Hello.' }));
    const parse = vi.spyOn(openaiResponses, 'parse');
    const body = JSON.stringify({ model: 'quick', previous_response_id: stored['id'], input: 'And again.' });
    await post('/v1/responses', body);
    await post('/v1/responses', body);
    expect(parse).toHaveBeenCalledTimes(2);
    const plain = JSON.stringify({ model: 'quick', input: 'A fresh question.' });
    await post('/v1/responses', plain);
    await post('/v1/responses', plain);
    expect(parse).toHaveBeenCalledTimes(3);
  });
});
