/**
 * Names that live on Object.prototype, sent wherever a user names something: a lookup through the
 * prototype chain must never find them (mock-llm answered 500 "Cannot read properties of undefined
 * (reading 'concurrencyCap')" for `"model": "__proto__"`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockServer, type MockServer } from '../../mock-llm/index.ts';

/** Property names every plain object inherits (or that set its prototype). */
const PROTOTYPE_NAMES = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', 'prototype'] as const;

let server: MockServer;
beforeAll(async () => {
  server = await startMockServer({ port: 0, host: '127.0.0.1', timeScale: 1000, limits: { '*': { requestsPerMinute: 1e6, tokensPerMinute: 1e9 } } });
});
afterAll(() => server.close());

async function post(
  path: string,
  body: unknown,
): Promise<{ status: number; json: { error?: { code: string | null; param: string | null; message: string; type: string } } }> {
  const res = await fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as never };
}

describe('mock-llm: prototype property names as model ids', () => {
  for (const name of PROTOTYPE_NAMES) {
    it(`POST /v1/chat/completions with model "${name}" is 404 model_not_found`, async () => {
      const r = await post('/v1/chat/completions', { model: name, messages: [{ role: 'user', content: 'hi' }] });
      expect(r.status).toBe(404);
      expect(r.json.error).toMatchObject({ code: 'model_not_found', type: 'invalid_request_error' });
      expect(r.json.error!.message).toContain(name);
    });
    it(`POST /v1/chat/completions streamed with model "${name}" is 404 model_not_found`, async () => {
      const r = await post('/v1/chat/completions', { model: name, stream: true, messages: [{ role: 'user', content: 'hi' }] });
      expect(r.status).toBe(404);
      expect(r.json.error?.code).toBe('model_not_found');
    });
    it(`POST /v1/embeddings with model "${name}" is 404 model_not_found`, async () => {
      const r = await post('/v1/embeddings', { model: name, input: 'hi' });
      expect(r.status).toBe(404);
      expect(r.json.error?.code).toBe('model_not_found');
    });
    it(`GET /v1/models/${name} is 404 model_not_found`, async () => {
      const res = await fetch(`${server.url}/v1/models/${encodeURIComponent(name)}`);
      expect(res.status).toBe(404);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('model_not_found');
    });
    it(`x-mock-fault: ${name} is a 400 naming the header`, async () => {
      const res = await fetch(`${server.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-mock-fault': name },
        body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], max_tokens: 2 }),
      });
      expect(res.status).toBe(400);
    });
  }

  it('metadata keyed by prototype names is accepted and the server keeps serving', async () => {
    const r = await post('/v1/chat/completions', {
      model: 'gpt-4o-mini',
      max_tokens: 2,
      messages: [{ role: 'user', content: 'hi' }],
      metadata: { constructor: 'x', toString: 'y', hasOwnProperty: 'z' },
    });
    expect(r.status).toBe(200);
    const health = await fetch(`${server.url}/health`);
    expect(health.status).toBe(200);
  });
});

describe('scenario files: prototype property names as user-chosen names', () => {
  it('a scenario naming its model, task kinds, steps and sweep choices after Object.prototype properties runs and keeps every name', async () => {
    const { runScenarioFile } = await import('../../src/sweep/run.ts');
    const { results } = await runScenarioFile('test/reliability/fixtures/prototype-names.ts', { noWrite: true, threads: 0 });
    expect(results.configurations.map((c) => c.name)).toEqual(['routing=toString workers=constructor', 'routing=hasOwnProperty workers=constructor']);
    for (const c of results.configurations) {
      expect(Object.keys(c.steps).sort()).toEqual(['constructor', 'valueOf']);
      expect(Object.hasOwn(c.cost.byModel, 'constructor')).toBe(true);
      expect(c.requests.total).toBeGreaterThan(0);
    }
  });

  it('a model id "__proto__" is refused with one message naming the field', async () => {
    const { resolveScenario } = await import('../../src/scenario/load.ts');
    const input = JSON.parse(
      '{"name":"p","traffic":{"requestsPerDay":10},"models":{"__proto__":{"extends":"gpt-4o-mini"}},"requestMix":[{"name":"a","share":1,"inputTokens":{"dist":"constant","value":10},"outputTokens":{"dist":"constant","value":10},"difficulty":{"dist":"constant","value":0.5}}],"workflow":[{"type":"llm","name":"s","model":"gpt-4o-mini"}]}',
    );
    expect(() => resolveScenario(input, 'x.ts')).toThrow('x.ts: models.__proto__: "__proto__" cannot be a name; please choose another');
  });

  for (const name of ['toString', 'hasOwnProperty', 'constructor']) {
    it(`a step on model "${name}" (not in the catalog) is an unknown model`, async () => {
      const { resolveScenario } = await import('../../src/scenario/load.ts');
      const input = {
        name: 'p',
        traffic: { requestsPerDay: 10 },
        requestMix: [
          {
            name: 'a',
            share: 1,
            inputTokens: { dist: 'constant', value: 10 },
            outputTokens: { dist: 'constant', value: 10 },
            difficulty: { dist: 'constant', value: 0.5 },
          },
        ],
        workflow: [{ type: 'llm', name: 's', model: name }],
        faults: {},
      };
      expect(() => resolveScenario(input, 'x.ts')).toThrow(`x.ts: workflow[0].model: unknown model "${name}"`);
    });
  }
});
