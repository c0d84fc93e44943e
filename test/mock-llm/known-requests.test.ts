import { Ajv } from 'ajv';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildCatalog, startMockServer, type LedgerSnapshot, type MockServer, type MockServerOptions } from '../../mock-llm/index.ts';
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

const options: MockServerOptions = { port: 0, host: '127.0.0.1', models, seed: 3 };

let server: MockServer;
beforeAll(async () => {
  server = await startMockServer(options);
});
afterAll(async () => {
  await server.close();
});
afterEach(() => {
  vi.restoreAllMocks();
});

// biome-ignore lint/suspicious/noExplicitAny: the tests read provider-shaped JSON of several shapes
type Json = any;

interface Reply {
  status: number;
  json: Json;
  /** The mock's own response headers (x-mock-correct, x-mock-confidence, x-mock-difficulty). */
  mock: Record<string, string | null>;
}

async function send(to: MockServer, path: string, body: string, headers: Record<string, string> = {}): Promise<Reply> {
  const res = await fetch(`${to.url}${path}`, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });
  const mock = Object.fromEntries(['x-mock-correct', 'x-mock-confidence', 'x-mock-difficulty'].map((h) => [h, res.headers.get(h)]));
  return { status: res.status, json: await res.json(), mock };
}

async function post(path: string, body: string, headers: Record<string, string> = {}): Promise<Record<string, unknown>> {
  const res = await send(server, path, body, headers);
  expect(res.status).toBe(200);
  return res.json as Record<string, unknown>;
}

/** The reply of a fresh server (same options) that sees `body` for the first time. */
async function firstTime(path: string, body: string, headers: Record<string, string> = {}): Promise<Reply> {
  const fresh = await startMockServer(options);
  try {
    return await send(fresh, path, body, headers);
  } finally {
    await fresh.close();
  }
}

/** What must not differ between a repeat and a first time: all but the response's own id and time. */
function answerOf(r: Reply): unknown {
  const { id: _id, created: _created, created_at: _createdAt, ...rest } = r.json as Record<string, unknown>;
  return { status: r.status, mock: r.mock, rest };
}

async function ledger(): Promise<LedgerSnapshot> {
  return (await (await fetch(`${server.url}/v1/ledger`)).json()) as LedgerSnapshot;
}

