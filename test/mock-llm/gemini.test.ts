import { Ajv } from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCatalog, startMockServer, type LedgerSnapshot, type MockServer } from '../../mock-llm/index.ts';
import { callCostUsd } from '../../src/provider/pricing.ts';

/** Gemini generateContent / streamGenerateContent over raw HTTP (the @google/genai SDK needs Node 22). */
const models = buildCatalog({
  flash: {
    extends: 'gpt-4o-mini',
    latency: { ttftBaseMs: 1, prefillMsPerInputToken: 0, ttftCv: 0, itlMs: 1, itlCv: 0, slowdownAtCap: 0 },
    defaultOutputTokens: 10,
  },
});
const KEY = 'gem-key';
const WEATHER = {
  functionDeclarations: [
    {
      name: 'weather',
      description: 'Current weather of a city',
      parameters: {
        type: 'OBJECT',
        properties: { city: { type: 'STRING', enum: ['Oslo', 'Lima'] }, days: { type: 'INTEGER', minimum: 1, maximum: 3 } },
        required: ['city', 'days'],
      },
    },
  ],
};
const ask = [{ role: 'user', parts: [{ text: 'What is the weather in Oslo?' }] }];

let server: MockServer;
beforeAll(async () => {
  server = await startMockServer({ port: 0, host: '127.0.0.1', models, seed: 6, apiKey: KEY });
});
afterAll(async () => {
  await server.close();
});

type Part = { text?: string; functionCall?: { name: string; args: Record<string, unknown> } };
type GenResponse = {
  candidates: Array<{ content: { role: string; parts: Part[] }; finishReason?: string; index: number }>;
  usageMetadata: { promptTokenCount: number; candidatesTokenCount: number; totalTokenCount: number };
  responseId: string;
};

