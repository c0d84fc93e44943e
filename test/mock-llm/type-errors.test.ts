/** A present field of the wrong type is named as a type error (it was reported as "Missing required parameter"). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockServer, type MockServer } from '../../mock-llm/index.ts';

let server: MockServer;
beforeAll(async () => {
  server = await startMockServer({ port: 0, host: '127.0.0.1', timeScale: 1000 });
});
afterAll(() => server.close());

const CHAT = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], max_tokens: 2 };

async function post(path: string, body: unknown) {
  const res = await fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as { error: { message: string; type: string; param: string | null; code: string | null } } };
}

describe('mock-llm: wrong types are type errors, in the OpenAI error shape', () => {
  const cases: Array<[string, Record<string, unknown>, string, string]> = [
    ['/v1/chat/completions', { ...CHAT, model: 123 }, 'model', "Invalid type for 'model': expected a string, but got an integer (123) instead."],
    ['/v1/chat/completions', { ...CHAT, max_tokens: '10' }, 'max_tokens', `Invalid type for 'max_tokens': expected a number, but got a string ("10") instead.`],
    [
      '/v1/chat/completions',
      { ...CHAT, max_tokens: 1.5 },
      'max_tokens',
      "Invalid type for 'max_tokens': expected an integer, but got a decimal number (1.5) instead.",
    ],
    ['/v1/chat/completions', { ...CHAT, stream: 'yes' }, 'stream', `Invalid type for 'stream': expected a boolean, but got a string ("yes") instead.`],
    [
      '/v1/chat/completions',
      { ...CHAT, temperature: 'hot' },
      'temperature',
      `Invalid type for 'temperature': expected a number, but got a string ("hot") instead.`,
    ],
    ['/v1/chat/completions', { ...CHAT, messages: 'hi' }, 'messages', `Invalid type for 'messages': expected an array, but got a string ("hi") instead.`],
    ['/v1/chat/completions', { ...CHAT, stop: 3 }, 'stop', "Invalid type for 'stop': expected a string or an array, but got an integer (3) instead."],
    [
      '/v1/chat/completions',
      { ...CHAT, messages: [{ role: 'user', content: 7 }] },
      'messages.0.content',
      "Invalid type for 'messages.0.content': expected a string or an array or null, but got an integer (7) instead.",
    ],
    [
      '/v1/embeddings',
      { model: 'text-embedding-3-small', input: 'x', dimensions: '8' },
      'dimensions',
      `Invalid type for 'dimensions': expected a number, but got a string ("8") instead.`,
    ],
    ['/v1/embeddings', { model: ['text-embedding-3-small'], input: 'x' }, 'model', "Invalid type for 'model': expected a string, but got an array instead."],
  ];
  for (const [path, body, param, message] of cases) {
    it(`${path} ${JSON.stringify(body).slice(0, 90)} → 400 invalid_type on '${param}'`, async () => {
      const r = await post(path, body);
      expect(r.status).toBe(400);
      expect(r.body).toEqual({ error: { message, type: 'invalid_request_error', param, code: 'invalid_type' } });
    });
  }

  it('an absent required field is still "Missing required parameter"', async () => {
    const r = await post('/v1/chat/completions', { messages: CHAT.messages });
    expect(r.body.error).toEqual({
      message: "Missing required parameter: 'model'.",
      type: 'invalid_request_error',
      param: 'model',
      code: 'missing_required_parameter',
    });
  });

  it('a value of the right type out of range is an invalid value', async () => {
    const r = await post('/v1/chat/completions', { ...CHAT, temperature: 5 });
    expect(r.body.error).toMatchObject({ param: 'temperature', code: 'invalid_value' });
  });
});
