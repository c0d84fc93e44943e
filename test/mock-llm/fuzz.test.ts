import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCatalog, startMockServer, type MockServer } from '../../mock-llm/index.ts';
import { Rng } from '../../src/core/random.ts';

const models = buildCatalog({
  quick: {
    extends: 'gpt-4o-mini',
    latency: { ttftBaseMs: 2, prefillMsPerInputToken: 0, ttftCv: 0, itlMs: 1, itlCv: 0, slowdownAtCap: 0 },
    defaultOutputTokens: 8,
  },
});
/** 3,000 in `npm test`; `npm run soak` (BENCH_SOAK=1) sends 20,000. */
const REQUESTS = process.env.BENCH_SOAK === '1' ? 20_000 : 3000;
const CONCURRENCY = 40;

let server: MockServer;
let port: number;

beforeAll(async () => {
  server = await startMockServer({ port: 0, models, maxBodyBytes: 16 * 1024, ledgerMaxRows: 500 });
  port = server.port;
});
afterAll(async () => {
  await server.close();
});

const VALID = { model: 'quick', messages: [{ role: 'user', content: 'hi' }], max_tokens: 4 };

/** Sends raw bytes on a fresh connection; resolves when the server closes it (or we abort it). */
function sendRaw(data: Buffer | string, abortAfterMs?: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let got = '';
    let timer: NodeJS.Timeout | undefined;
    socket.on('data', (d) => (got += d.toString('latin1')));
    socket.on('error', () => {});
    socket.on('close', () => {
      if (timer !== undefined) clearTimeout(timer);
      resolve(got);
    });
    socket.write(data);
    if (abortAfterMs !== undefined) timer = setTimeout(() => socket.destroy(), abortAfterMs);
    else socket.end();
  });
}

function httpRequest(method: string, path: string, body: string | Buffer, headers: Record<string, string> = {}, contentLength?: number): Buffer {
  const b = typeof body === 'string' ? Buffer.from(body) : body;
  const head =
    `${method} ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\n` +
    Object.entries(headers)
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join('') +
    `Content-Length: ${contentLength ?? b.length}\r\n\r\n`;
  return Buffer.concat([Buffer.from(head), b]);
}

function randomBytes(rng: Rng, n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = rng.int(256);
  return b;
}

const WEIRD_VALUES: unknown[] = [null, true, -1, 0, 1.5, 1e308, '', 'x'.repeat(300), [], [1, 'a'], {}, { a: { b: [] } }];

function mutate(rng: Rng): unknown {
  const body: Record<string, unknown> = structuredClone(VALID);
  const keys = ['model', 'messages', 'stream', 'max_tokens', 'temperature', 'n', 'stop', 'metadata', 'stream_options', 'top_p'];
  const k = keys[rng.int(keys.length)]!;
  const v = WEIRD_VALUES[rng.int(WEIRD_VALUES.length)];
  if (rng.chance(0.2)) delete body[k];
  else body[k] = v;
  if (rng.chance(0.3)) body['messages'] = [{ role: WEIRD_VALUES[rng.int(WEIRD_VALUES.length)], content: v }];
  return body;
}