async function generate(body: unknown, method = 'generateContent', query = ''): Promise<Response> {
  return fetch(`${server.url}/v1beta/models/flash:${method}${query}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-goog-api-key': KEY },
    body: JSON.stringify(body),
  });
}

async function ledgerRow(id: string) {
  const ledger = (await (await fetch(`${server.url}/v1/ledger`, { headers: { authorization: `Bearer ${KEY}` } })).json()) as LedgerSnapshot;
  return ledger.rows.find((r) => r.id === id)!;
}

describe('Gemini generateContent', () => {
  it('answers text with usageMetadata, ledgered and priced like any call', async () => {
    const res = await generate({ contents: ask, systemInstruction: { parts: [{ text: 'Be brief.' }] } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as GenResponse;
    const c = body.candidates[0]!;
    expect(c.content.role).toBe('model');
    expect(c.content.parts[0]!.text!.length).toBeGreaterThan(0);
    expect(c.finishReason).toBe('STOP');
    expect(body.usageMetadata.candidatesTokenCount).toBe(10);
    const row = await ledgerRow(body.responseId);
    expect(row).toMatchObject({
      endpoint: 'generateContent',
      model: 'flash',
      inputTokens: body.usageMetadata.promptTokenCount,
      outputTokens: 10,
      outcome: 'ok',
    });
    expect(row.costUsd).toBeCloseTo(
      callCostUsd(models['flash']!.pricing, { inputTokens: row.inputTokens, cachedInputTokens: 0, cacheWriteInputTokens: 0, outputTokens: 10 }),
      12,
    );
  });

  it('caps the output at maxOutputTokens with finishReason MAX_TOKENS', async () => {
    const body = (await (await generate({ contents: ask, generationConfig: { maxOutputTokens: 3 } })).json()) as GenResponse;
    expect(body.candidates[0]!.finishReason).toBe('MAX_TOKENS');
    expect(body.usageMetadata.candidatesTokenCount).toBe(3);
  });

  it('streams with alt=sse: one event per token, the same text as the whole answer, the finish and usage last', async () => {
    const whole = (await (await generate({ contents: ask })).json()) as GenResponse;
    const res = await generate({ contents: ask }, 'streamGenerateContent', '?alt=sse');
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const events = (await res.text())
      .split(/\r?\n\r?\n/)
      .filter((e) => e.startsWith('data: '))
      .map((e) => JSON.parse(e.slice(6)) as GenResponse);
    expect(events.length).toBe(11);
    expect(events.map((e) => e.candidates[0]!.content.parts.map((p) => p.text ?? '').join('')).join('')).toBe(whole.candidates[0]!.content.parts[0]!.text);
    expect(events.at(-1)!.candidates[0]!.finishReason).toBe('STOP');
    expect(events.at(-1)!.usageMetadata.candidatesTokenCount).toBe(10);
  });

  it('streams without alt=sse as Google does: one JSON array written element by element, the same responses as the SSE events', async () => {
    const sse = (await (await generate({ contents: ask }, 'streamGenerateContent', '?alt=sse')).text())
      .split(/\r?\n\r?\n/)
      .filter((e) => e.startsWith('data: '))
      .map((e) => JSON.parse(e.slice(6)) as GenResponse);
    const res = await generate({ contents: ask }, 'streamGenerateContent');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    // the array arrives in pieces: the first piece opens it and holds at least one whole element
    const reader = res.body!.getReader();
    const pieces: string[] = [];
    for (let r = await reader.read(); !r.done; r = await reader.read()) pieces.push(new TextDecoder().decode(r.value));
    expect(pieces.length).toBeGreaterThan(1);
    expect(pieces[0]!.startsWith('[{')).toBe(true);
    const text = pieces.join('');
    expect(text.endsWith('}]')).toBe(true);
    const elements = JSON.parse(text) as GenResponse[];
    expect(elements.map((e) => e.candidates)).toEqual(sse.map((e) => e.candidates));
    expect(elements.at(-1)!.usageMetadata).toEqual(sse.at(-1)!.usageMetadata);
    expect((await generate({ contents: ask }, 'streamGenerateContent', '?alt=json')).status).toBe(200);
    const badAlt = await generate({ contents: ask }, 'streamGenerateContent', '?alt=xml');
    expect(badAlt.status).toBe(400);
    expect(((await badAlt.json()) as { error: { status: string } }).error.status).toBe('INVALID_ARGUMENT');
  });

  it('answers candidateCount candidates, different and each priced, whole and streamed', async () => {
    const one = (await (await generate({ contents: ask })).json()) as GenResponse;
    const res = (await (await generate({ contents: ask, generationConfig: { candidateCount: 3 } })).json()) as GenResponse;
    expect(res.candidates.map((c) => c.index)).toEqual([0, 1, 2]);
    expect(res.candidates.every((c) => c.finishReason === 'STOP' && c.content.role === 'model')).toBe(true);
    expect(res.candidates[0]!.content.parts[0]!.text).toBe(one.candidates[0]!.content.parts[0]!.text);
    expect(new Set(res.candidates.map((c) => c.content.parts[0]!.text)).size).toBe(3);
    expect(res.usageMetadata.candidatesTokenCount).toBe(30);
    expect(res.usageMetadata.promptTokenCount).toBe(one.usageMetadata.promptTokenCount);
    const row = await ledgerRow(res.responseId);
    expect(row.outputTokens).toBe(30);
    expect(row.costUsd).toBeCloseTo(
      callCostUsd(models['flash']!.pricing, { inputTokens: row.inputTokens, cachedInputTokens: 0, cacheWriteInputTokens: 0, outputTokens: 30 }),
      12,
    );
    const streamed = JSON.parse(
      await (await generate({ contents: ask, generationConfig: { candidateCount: 3 } }, 'streamGenerateContent')).text(),
    ) as GenResponse[];
    const textOf = (k: number) =>
      streamed
        .map((e) =>
          e.candidates
            .filter((c) => c.index === k)
            .flatMap((c) => c.content.parts.map((p) => p.text ?? ''))
            .join(''),
        )
        .join('');
    expect([0, 1, 2].map(textOf)).toEqual(res.candidates.map((c) => c.content.parts[0]!.text));
    expect(streamed.at(-1)!.candidates.map((c) => c.finishReason)).toEqual(['STOP', 'STOP', 'STOP']);
    expect(streamed.at(-1)!.usageMetadata.candidatesTokenCount).toBe(30);
    for (const count of [0, 9, 1.5, '2']) {
      const bad = await generate({ contents: ask, generationConfig: { candidateCount: count } });
      expect(bad.status, String(count)).toBe(400);
      expect(((await bad.json()) as { error: { message: string; status: string } }).error).toMatchObject({
        status: 'INVALID_ARGUMENT',
        message: expect.stringContaining('candidate_count'),
      });
    }
  });

  it('calls a declared function under mode ANY with args valid against its schema, and takes the functionResponse back', async () => {
    const tools = [WEATHER];
    const res = (await (await generate({ contents: ask, tools, toolConfig: { functionCallingConfig: { mode: 'ANY' } } })).json()) as GenResponse;
    const call = res.candidates[0]!.content.parts.find((p) => p.functionCall)!.functionCall!;
    expect(call.name).toBe('weather');
    const schema = {
      type: 'object',
      properties: { city: { type: 'string', enum: ['Oslo', 'Lima'] }, days: { type: 'integer', minimum: 1, maximum: 3 } },
      required: ['city', 'days'],
    };
    expect(new Ajv().validate(schema, call.args)).toBe(true);
    const streamed = await (
      await generate({ contents: ask, tools, toolConfig: { functionCallingConfig: { mode: 'ANY' } } }, 'streamGenerateContent', '?alt=sse')
    ).text();
    expect(streamed).toContain(JSON.stringify({ functionCall: { name: 'weather', args: call.args } }));
    const answered = [
      ...ask,
      { role: 'model', parts: [{ functionCall: call }] },
      { role: 'user', parts: [{ functionResponse: { name: 'weather', response: { temperature: 4 } } }] },
    ];
    const next = await generate({ contents: answered, tools, toolConfig: { functionCallingConfig: { mode: 'NONE' } } });
    expect(next.status).toBe(200);
    expect(((await next.json()) as GenResponse).candidates[0]!.content.parts[0]!.text!.length).toBeGreaterThan(0);
  });

  it('writes JSON valid against responseSchema', async () => {
    const responseSchema = {
      type: 'OBJECT',
      properties: { colour: { type: 'STRING' }, score: { type: 'NUMBER', minimum: 0, maximum: 1 } },
      required: ['colour', 'score'],
    };
    const body = (await (await generate({ contents: ask, generationConfig: { responseMimeType: 'application/json', responseSchema } })).json()) as GenResponse;
    const value = JSON.parse(body.candidates[0]!.content.parts[0]!.text!) as unknown;
    expect(
      new Ajv().validate(
        { type: 'object', properties: { colour: { type: 'string' }, score: { type: 'number', minimum: 0, maximum: 1 } }, required: ['colour', 'score'] },
        value,
      ),
    ).toBe(true);
  });

  it('answers bad input and bad keys Google-shaped, and keeps serving', async () => {
    const orphan = await generate({ contents: [...ask, { role: 'user', parts: [{ functionResponse: { name: 'weather', response: {} } }] }] });
    expect(orphan.status).toBe(400);
    expect(((await orphan.json()) as { error: { code: number; status: string } }).error).toMatchObject({ code: 400, status: 'INVALID_ARGUMENT' });
    expect((await generate({ contents: [] })).status).toBe(400);
    expect(
      (await generate({ contents: ask, tools: [WEATHER], toolConfig: { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['nope'] } } })).status,
    ).toBe(400);
    const noKey = await fetch(`${server.url}/v1beta/models/flash:generateContent`, { method: 'POST', body: JSON.stringify({ contents: ask }) });
    expect(noKey.status).toBe(401);
    expect(((await noKey.json()) as { error: { status: string } }).error.status).toBe('UNAUTHENTICATED');
    const byQuery = await fetch(`${server.url}/v1beta/models/flash:generateContent?key=${KEY}`, { method: 'POST', body: JSON.stringify({ contents: ask }) });
    expect(byQuery.status).toBe(200);
    const unknown = await fetch(`${server.url}/v1beta/models/nope:generateContent?key=${KEY}`, { method: 'POST', body: JSON.stringify({ contents: ask }) });
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: { status: string } }).error.status).toBe('NOT_FOUND');
    expect((await generate({ contents: ask })).status).toBe(200);
  });
});
