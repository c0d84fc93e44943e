import { setupServer } from 'msw/node';
import { encodeChat } from 'gpt-tokenizer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCatalog, createMockHandlers, startMockServer, type LedgerSnapshot } from '../../mock-llm/index.ts';

const models = buildCatalog({
  quick: {
    extends: 'gpt-4o-mini',
    latency: { ttftBaseMs: 20, prefillMsPerInputToken: 0, ttftCv: 0, itlMs: 2, itlCv: 0, slowdownAtCap: 0 },
    defaultOutputTokens: 10,
  },
});
const BASE = 'http://mock-llm.test';
const mock = createMockHandlers({ baseUrl: BASE, models, seed: 3 });
const msw = setupServer(...mock.handlers);

beforeAll(() =>
  msw.listen({
    onUnhandledRequest: (request, print) => {
      if (!request.url.startsWith('http://127.0.0.1')) print.error();
    },
  }),
);
afterAll(() => {
  msw.close();
  mock.close();
});

const messages = [{ role: 'user', content: 'Hello from msw' }];

function post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${BASE}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
}

describe('msw handlers', () => {
  it('answers a plain chat completion with tokenizer-exact usage', async () => {
    const res = await post('/v1/chat/completions', { model: 'quick', messages });
    expect(res.status).toBe(200);
    const json = (await res.json()) as { usage: { prompt_tokens: number; completion_tokens: number } };
    expect(json.usage.prompt_tokens).toBe(encodeChat(messages as never, 'gpt-4o').length);
    expect(json.usage.completion_tokens).toBe(10);
  });

  it('streams SSE chunks ending with [DONE]', async () => {
    const res = await post('/v1/chat/completions', { model: 'quick', messages, stream: true, stream_options: { include_usage: true } });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const text = await res.text();
    const events = text.split('\n\n').filter((e) => e.length > 0);
    expect(events.at(-1)).toBe('data: [DONE]');
    expect(events).toHaveLength(10 + 2 + 1);
    const usage = JSON.parse(events.at(-2)!.slice(6)) as { choices: unknown[]; usage: { completion_tokens: number } };
    expect(usage.choices).toEqual([]);
    expect(usage.usage.completion_tokens).toBe(10);
  });

  it('gives the same answer as the HTTP server for the same seed and body', async () => {
    const server = await startMockServer({ port: 0, models, seed: 3 });
    try {
      const body = JSON.stringify({ model: 'quick', messages });
      const viaServer = (await (await fetch(`${server.url}/v1/chat/completions`, { method: 'POST', body })).json()) as {
        choices: { message: { content: string } }[];
      };
      const viaMsw = (await (await fetch(`${BASE}/v1/chat/completions`, { method: 'POST', body })).json()) as typeof viaServer;
      expect(viaMsw.choices[0]!.message.content).toBe(viaServer.choices[0]!.message.content);
    } finally {
      await server.close();
    }
  });

  it('answers OpenAI-style errors for bad JSON and unknown models', async () => {
    const bad = await fetch(`${BASE}/v1/chat/completions`, { method: 'POST', body: '{not json' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { type: string } }).error.type).toBe('invalid_request_error');
    const unknown = await post('/v1/chat/completions', { model: 'nope', messages });
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: { code: string } }).error.code).toBe('model_not_found');
  });

  it('fails the fetch body when a stream is cut', async () => {
    const res = await post('/v1/chat/completions', { model: 'quick', messages, stream: true }, { 'x-mock-fault': 'cut' });
    expect(res.status).toBe(200);
    await expect(res.text()).rejects.toThrow();
  });

  it('releases the slot and timers when the client aborts a stream', async () => {
    const controller = new AbortController();
    const res = await fetch(`${BASE}/v1/chat/completions`, {
      method: 'POST',
      signal: controller.signal,
      headers: { 'x-mock-output-tokens': '1000' },
      body: JSON.stringify({ model: 'quick', messages, stream: true }),
    });
    const reader = res.body!.getReader();
    await reader.read();
    expect(mock.stats().inFlight).toBe(1);
    controller.abort();
    // chunks queued before the abort (a busy machine lets a few 2 ms tokens through) may still be
    // read; then reading fails: the body never ends normally
    const drain = async (): Promise<string> => {
      for (;;) if ((await reader.read()).done) return 'ended normally';
    };
    await expect(drain()).rejects.toThrow();
    expect(mock.stats()).toEqual({ inFlight: 0, queued: 0, active: 0, scheduledTasks: 0 });
    const ledger = (await (await fetch(`${BASE}/v1/ledger`)).json()) as LedgerSnapshot;
    expect(ledger.rows.at(-1)!.outcome).toBe('client_disconnect');
  });
});
