import http from 'node:http';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCatalog, startMockServer, type LedgerRow, type LedgerSnapshot, type MockServer } from '../../mock-llm/index.ts';

const models = buildCatalog({
  quick: {
    extends: 'gpt-4o-mini',
    latency: { ttftBaseMs: 5, prefillMsPerInputToken: 0, ttftCv: 0, itlMs: 2, itlCv: 0, slowdownAtCap: 0 },
    defaultOutputTokens: 10,
  },
  flaky: { extends: 'quick' },
  narrow: { extends: 'quick', latency: { concurrencyCap: 2, ttftBaseMs: 40, itlMs: 0 } },
});

let server: MockServer;
let client: OpenAI;
const messages = [{ role: 'user' as const, content: 'Tell me something.' }];

beforeAll(async () => {
  server = await startMockServer({
    port: 0,
    models,
    seed: 11,
    maxBodyBytes: 64 * 1024,
    faults: { flaky: { error500: 0.1, error503: 0.1, cut: 0.1 } },
  });
  client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'k', maxRetries: 0 });
});
afterAll(async () => {
  await server.close();
});

async function ledgerRows(): Promise<LedgerRow[]> {
  return ((await (await fetch(`${server.url}/v1/ledger`)).json()) as LedgerSnapshot).rows;
}

// biome-ignore lint/suspicious/noExplicitAny: the tests read provider-shaped JSON of many shapes
type Json = any;

function raw(method: string, path: string, body?: string, headers: Record<string, string> = {}): Promise<{ status: number; json: Json; headers: Headers }> {
  return fetch(`${server.url}${path}`, { method, body, headers }).then(async (r) => ({ status: r.status, json: await r.json(), headers: r.headers }));
}