const CHAT = '/v1/chat/completions';
const ajv = new Ajv({ strict: false });

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

  it('judges a repeat by its own x-mock-difficulty and x-mock-quality-seed, as a fresh server judges them', async () => {
    const body = JSON.stringify({ model: 'quick', messages: [{ role: 'user', content: 'A question to judge, asked again.' }] });
    const plain = await send(server, CHAT, body);
    expect(plain.mock['x-mock-correct']).toBeNull(); // no difficulty: no verdict
    const variants: Record<string, string>[] = [
      { 'x-mock-difficulty': '0.5', 'x-mock-quality-seed': '7' },
      { 'x-mock-difficulty': '0.5', 'x-mock-quality-seed': '8' },
      { 'x-mock-difficulty': '0.95', 'x-mock-quality-seed': '8' },
      { 'x-mock-difficulty': '0.05' }, // seeded by the body
      {},
    ];
    const seen: unknown[] = [];
    for (const headers of variants) {
      const repeat = await send(server, CHAT, body, headers);
      expect(answerOf(repeat)).toEqual(answerOf(await firstTime(CHAT, body, headers)));
      seen.push(repeat.mock);
    }
    // the headers matter: every variant judged differently (a verdict kept with the body would repeat the first)
    expect(new Set(seen.map((m) => JSON.stringify(m))).size).toBe(variants.length);
  });

  it('fails a repeat that forces a fault, with a ledger row, and answers the next repeat without it', async () => {
    const body = JSON.stringify({ model: 'quick', messages: [{ role: 'user', content: 'A request that fails once in a while.' }] });
    const first = await send(server, CHAT, body);
    expect(first.status).toBe(200);
    await fetch(`${server.url}/v1/ledger`, { method: 'DELETE' });
    for (const [fault, status, outcome] of [
      ['503', 503, 'error'],
      ['500', 500, 'error'],
      ['context_length', 400, 'context_length'],
    ] as const) {
      const failed = await send(server, CHAT, body, { 'x-mock-fault': fault });
      expect(failed.status).toBe(status);
      expect(failed.json).toEqual((await firstTime(CHAT, body, { 'x-mock-fault': fault })).json);
      expect((await ledger()).rows.at(-1)).toMatchObject({ outcome, status });
      const again = await send(server, CHAT, body);
      expect(answerOf(again)).toEqual(answerOf(first));
      expect((await ledger()).rows.at(-1)).toMatchObject({ outcome: 'ok', status: 200 });
    }
    expect((await ledger()).rows).toHaveLength(6);
  });

  it('answers a repeated forced tool call and a repeated json_schema request as a fresh server does, valid each time', async () => {
    const parameters = {
      type: 'object',
      properties: { city: { type: 'string', minLength: 2 }, days: { type: 'integer', minimum: 1, maximum: 7 } },
      required: ['city', 'days'],
      additionalProperties: false,
    };
    const tool = JSON.stringify({
      model: 'quick',
      messages: [{ role: 'user', content: 'Weather in Lyon for the week?' }],
      tools: [{ type: 'function', function: { name: 'get_weather', strict: true, parameters } }],
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
    });
    const schema = {
      type: 'object',
      properties: { name: { type: 'string' }, items: { type: 'array', items: { type: 'integer' }, minItems: 1, maxItems: 4 } },
      required: ['name', 'items'],
      additionalProperties: false,
    };
    const json = JSON.stringify({
      model: 'quick',
      messages: [{ role: 'user', content: 'An order, as JSON.' }],
      response_format: { type: 'json_schema', json_schema: { name: 'order', schema, strict: true } },
    });
    const validArgs = ajv.compile(parameters);
    const validJson = ajv.compile(schema);
    for (const [body, valid] of [
      [
        tool,
        (m: Json) => m.tool_calls.length === 1 && m.tool_calls[0].function.name === 'get_weather' && validArgs(JSON.parse(m.tool_calls[0].function.arguments)),
      ],
      [json, (m: Json) => validJson(JSON.parse(m.content))],
    ] as const) {
      const fresh = answerOf(await firstTime(CHAT, body));
      const parse = vi.spyOn(openaiChat, 'parse');
      for (let i = 0; i < 3; i++) {
        const r = await send(server, CHAT, body);
        expect(r.status).toBe(200);
        expect(valid(r.json.choices[0].message)).toBe(true);
        expect(answerOf(r)).toEqual(fresh);
      }
      expect(parse).toHaveBeenCalledTimes(1); // the repeats came from the cache
      parse.mockRestore();
    }
  });

  it('writes one ledger row per repeat, each with its usage counted', async () => {
    const body = JSON.stringify({ model: 'quick', messages: [{ role: 'user', content: 'Count me every time I am sent.' }] });
    const expected = (await firstTime(CHAT, body)).json.usage;
    await fetch(`${server.url}/v1/ledger`, { method: 'DELETE' });
    const parse = vi.spyOn(openaiChat, 'parse');
    const n = 5;
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      const r = await send(server, CHAT, body);
      expect(r.json.usage).toEqual(expected);
      ids.push(r.json.id);
    }
    expect(parse).toHaveBeenCalledTimes(1);
    const snap = await ledger();
    expect(snap.rows).toHaveLength(n);
    for (const row of snap.rows) expect(row).toMatchObject({ outcome: 'ok', inputTokens: expected.prompt_tokens, outputTokens: expected.completion_tokens });
    expect(new Set(snap.rows.map((r) => r.id)).size).toBe(n);
    expect(snap.totals).toMatchObject({ inputTokens: n * expected.prompt_tokens, outputTokens: n * expected.completion_tokens });
  });

  it('answers 400 to a repeat continuing a stored response that was dropped since, as a fresh server does', async () => {
    const stored = await post('/v1/responses', JSON.stringify({ model: 'quick', input: 'Remember this.' }));
    const body = JSON.stringify({ model: 'quick', previous_response_id: stored['id'], input: 'And then?' });
    await post('/v1/responses', body);
    // the store keeps the latest 1,000 responses (mock-llm/conversations.ts): 1,000 more drop this one
    const filler = JSON.stringify({ model: 'quick', input: 'Filler.' });
    for (let i = 0; i < 100; i++) await Promise.all(Array.from({ length: 10 }, () => post('/v1/responses', filler)));
    const dropped = await send(server, '/v1/responses', body);
    expect(dropped.status).toBe(400);
    expect(dropped.json.error).toMatchObject({ param: 'previous_response_id', code: 'previous_response_not_found' });
    expect(answerOf(dropped)).toEqual(answerOf(await firstTime('/v1/responses', body)));
  });
});