const TOOL = {
  type: 'function',
  function: { name: 'f', parameters: { type: 'object', properties: { a: { type: 'integer', minimum: 1, maximum: 3 } }, required: ['a'] } },
};
/** A valid body of each model API, and the keys a mutation may spoil. */
const PROTOCOL_BODIES: { path: string; body: Record<string, unknown>; keys: string[] }[] = [
  {
    path: '/v1/chat/completions',
    body: { ...VALID, tools: [TOOL], tool_choice: 'auto', response_format: { type: 'text' } },
    keys: ['tools', 'tool_choice', 'parallel_tool_calls', 'response_format', 'logprobs', 'top_logprobs', 'messages'],
  },
  {
    path: '/v1/responses',
    body: {
      model: 'quick',
      input: [{ role: 'user', content: 'hi' }],
      instructions: 'x',
      max_output_tokens: 4,
      tools: [{ type: 'function', name: 'f', parameters: TOOL.function.parameters }],
    },
    keys: ['input', 'instructions', 'tools', 'tool_choice', 'text', 'max_output_tokens', 'stream'],
  },
  { path: '/v1/completions', body: { model: 'quick', prompt: 'hi', max_tokens: 4 }, keys: ['prompt', 'max_tokens', 'logprobs', 'stop', 'stream', 'n'] },
  {
    path: '/v1/messages',
    body: {
      model: 'quick',
      max_tokens: 4,
      system: 's',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }],
      tools: [{ name: 'f', input_schema: TOOL.function.parameters }],
    },
    keys: ['messages', 'system', 'tools', 'tool_choice', 'max_tokens', 'stop_sequences', 'stream'],
  },
  {
    path: '/v1beta/models/quick:generateContent',
    body: {
      contents: [{ role: 'user', parts: [{ text: 'hi' }] }],
      systemInstruction: { parts: [{ text: 's' }] },
      tools: [{ functionDeclarations: [{ name: 'f', parameters: TOOL.function.parameters }] }],
      generationConfig: { maxOutputTokens: 4 },
    },
    keys: ['contents', 'systemInstruction', 'tools', 'toolConfig', 'generationConfig'],
  },
];
const WEIRD_PARTS: unknown[] = [
  { type: 'tool_result', tool_use_id: 'toolu_x', content: 'r' },
  { type: 'function_call_output', call_id: 'call_x', output: 'r' },
  { type: 'function', function: { name: 'bad name!', parameters: { type: 'objekt' } } },
  { type: 'function', function: { name: 'g', strict: true, parameters: { type: 'object', properties: { a: {} } } } },
  { role: 'tool', tool_call_id: 'call_x', content: 'r' },
  { type: 'tool', name: 'nope' },
  { type: 'json_schema', json_schema: { name: 'r', schema: { type: 'array' } } },
  { role: 'user', parts: [{ functionResponse: { name: 'f', response: {} } }] },
  { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['nope'] } },
  { responseMimeType: 'application/json', responseSchema: { type: 'OBJEKT' } },
  { candidateCount: 99, maxOutputTokens: 4 },
];

/** A valid body of one of the model APIs with one field spoiled (a weird value, a stray block, or removed). */
function mutateProtocol(rng: Rng): { path: string; body: unknown } {
  const { path, body: valid, keys } = PROTOCOL_BODIES[rng.int(PROTOCOL_BODIES.length)]!;
  const body: Record<string, unknown> = structuredClone(valid);
  const k = keys[rng.int(keys.length)]!;
  const pool = rng.chance(0.5) ? WEIRD_VALUES : WEIRD_PARTS;
  const v = pool[rng.int(pool.length)];
  if (rng.chance(0.15)) delete body[k];
  else body[k] = rng.chance(0.5) ? [v] : v;
  return { path, body };
}