async function waitFor(check: () => boolean, timeoutMs = 2000): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('forced faults', () => {
  it('answers 500 and 503 as server errors the SDK recognises', async () => {
    for (const [fault, status] of [
      ['500', 500],
      ['503', 503],
    ] as const) {
      const err = await client.chat.completions.create({ model: 'quick', messages }, { headers: { 'x-mock-fault': fault } }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OpenAI.InternalServerError);
      expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(status);
    }
  });

  it('forces a context_length error', async () => {
    const err = await client.chat.completions.create({ model: 'quick', messages }, { headers: { 'x-mock-fault': 'context_length' } }).catch((e: unknown) => e);
    expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(400);
    expect((err as InstanceType<typeof OpenAI.APIError>).code).toBe('context_length_exceeded');
    expect((await ledgerRows()).at(-1)!.outcome).toBe('context_length');
  });

  it('hangs until the client gives up, then records a hang', async () => {
    const start = performance.now();
    const err = await client.chat.completions
      .create({ model: 'quick', messages }, { headers: { 'x-mock-fault': 'hang' }, timeout: 150 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIConnectionTimeoutError);
    expect(performance.now() - start).toBeGreaterThanOrEqual(140);
    await waitFor(() => server.stats().active === 0);
    expect((await ledgerRows()).at(-1)!.outcome).toBe('hang');
  });

  it('cuts a stream half way with no [DONE]', async () => {
    const stream = await client.chat.completions.create({ model: 'quick', messages, stream: true }, { headers: { 'x-mock-fault': 'cut' } });
    let tokens = 0;
    const err = await (async () => {
      for await (const chunk of stream) if (chunk.choices[0]?.delta.content) tokens++;
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(tokens).toBe(5);
    const row = (await ledgerRows()).at(-1)!;
    expect(row.outcome).toBe('cut');
    expect(row.outputTokens).toBe(5);
  });

  it('rejects an unknown x-mock-fault value with the allowed list', async () => {
    const r = await raw('POST', '/v1/chat/completions', JSON.stringify({ model: 'quick', messages }), { 'x-mock-fault': 'boom' });
    expect(r.status).toBe(400);
    expect(r.json.error.message).toBe('Invalid x-mock-fault header "boom"; allowed: 429, 500, 503, hang, cut, context_length.');
  });
});

describe('injected fault rates', () => {
  it('injects 500, 503 and cuts at about the configured rates', async () => {
    const outcomes: string[] = [];
    for (let i = 0; i < 300; i++) {
      const outcome = await fetch(`${server.url}/v1/chat/completions`, {
        method: 'POST',
        body: JSON.stringify({ model: 'flaky', messages, max_tokens: 2 }),
      })
        .then(
          (res) => res.text().then(() => String(res.status)),
          () => 'cut',
        )
        .catch(() => 'cut');
      outcomes.push(outcome);
    }
    const count = (o: string): number => outcomes.filter((x) => x === o).length;
    expect(count('500')).toBeGreaterThan(15);
    expect(count('500')).toBeLessThan(50);
    expect(count('503')).toBeGreaterThan(15);
    expect(count('503')).toBeLessThan(50);
    expect(count('cut')).toBeGreaterThan(15);
    expect(count('cut')).toBeLessThan(50);
    const rows = (await ledgerRows()).filter((r) => r.model === 'flaky');
    expect(rows.filter((r) => r.outcome === 'cut')).toHaveLength(count('cut'));
    expect(rows.filter((r) => r.outcome === 'error')).toHaveLength(count('500') + count('503'));
  });
});

describe('bad input', () => {
  const cases: [string, string, string | undefined, number, string][] = [
    ['malformed JSON', 'POST', '{"model": "quick", "messages": [', 400, 'invalid_request_error'],
    ['missing messages', 'POST', JSON.stringify({ model: 'quick' }), 400, 'invalid_request_error'],
    ['wrong type', 'POST', JSON.stringify({ model: 'quick', messages, temperature: 'hot' }), 400, 'invalid_request_error'],
    ['n above 128', 'POST', JSON.stringify({ model: 'quick', messages, n: 129 }), 400, 'invalid_request_error'],
    ['unknown model', 'POST', JSON.stringify({ model: 'nope', messages }), 404, 'invalid_request_error'],
  ];
  for (const [name, method, body, status, type] of cases) {
    it(`answers ${status} for ${name}`, async () => {
      const r = await raw(method, '/v1/chat/completions', body);
      expect(r.status).toBe(status);
      expect(r.json.error.type).toBe(type);
      expect(Object.keys(r.json.error).sort()).toEqual(['code', 'message', 'param', 'type']);
    });
  }

  it('names the missing field', async () => {
    const r = await raw('POST', '/v1/chat/completions', JSON.stringify({ model: 'quick' }));
    expect(r.json.error).toEqual({
      message: "Missing required parameter: 'messages'.",
      type: 'invalid_request_error',
      param: 'messages',
      code: 'missing_required_parameter',
    });
  });

  it('answers 405 with Allow for a wrong method and 404 for an unknown path', async () => {
    const wrong = await raw('GET', '/v1/chat/completions');
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('POST');
    const missing = await raw('GET', '/v2/whatever');
    expect(missing.status).toBe(404);
    expect(missing.json.error.message).toBe('Invalid URL (GET /v2/whatever)');
  });

  it('answers 413 for a body over maxBodyBytes and keeps serving', async () => {
    const big = JSON.stringify({ model: 'quick', messages: [{ role: 'user', content: 'x'.repeat(70 * 1024) }] });
    const r = await raw('POST', '/v1/chat/completions', big);
    expect(r.status).toBe(413);
    expect(r.json.error.code).toBe('request_too_large');
    const ok = await client.chat.completions.create({ model: 'quick', messages });
    expect(ok.usage!.completion_tokens).toBe(10);
  });
});

describe('concurrency cap', () => {
  it('queues requests beyond the cap in FIFO order', async () => {
    const started = performance.now();
    const done: number[] = [];
    await Promise.all(
      [0, 1, 2, 3].map(async (i) => {
        await new Promise((r) => setTimeout(r, i * 2));
        const res = await fetch(`${server.url}/v1/chat/completions`, { method: 'POST', body: JSON.stringify({ model: 'narrow', messages, max_tokens: 1 }) });
        await res.text();
        done[i] = performance.now() - started;
        return Number(res.headers.get('x-mock-queue-ms'));
      }),
    ).then((queueMs) => {
      expect(queueMs[0]).toBe(0);
      expect(queueMs[1]).toBe(0);
      expect(queueMs[2]).toBeGreaterThan(25);
      expect(queueMs[3]).toBeGreaterThan(25);
    });
    expect(done[2]!).toBeGreaterThan(75);
    expect(done[2]!).toBeLessThan(done[3]! + 5);
  });
});

describe('client disconnect', () => {
  it('leaves no slot, timer or connection behind when the client drops mid-stream', async () => {
    const before = server.stats();
    await new Promise<void>((resolve, reject) => {
      const req = http.request(`${server.url}/v1/chat/completions`, { method: 'POST', headers: { 'x-mock-output-tokens': '5000' } }, (res) => {
        res.once('data', () => {
          expect(server.stats().inFlight).toBe(1);
          expect(server.stats().scheduledTasks).toBe(1);
          req.destroy();
          resolve();
        });
      });
      req.on('error', () => {});
      req.end(JSON.stringify({ model: 'quick', messages, stream: true }));
      setTimeout(() => reject(new Error('no data')), 2000);
    });
    await waitFor(() => server.stats().active === 0 && server.stats().connections <= before.connections);
    expect(server.stats()).toMatchObject({ inFlight: 0, queued: 0, active: 0, scheduledTasks: 0 });
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toContain('mock_llm_in_flight{model="quick"} 0');
    expect(metrics).toMatch(/mock_llm_errors_total\{type="client_disconnect"\} [1-9]/);
    const row = (await ledgerRows()).at(-1)!;
    expect(row.outcome).toBe('client_disconnect');
    expect(row.outputTokens).toBeGreaterThan(0);
    expect(row.outputTokens).toBeLessThan(5000);
  });
});

describe('close()', () => {
  it('ends in-flight streams and clears timers', async () => {
    const s = await startMockServer({ port: 0, models });
    const res = await fetch(`${s.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'x-mock-output-tokens': '5000' },
      body: JSON.stringify({ model: 'quick', messages, stream: true }),
    });
    const reader = res.body!.getReader();
    await reader.read();
    expect(s.stats().inFlight).toBe(1);
    await s.close();
    expect(s.stats()).toMatchObject({ inFlight: 0, active: 0, scheduledTasks: 0, connections: 0 });
    await expect(
      (async () => {
        for (;;) if ((await reader.read()).done) return;
      })(),
    ).rejects.toThrow();
  });
});