function fuzzCase(rng: Rng): Promise<string> {
  switch (rng.int(10)) {
    case 8:
    case 9: {
      // the other model APIs: valid bodies with one field spoiled
      const { path, body } = mutateProtocol(rng);
      return sendRaw(httpRequest('POST', path, JSON.stringify(body), path === '/v1/messages' ? { 'anthropic-version': '2023-06-01' } : {}));
    }
    case 0: // garbage instead of HTTP
      return sendRaw(randomBytes(rng, 1 + rng.int(400)));
    case 1: // random bytes as a body
      return sendRaw(httpRequest('POST', '/v1/chat/completions', randomBytes(rng, rng.int(300))));
    case 2: {
      // valid JSON with wrong types
      const path = rng.chance(0.7) ? '/v1/chat/completions' : '/v1/embeddings';
      return sendRaw(httpRequest('POST', path, JSON.stringify(mutate(rng))));
    }
    case 3: {
      // truncated body: the declared length is never reached, then the client drops
      const body = JSON.stringify(VALID);
      return sendRaw(httpRequest('POST', '/v1/chat/completions', body.slice(0, rng.int(body.length)), {}, body.length), 5 + rng.int(20));
    }
    case 4: // a stream the client aborts part way
      return sendRaw(httpRequest('POST', '/v1/chat/completions', JSON.stringify({ ...VALID, stream: true, max_tokens: 50 })), rng.int(30));
    case 5: {
      // random method and path
      const methods = ['GET', 'PUT', 'PATCH', 'DELETE', 'POST', 'OPTIONS'];
      const paths = [
        '/',
        '/v1',
        '/v1/chat',
        '/v1/chat/completions/',
        '/%zz',
        '/v1/models/%E0%A4%A',
        '/v1/models/nope',
        `/${randomBytes(rng, 4).toString('hex')}`,
      ];
      return sendRaw(httpRequest(methods[rng.int(methods.length)]!, paths[rng.int(paths.length)]!, ''));
    }
    case 6: {
      // bad mock headers
      const headers = { 'x-mock-fault': ['nope', '', '429', 'cut'][rng.int(4)]!, 'x-mock-output-tokens': ['-1', 'abc', '1e9999', '3'][rng.int(4)]! };
      return sendRaw(httpRequest('POST', '/v1/chat/completions', JSON.stringify(VALID), headers));
    }
    default: // oversized body declared
      return sendRaw(httpRequest('POST', '/v1/chat/completions', 'x'.repeat(100), {}, 10_000_000), 20);
  }
}

function resourceCount(): number {
  return process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap').length;
}

async function validRequestWorks(): Promise<void> {
  const res = await fetch(`http://127.0.0.1:${port}/v1/chat/completions`, {
    method: 'POST',
    headers: { connection: 'close' },
    body: JSON.stringify(VALID),
  });
  expect(res.status).toBe(200);
  const json = (await res.json()) as { usage: { completion_tokens: number } };
  expect(json.usage.completion_tokens).toBe(4);
}

describe('fuzz', () => {
  it(`survives ${REQUESTS} malformed or aborted requests without leaking handles or memory`, { timeout: REQUESTS * 10 }, async () => {
    await validRequestWorks();
    const resourcesBefore = resourceCount();
    const heapBefore = process.memoryUsage().heapUsed;
    const rng = new Rng(2024);
    let next = 0;
    const statuses = new Map<string, number>();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < REQUESTS) {
          next++;
          const response = await fuzzCase(rng);
          const status = /^HTTP\/1\.1 (\d{3})/.exec(response)?.[1] ?? 'none';
          statuses.set(status, (statuses.get(status) ?? 0) + 1);
        }
      }),
    );
    // every answered request got a 4xx/2xx/5xx status, never a crash
    // (no fault rates are configured and no 5xx is forced, so any 5xx would be an internal error)
    for (const status of statuses.keys()) expect(status === 'none' || /^[24]\d\d$/.test(status)).toBe(true);
    expect(statuses.get('400')).toBeGreaterThan(REQUESTS / 5);

    const settle = performance.now() + 3000;
    while ((server.stats().connections > 0 || server.stats().active > 0) && performance.now() < settle) await new Promise((r) => setTimeout(r, 10));
    expect(server.stats()).toEqual({ inFlight: 0, queued: 0, active: 0, scheduledTasks: 0, connections: 0 });
    await validRequestWorks();
    await new Promise((r) => setTimeout(r, 50));
    expect(resourceCount()).toBeLessThanOrEqual(resourcesBefore + 2);
    const heapGrowthMb = (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20;
    if (process.env.BENCH_SOAK === '1') {
      console.log(
        `soak fuzz: ${REQUESTS} requests, statuses ${JSON.stringify(Object.fromEntries(statuses))}, heap growth ${heapGrowthMb.toFixed(1)} MB, handles ${resourcesBefore} -> ${resourceCount()}`,
      );
    }
    expect(heapGrowthMb).toBeLessThan(64);
    const health = (await (await fetch(`http://127.0.0.1:${port}/health`, { headers: { connection: 'close' } })).json()) as { status: string };
    expect(health.status).toBe('ok');
  });
});
